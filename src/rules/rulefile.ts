/**
 * Rule files in Prometheus's format (model/rulefmt at v3.5.3), read as upstream reads them and
 * refused with upstream's messages, which `promtool check rules` prints and the server logs:
 *
 * - The YAML is decoded twice, as rulefmt.Parse does with go-yaml v3: strictly into the rule
 *   types (unknown fields refused unless `ignoreUnknownFields`), then into the "node" types that
 *   remember positions. Each decode reports go-yaml's errors: `yaml: unmarshal errors:\n  line 3:
 *   field rulez not found in type rulefmt.RuleGroup`, `cannot unmarshal !!str `abc` into int`,
 *   a duplicate key, or a duration's own error (`not a valid duration string: "-1m"`), so a bad
 *   value is usually reported twice, exactly as upstream reports it.
 * - Then every group and rule is validated (rulefmt's Validate): group names, record/alert,
 *   the expression parses as PromQL, recording-rule fields, label and annotation names, and the
 *   templates of alerting rules parse, with `line:col` where upstream has a node.
 *
 * Label and metric names are checked with Prometheus 3's UTF-8 rules: any valid UTF-8 but `""`
 * (and `__name__` as a label). YAML syntax errors are reported as `yaml: line N: …` with the YAML
 * library's wording, which is not libyaml's.
 */
import { readFileSync } from 'node:fs';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { parseDuration } from '../config/index.js';
import { parseExpr } from '../promql/index.js';
import { ALERT_TEMPLATE_DEFS, goQuote, parseTemplateTest } from '../template/index.js';

export interface Rule {
  /** The recording rule's new metric name, or the alert's name. */
  name: string;
  kind: 'record' | 'alert';
  expr: string;
  forMs: number;
  keepFiringForMs: number;
  /** The rule's own labels (the group's `labels` are in RuleGroup.labels). */
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup {
  file: string;
  name: string;
  /** 0 means "use global.evaluation_interval". */
  intervalMs: number;
  /** The group's `query_offset`; undefined when unset (then global.rule_query_offset applies). */
  queryOffsetMs?: number;
  limit: number;
  /** Labels added to every rule of the group (a rule's own labels win). */
  labels: Record<string, string>;
  rules: Rule[];
}

/** A rule file upstream would refuse; `errors` are upstream's messages, one per line of `message`. */
export class RuleFileError extends Error {
  override readonly name = 'RuleFileError';
  constructor(readonly errors: string[]) {
    super(errors.join('\n'));
  }
}

export interface ParseOptions {
  /** promtool's --ignore-unknown-fields: unknown fields are skipped, not refused. */
  ignoreUnknownFields?: boolean;
}

/** rulefmt.ParseFile: the groups of `file`, or a RuleFileError with each message prefixed by the file. */
export function loadRuleFile(file: string, opts: ParseOptions = {}): RuleGroup[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file or directory'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (err as Error).message;
    throw new RuleFileError([`${file}: ${code === 'EISDIR' ? 'read' : 'open'} ${file}: ${why}`]);
  }
  return parseRuleFile(text, file, opts);
}

/** Parses a rule file's text as `file`; throws a RuleFileError with each message prefixed by the file. */
export function parseRuleFile(text: string, file: string, opts: ParseOptions = {}): RuleGroup[] {
  const { groups, errors } = parseRules(text, file, opts);
  if (errors.length > 0) throw new RuleFileError(errors.map((e) => `${file}: ${e}`));
  return groups;
}

/**
 * rulefmt.Parse: the groups (with `file` as their file), and upstream's errors without a file
 * prefix. With decoding errors there are no groups; with validation errors the groups are
 * returned as decoded.
 */
export function parseRules(
  text: string,
  file: string,
  opts: ParseOptions = {},
): { groups: RuleGroup[]; errors: string[] } {
  const lines = new LineCounter();
  // Anchors, aliases and `<<` merge keys, as go-yaml reads them (promtool 3.5 accepts a rule
  // merged from another one).
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, merge: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line ?? 1;
    const message =
      first.code === 'TAB_AS_INDENT' ? 'found character that cannot start any token' : firstLine(first.message);
    const e = `yaml: line ${line}: ${message}`;
    return { groups: [], errors: [e, e] };
  }
  const ctx = { doc, lines };
  const errors: string[] = [];
  const strict = decodePass(ctx, doc.contents as Node | null, STRICT_TYPES, !opts.ignoreUnknownFields);
  if (strict) errors.push(strict);
  const nodes = decodePass(ctx, doc.contents as Node | null, NODE_TYPES, false);
  if (nodes) errors.push(nodes);
  if (errors.length > 0) return { groups: [], errors };
  const groups = readGroups(ctx, doc.contents as Node | null, file);
  return { groups, errors: validate(ctx, doc.contents as Node | null, groups) };
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
}

