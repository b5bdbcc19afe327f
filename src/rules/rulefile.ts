/**
 * Rule files in Prometheus's format (rulefmt): `groups:` of recording and alerting rules, checked
 * as strictly as upstream (unknown fields, duplicate keys and group names, record/alert exclusivity,
 * names). Expressions are checked to be present; parsing them waits for the PromQL module.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import { parseDuration } from '../config/index.js';

export interface Rule {
  /** The recording rule's new metric name, or the alert's name. */
  name: string;
  kind: 'record' | 'alert';
  expr: string;
  forMs: number;
  keepFiringForMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup {
  file: string;
  name: string;
  /** 0 means "use global.evaluation_interval". */
  intervalMs: number;
  limit: number;
  rules: Rule[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const GROUP_FIELDS = new Set(['name', 'interval', 'limit', 'rules', 'query_offset', 'labels']);
const RULE_FIELDS = new Set(['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);

export class RuleFileError extends Error {
  override readonly name = 'RuleFileError';
}

export function loadRuleFile(file: string): RuleGroup[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RuleFileError(`${file}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  return parseRuleFile(text, file);
}

export function parseRuleFile(text: string, file: string): RuleGroup[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const at = (node: Node | null | undefined) => {
    const pos = node?.range ? lines.linePos(node.range[0]) : undefined;
    return pos ? `${file}:${pos.line}:${pos.col}` : file;
  };
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    // prettyErrors adds the position (which we print our way) and a code excerpt: keep the first line.
    const message = (first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new RuleFileError(`${pos ? `${file}:${pos.line}:${pos.col}` : file}: ${message}`);
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return [];
  if (!isMap(root)) throw new RuleFileError(`${at(root)}: a rule file must be a map with a 'groups' list`);
  const fail = (node: Node | null | undefined, msg: string): never => {
    throw new RuleFileError(`${at(node)}: ${msg}`);
  };
  checkFields(root, new Set(['groups']), 'rule file', fail);
  const groupsNode = root.get('groups', true) as Node | undefined;
  if (groupsNode === undefined || (isScalar(groupsNode) && groupsNode.value === null)) return [];
  if (!isSeq(groupsNode)) return fail(groupsNode, "'groups' must be a list");

  const seen = new Set<string>();
  return groupsNode.items.map((item) => {
    const groupNode = item as Node;
    if (!isMap(groupNode)) return fail(groupNode, 'a rule group must be a map');
    checkFields(groupNode, GROUP_FIELDS, 'rule group', fail);
    const name = scalarString(groupNode, 'name', fail);
    if (!name) return fail(groupNode, 'groupname must not be empty');
    if (seen.has(name))
      return fail(groupNode.get('name', true) as Node, `groupname: "${name}" is repeated in the same file`);
    seen.add(name);
    const interval = scalarString(groupNode, 'interval', fail);
    const rulesNode = groupNode.get('rules', true) as Node | undefined;
    if (rulesNode !== undefined && !isSeq(rulesNode)) fail(rulesNode, `group "${name}": 'rules' must be a list`);
    const rules = isSeq(rulesNode)
      ? rulesNode.items.map((r, i) => parseRule(r as Node, `group "${name}", rule ${i + 1}`, fail))
      : [];
    return {
      file,
      name,
      intervalMs: interval ? duration(groupNode, 'interval', interval, fail) : 0,
      limit: Number(scalarString(groupNode, 'limit', fail) || 0),
      rules,
    };
  });
}

type Fail = (node: Node | null | undefined, msg: string) => never;

function parseRule(node: Node, where: string, fail: Fail): Rule {
  if (!isMap(node)) return fail(node, `${where}: a rule must be a map`);
  checkFields(node, RULE_FIELDS, 'rule', fail);
  const record = scalarString(node, 'record', fail);
  const alert = scalarString(node, 'alert', fail);
  const expr = scalarString(node, 'expr', fail);
  if (record && alert) fail(node, `${where}: only one of 'record' and 'alert' must be set`);
  if (!record && !alert) fail(node, `${where}: one of 'record' or 'alert' must be set`);
  if (!expr) fail(node, `${where}: field 'expr' must be set in rule`);
  if (record) {
    if (!METRIC_NAME.test(record))
      fail(node.get('record', true) as Node, `${where}: invalid recording rule name: ${record}`);
    for (const field of ['annotations', 'for', 'keep_firing_for']) {
      if (node.has(field)) fail(node.get(field, true) as Node, `${where}: invalid field '${field}' in recording rule`);
    }
  }
  const forText = scalarString(node, 'for', fail);
  const keepText = scalarString(node, 'keep_firing_for', fail);
  return {
    name: (record || alert) as string,
    kind: record ? 'record' : 'alert',
    expr: expr as string,
    forMs: forText ? duration(node, 'for', forText, fail) : 0,
    keepFiringForMs: keepText ? duration(node, 'keep_firing_for', keepText, fail) : 0,
    labels: stringMap(node, 'labels', `${where}: invalid label name`, fail),
    annotations: stringMap(node, 'annotations', `${where}: invalid annotation name`, fail),
  };
}

function checkFields(map: YAMLMap, allowed: ReadonlySet<string>, what: string, fail: Fail): void {
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!allowed.has(key)) fail(pair.key as Node, `field ${key} not found in ${what}`);
  }
}

function scalarString(map: YAMLMap, key: string, fail: Fail): string | undefined {
  const node = map.get(key, true) as Node | undefined;
  if (node === undefined) return undefined;
  if (!isScalar(node) || (node.value !== null && typeof node.value === 'object'))
    return fail(node, `field ${key} must be a string`);
  return node.value === null ? '' : String(node.value);
}

function duration(map: YAMLMap, key: string, text: string, fail: Fail): number {
  try {
    return parseDuration(text);
  } catch (err) {
    return fail(map.get(key, true) as Node, (err as Error).message);
  }
}

function stringMap(map: YAMLMap, key: string, badName: string, fail: Fail): Record<string, string> {
  const node = map.get(key, true) as Node | undefined;
  if (node === undefined || (isScalar(node) && node.value === null)) return {};
  if (!isMap(node)) return fail(node, `field ${key} must be a map`);
  const out: Record<string, string> = {};
  for (const pair of node.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!LABEL_NAME.test(name)) fail(pair.key as Node, `${badName}: ${name}`);
    const value = pair.value as Node | null;
    if (value !== null && !isScalar(value)) fail(value, `${key}.${name} must be a string`);
    out[name] = value === null || value.value === null ? '' : String(value.value);
  }
  return out;
}