// ---- go-yaml v3's decoding, as far as rule files need it ----

type GoType =
  | { kind: 'struct'; name: string; fields: Record<string, GoType> }
  | { kind: 'slice'; name: string; elem: GoType }
  | { kind: 'map'; name: string }
  | { kind: 'string' }
  | { kind: 'int' }
  | { kind: 'duration' }
  | { kind: 'durationPointer' }
  | { kind: 'node' };

const STRING: GoType = { kind: 'string' };
const INT: GoType = { kind: 'int' };
const DURATION: GoType = { kind: 'duration' };
const STRING_MAP: GoType = { kind: 'map', name: 'map[string]string' };
const NODE: GoType = { kind: 'node' };

function ruleGroupsType(nodes: boolean): GoType {
  const rule: GoType = {
    kind: 'struct',
    name: nodes ? 'rulefmt.RuleNode' : 'rulefmt.Rule',
    fields: {
      record: nodes ? NODE : STRING,
      alert: nodes ? NODE : STRING,
      expr: nodes ? NODE : STRING,
      for: DURATION,
      keep_firing_for: DURATION,
      labels: STRING_MAP,
      annotations: STRING_MAP,
    },
  };
  const group: GoType = {
    kind: 'struct',
    name: nodes ? 'rulefmt.RuleGroupNode' : 'rulefmt.RuleGroup',
    fields: {
      name: STRING,
      interval: DURATION,
      query_offset: { kind: 'durationPointer' },
      limit: INT,
      rules: { kind: 'slice', name: nodes ? '[]rulefmt.RuleNode' : '[]rulefmt.Rule', elem: rule },
      labels: STRING_MAP,
    },
  };
  return {
    kind: 'struct',
    name: nodes ? 'rulefmt.ruleGroups' : 'rulefmt.RuleGroups',
    fields: {
      groups: { kind: 'slice', name: nodes ? '[]rulefmt.RuleGroupNode' : '[]rulefmt.RuleGroup', elem: group },
    },
  };
}

const STRICT_TYPES = ruleGroupsType(false);
const NODE_TYPES = ruleGroupsType(true);

interface DocContext {
  doc: ReturnType<typeof parseDocument>;
  lines: LineCounter;
}

/** A duration's own error stops the whole decode, as a custom unmarshaler's error does in go-yaml. */
class DecodeAbort extends Error {}

/** One decode of the document into `type`: go-yaml's error text, or undefined when it decoded. */
function decodePass(ctx: DocContext, root: Node | null, type: GoType, knownFields: boolean): string | undefined {
  const terrors: string[] = [];
  try {
    if (root !== null) decode(ctx, root, type, knownFields, terrors);
  } catch (err) {
    if (err instanceof DecodeAbort) return err.message;
    throw err;
  }
  return terrors.length > 0 ? `yaml: unmarshal errors:\n  ${terrors.join('\n  ')}` : undefined;
}

function lineOf(ctx: DocContext, node: Node): number {
  return node.range ? ctx.lines.linePos(node.range[0]).line : 0;
}

function deref(ctx: DocContext, node: Node): Node {
  return isAlias(node) ? (node.resolve(ctx.doc) as Node) : node;
}

/** The tag go-yaml resolves a scalar to, in its short form (`!!str`, `!!int`, …). */
function scalarTag(s: Scalar): string {
  if (s.tag) return s.tag.replace(/^tag:yaml\.org,2002:/, '!!');
  if (s.type === 'QUOTE_DOUBLE' || s.type === 'QUOTE_SINGLE' || s.type === 'BLOCK_LITERAL' || s.type === 'BLOCK_FOLDED')
    return '!!str';
  const text = s.source ?? String(s.value ?? '');
  if (['', '~', 'null', 'Null', 'NULL'].includes(text)) return '!!null';
  if (/^(true|True|TRUE|false|False|FALSE)$/.test(text)) return '!!bool';
  const plain = text.replaceAll('_', '');
  if (/^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)$/.test(plain)) return '!!int';
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(plain)) return '!!float';
  if (/^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/.test(plain)) return '!!float';
  return '!!str';
}

/** A scalar's value as go-yaml keeps it (n.Value): the text after quoting and folding. */
function scalarText(s: Scalar): string {
  if (s.type === 'PLAIN' && s.source !== undefined) return s.source;
  return s.value === null || s.value === undefined ? '' : String(s.value);
}

function terror(ctx: DocContext, node: Node, into: string, terrors: string[]): void {
  let tag: string;
  let value = '';
  if (isMap(node)) tag = '!!map';
  else if (isSeq(node)) tag = '!!seq';
  else {
    tag = isScalar(node) ? scalarTag(node) : '!!str';
    const text = isScalar(node) ? scalarText(node) : '';
    value = [...text].length > 10 ? ` \`${[...text].slice(0, 7).join('')}...\`` : ` \`${text}\``;
  }
  terrors.push(`line ${lineOf(ctx, node)}: cannot unmarshal ${tag}${value} into ${into}`);
}

const isNull = (node: Node) => isScalar(node) && scalarTag(node) === '!!null';

function decode(ctx: DocContext, raw: Node, type: GoType, knownFields: boolean, terrors: string[]): void {
  const node = deref(ctx, raw);
  if (type.kind === 'node') return;
  if (isNull(node)) return;
  switch (type.kind) {
    case 'struct': {
      if (!isMap(node)) {
        terror(ctx, node, type.name, terrors);
        return;
      }
      const seen = new Map<string, number>();
      for (const pair of entries(ctx, node)) {
        const key = pair.key;
        const name = isScalar(key) ? scalarText(key) : '';
        const previous = seen.get(name);
        if (previous !== undefined) {
          terrors.push(`line ${lineOf(ctx, key)}: mapping key ${goQuote(name)} already defined at line ${previous}`);
          continue;
        }
        seen.set(name, lineOf(ctx, key));
        const field = type.fields[name];
        if (!field) {
          if (knownFields) terrors.push(`line ${lineOf(ctx, key)}: field ${name} not found in type ${type.name}`);
          continue;
        }
        if (pair.value !== null) decode(ctx, pair.value, field, knownFields, terrors);
      }
      return;
    }
    case 'slice':
      if (!isSeq(node)) {
        terror(ctx, node, type.name, terrors);
        return;
      }
      for (const item of node.items) decode(ctx, item as Node, type.elem, knownFields, terrors);
      return;
    case 'map': {
      if (!isMap(node)) {
        terror(ctx, node, type.name, terrors);
        return;
      }
      const seen = new Map<string, number>();
      for (const pair of entries(ctx, node)) {
        const key = pair.key;
        if (!isScalar(key)) {
          terror(ctx, key, 'string', terrors);
          continue;
        }
        const name = scalarText(key);
        const previous = seen.get(name);
        if (previous !== undefined) {
          terrors.push(`line ${lineOf(ctx, key)}: mapping key ${goQuote(name)} already defined at line ${previous}`);
          continue;
        }
        seen.set(name, lineOf(ctx, key));
        if (pair.value !== null) decode(ctx, pair.value, STRING, knownFields, terrors);
      }
      return;
    }
    case 'string':
      if (!isScalar(node)) terror(ctx, node, 'string', terrors);
      return;
    case 'int': {
      if (!isScalar(node)) {
        terror(ctx, node, 'int', terrors);
        return;
      }
      const tag = scalarTag(node);
      if (tag === '!!int' || (tag === '!!float' && Number.isFinite(Number(scalarText(node).replaceAll('_', '')))))
        return;
      terror(ctx, node, 'int', terrors);
      return;
    }
    case 'duration':
    case 'durationPointer': {
      // model.Duration's UnmarshalYAML: a string, then ParseDuration, whose error ends the decode.
      if (!isScalar(node)) {
        terror(ctx, node, 'string', terrors);
        return;
      }
      try {
        parseDuration(scalarText(node));
      } catch (err) {
        throw new DecodeAbort((err as Error).message);
      }
      return;
    }
  }
}

/**
 * A mapping's entries as go-yaml sees them: `<<: *anchor` (or a list of anchors) merges the
 * referenced mappings' entries in first, and the mapping's own keys override them.
 */
function entries(ctx: DocContext, map: YAMLMap): Array<{ key: Node; value: Node | null }> {
  const merged: Array<{ key: Node; value: Node | null }> = [];
  const own: Array<{ key: Node; value: Node | null }> = [];
  for (const pair of map.items) {
    const key = deref(ctx, pair.key as Node);
    // With merge keys on, the yaml library holds `<<` as a symbol; its source is still `<<`.
    if (isScalar(key) && key.source === '<<' && key.type === 'PLAIN' && pair.value !== null) {
      const source = deref(ctx, pair.value as Node);
      const maps = isSeq(source) ? source.items.map((i) => deref(ctx, i as Node)) : [source];
      for (const m of maps) if (isMap(m)) merged.push(...entries(ctx, m));
      continue;
    }
    own.push({ key, value: pair.value as Node | null });
  }
  const ownNames = new Set(own.map((e) => (isScalar(e.key) ? scalarText(e.key) : '')));
  return [...merged.filter((e) => !(isScalar(e.key) && ownNames.has(scalarText(e.key)))), ...own];
}

// ---- reading the decoded groups ----

function field(ctx: DocContext, map: YAMLMap, name: string): Node | undefined {
  for (const pair of entries(ctx, map)) {
    if (isScalar(pair.key) && scalarText(pair.key) === name)
      return pair.value === null ? undefined : deref(ctx, pair.value);
  }
  return undefined;
}

function text(ctx: DocContext, map: YAMLMap, name: string): string {
  const node = field(ctx, map, name);
  return node && isScalar(node) && !isNull(node) ? scalarText(node) : '';
}

function duration(ctx: DocContext, map: YAMLMap, name: string): number | undefined {
  const node = field(ctx, map, name);
  return node && isScalar(node) && !isNull(node) ? parseDuration(scalarText(node)) : undefined;
}

function stringMap(ctx: DocContext, map: YAMLMap, name: string): Record<string, string> {
  const node = field(ctx, map, name);
  const out: Record<string, string> = {};
  if (!node || !isMap(node)) return out;
  for (const pair of entries(ctx, node)) {
    const key = pair.key;
    const value = pair.value === null ? undefined : deref(ctx, pair.value);
    out[isScalar(key) ? scalarText(key) : ''] = value && isScalar(value) && !isNull(value) ? scalarText(value) : '';
  }
  return out;
}

function items(ctx: DocContext, node: Node | undefined): YAMLMap[] {
  if (!node || !isSeq(node)) return [];
  return node.items.map((i) => deref(ctx, i as Node)).map((n) => (isMap(n) ? n : undefined)) as YAMLMap[];
}

function readGroups(ctx: DocContext, root: Node | null, file: string): RuleGroup[] {
  if (root === null || !isMap(root)) return [];
  return items(ctx, field(ctx, root, 'groups')).map((g) => {
    if (g === undefined) return { file, name: '', intervalMs: 0, limit: 0, labels: {}, rules: [] };
    const limitNode = field(ctx, g, 'limit');
    const limitText =
      limitNode && isScalar(limitNode) && !isNull(limitNode) ? scalarText(limitNode).replaceAll('_', '') : '';
    const queryOffsetMs = duration(ctx, g, 'query_offset');
    return {
      file,
      name: text(ctx, g, 'name'),
      intervalMs: duration(ctx, g, 'interval') ?? 0,
      ...(queryOffsetMs !== undefined && { queryOffsetMs }),
      limit: limitText ? Math.trunc(Number(limitText)) : 0,
      labels: stringMap(ctx, g, 'labels'),
      rules: items(ctx, field(ctx, g, 'rules')).map((r): Rule => {
        if (r === undefined)
          return { name: '', kind: 'record', expr: '', forMs: 0, keepFiringForMs: 0, labels: {}, annotations: {} };
        const record = text(ctx, r, 'record');
        return {
          name: record || text(ctx, r, 'alert'),
          kind: record ? 'record' : 'alert',
          expr: text(ctx, r, 'expr'),
          forMs: duration(ctx, r, 'for') ?? 0,
          keepFiringForMs: duration(ctx, r, 'keep_firing_for') ?? 0,
          labels: stringMap(ctx, r, 'labels'),
          annotations: stringMap(ctx, r, 'annotations'),
        };
      }),
    };
  });
}

// ---- rulefmt's Validate ----

/** model.LabelName.IsValid under Prometheus 3's UTF-8 scheme. */
const isValidLabelName = (name: string) => name.length > 0 && wellFormed(name);

/** Valid UTF-16 (no lone surrogate): what a Go string of valid UTF-8 becomes. */
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

function validate(ctx: DocContext, root: Node | null, groups: RuleGroup[]): string[] {
  const errs: string[] = [];
  if (root === null || !isMap(root)) return errs;
  const groupNodes = items(ctx, field(ctx, root, 'groups'));
  const seen = new Set<string>();
  groups.forEach((g, j) => {
    // go-yaml leaves the group node's embedded position empty: upstream prints 0:0.
    if (g.name === '') errs.push('0:0: Groupname must not be empty');
    if (seen.has(g.name)) errs.push(`0:0: groupname: "${g.name}" is repeated in the same file`);
    for (const [k, v] of Object.entries(g.labels)) {
      if (!isValidLabelName(k) || k === '__name__') errs.push(`invalid label name: ${k}`);
      if (!wellFormed(v)) errs.push(`invalid label value: ${v}`);
    }
    seen.add(g.name);
    const ruleNodes = items(ctx, groupNodes[j] ? field(ctx, groupNodes[j], 'rules') : undefined);
    g.rules.forEach((r, i) => {
      const node = ruleNodes[i];
      const at = (name: string) => {
        const n = node ? field(ctx, node, name) : undefined;
        if (!n?.range) return '0:0';
        const pos = ctx.lines.linePos(n.range[0]);
        return `${pos.line}:${pos.col}`;
      };
      const record = node ? text(ctx, node, 'record') : '';
      const alert = node ? text(ctx, node, 'alert') : '';
      const prefix = `group ${goQuote(g.name)}, rule ${i + 1}, ${goQuote(alert !== '' ? alert : record)}`;
      for (const { where, message } of validateRule(r, record, alert, at))
        errs.push(where ? `${where}: ${prefix}: ${message}` : `${prefix}: ${message}`);
    });
  });
  return errs;
}

function validateRule(
  r: Rule,
  record: string,
  alert: string,
  at: (field: string) => string,
): Array<{ where?: string; message: string }> {
  const out: Array<{ where?: string; message: string }> = [];
  if (record !== '' && alert !== '')
    out.push({ where: `${at('record')}: ${at('alert')}`, message: "only one of 'record' and 'alert' must be set" });
  if (record === '' && alert === '')
    out.push({ where: `${at('record')}: ${at('alert')}`, message: "one of 'record' or 'alert' must be set" });
  if (r.expr === '') out.push({ where: at('expr'), message: "field 'expr' must be set in rule" });
  else {
    try {
      parseExpr(r.expr);
    } catch (err) {
      out.push({ where: at('expr'), message: `could not parse expression: ${(err as Error).message}` });
    }
  }
  if (record !== '') {
    if (Object.keys(r.annotations).length > 0)
      out.push({ where: at('record'), message: "invalid field 'annotations' in recording rule" });
    if (r.forMs !== 0) out.push({ where: at('record'), message: "invalid field 'for' in recording rule" });
    if (r.keepFiringForMs !== 0)
      out.push({ where: at('record'), message: "invalid field 'keep_firing_for' in recording rule" });
    if (!isValidLabelName(record)) out.push({ where: at('record'), message: `invalid recording rule name: ${record}` });
    if (record.includes('{') || record.includes('}'))
      out.push({
        where: at('record'),
        message: `braces present in the recording rule name; should it be in expr?: ${record}`,
      });
  }
  for (const [k, v] of Object.entries(r.labels)) {
    if (!isValidLabelName(k) || k === '__name__') out.push({ message: `invalid label name: ${k}` });
    if (!wellFormed(v)) out.push({ message: `invalid label value: ${v}` });
  }
  for (const k of Object.keys(r.annotations)) {
    if (!isValidLabelName(k)) out.push({ message: `invalid annotation name: ${k}` });
  }
  if (alert !== '') {
    // The templates of an alerting rule must parse (they are expanded at every evaluation).
    const check = (what: string, k: string, v: string) => {
      try {
        parseTemplateTest(`__alert_${alert}`, ALERT_TEMPLATE_DEFS + v);
      } catch (err) {
        out.push({ message: `${what} ${goQuote(k)}: ${(err as Error).message}` });
      }
    };
    for (const [k, v] of Object.entries(r.labels)) check('label', k, v);
    for (const [k, v] of Object.entries(r.annotations)) check('annotation', k, v);
  }
  return out;
}
