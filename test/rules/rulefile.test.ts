/**
 * Rule files read as upstream's rulefmt reads them. The corpus under test/fixtures/rules/check
 * (with promtool 3.5's own output for each file) is checked end to end by promtool-rules.test.ts;
 * these are the parser's results and its refusals, one behaviour each.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkRuleFiles, loadRuleGroups, parseRuleFile, parseRules } from '../../src/rules/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'miniprom-rules-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = `groups:
  - name: example
    interval: 30s
    query_offset: 1m
    limit: 5
    labels: { team: a }
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: Down
        expr: up == 0
        for: 1m
        keep_firing_for: 2m
        labels: { severity: page }
        annotations: { summary: 'down: {{ $labels.instance }}' }
`;

describe('rule files', () => {
  it('parses groups of recording and alerting rules with every field', () => {
    const [group] = parseRuleFile(GOOD, 'r.yml');
    expect(group).toEqual({
      file: 'r.yml',
      name: 'example',
      intervalMs: 30_000,
      queryOffsetMs: 60_000,
      limit: 5,
      labels: { team: 'a' },
      rules: [
        {
          name: 'job:up:sum',
          kind: 'record',
          expr: 'sum by (job) (up)',
          forMs: 0,
          keepFiringForMs: 0,
          labels: {},
          annotations: {},
        },
        {
          name: 'Down',
          kind: 'alert',
          expr: 'up == 0',
          forMs: 60_000,
          keepFiringForMs: 120_000,
          labels: { severity: 'page' },
          annotations: { summary: 'down: {{ $labels.instance }}' },
        },
      ],
    });
  });

  it('leaves query_offset unset when a group has none (the global rule_query_offset applies)', () => {
    const [group] = parseRuleFile('groups:\n  - name: a\n    rules: []\n', 'r.yml');
    expect(group).not.toHaveProperty('queryOffsetMs');
  });

  it.each([
    [
      'groups:\n  - name: a\n    rulez: []\n',
      'yaml: unmarshal errors:\n  line 3: field rulez not found in type rulefmt.RuleGroup',
    ],
    ['groups:\n  - name: a\n  - name: a\n', '0:0: groupname: "a" is repeated in the same file'],
    ['groups:\n  - rules: []\n', '0:0: Groupname must not be empty'],
    [
      'groups:\n  - name: a\n    rules:\n      - expr: up\n',
      `0:0: 0:0: group "a", rule 1, "": one of 'record' or 'alert' must be set`,
    ],
    [
      'groups:\n  - name: a\n    rules:\n      - record: x\n        alert: y\n        expr: up\n',
      `4:17: 5:16: group "a", rule 1, "y": only one of 'record' and 'alert' must be set`,
    ],
    [
      'groups:\n  - name: a\n    rules:\n      - record: x\n',
      `0:0: group "a", rule 1, "x": field 'expr' must be set in rule`,
    ],
    [
      'groups:\n  - name: a\n    rules:\n      - record: x\n        expr: up +\n',
      '5:15: group "a", rule 1, "x": could not parse expression: 1:5: parse error: unexpected end of input',
    ],
    [
      'groups:\n  - name: a\n    rules:\n      - record: x\n        expr: up\n        for: 1m\n',
      `4:17: group "a", rule 1, "x": invalid field 'for' in recording rule`,
    ],
    [
      'groups:\n  - name: a\n    rules:\n      - alert: x\n        expr: up\n        labels: { __name__: y }\n',
      'group "a", rule 1, "x": invalid label name: __name__',
    ],
    [
      'groups:\n  - name: a\n    rules:\n      - alert: x\n        expr: up\n        annotations: { s: "{{ $label.a }}" }\n',
      'group "a", rule 1, "x": annotation "s": template: __alert_x:1: undefined variable "$label"',
    ],
    ['groups:\n  - name: a\n    interval: 1 minute\n', 'unknown unit " minute" in duration "1 minute"'],
    [
      'groups:\n  - name: a\n    name: b\n',
      'yaml: unmarshal errors:\n  line 3: mapping key "name" already defined at line 2',
    ],
    [
      'groups:\n  - name: a\n    limit: abc\n',
      'yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `abc` into int',
    ],
  ])("refuses %j with upstream's message", (text, message) => {
    expect(parseRules(text, 'r.yml').errors).toContain(message);
  });

  it('accepts any UTF-8 name and label name, as Prometheus 3 does', () => {
    expect(
      parseRules(
        'groups:\n  - name: a\n    rules:\n      - record: 1bad\n        expr: up\n        labels: { 0x: y }\n',
        'r.yml',
      ).errors,
    ).toEqual([]);
  });

  it('reports a bad value twice, as upstream decodes the file twice', () => {
    expect(parseRules('groups:\n  - name: a\n    interval: 5\n', 'r.yml').errors).toEqual([
      'not a valid duration string: "5"',
      'not a valid duration string: "5"',
    ]);
  });

  it('skips unknown fields when asked (promtool --ignore-unknown-fields)', () => {
    const text = 'groups:\n  - name: a\n    owner: b\n    rules: []\n';
    expect(parseRules(text, 'r.yml').errors).toHaveLength(1);
    expect(parseRules(text, 'r.yml', { ignoreUnknownFields: true }).errors).toEqual([]);
  });
});

describe('loading rule files', () => {
  it('expands glob patterns like filepath.Glob, in sorted order', () => {
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'b.rules.yml'), 'groups:\n  - name: b\n');
    writeFileSync(join(dir, 'rules', 'a.rules.yml'), 'groups:\n  - name: a\n');
    writeFileSync(join(dir, 'rules', 'ignored.txt'), 'not yaml: [');
    expect(loadRuleGroups([join(dir, 'rules', '*.rules.yml')]).map((g) => g.name)).toEqual(['a', 'b']);
  });

  it('accepts a pattern that matches nothing, but not a missing literal file', () => {
    expect(loadRuleGroups([join(dir, '*.yml')])).toEqual([]);
    const missing = join(dir, 'missing.yml');
    expect(() => loadRuleGroups([missing])).toThrow(`${missing}: open ${missing}: no such file or directory`);
  });

  it('rejects a malformed pattern', () => {
    expect(() => loadRuleGroups([join(dir, '[.yml')])).toThrow('syntax error in pattern');
  });

  it("checks the rule files before startup with upstream's ParseFiles message", () => {
    writeFileSync(join(dir, 'bad.yml'), 'groups:\n  - name: a\n    rulez: []\n');
    expect(() => checkRuleFiles([join(dir, '*.yml')])).toThrow(
      `parse rules from file ${JSON.stringify(join(dir, 'bad.yml'))} (pattern: ${JSON.stringify(join(dir, '*.yml'))}): ${join(dir, 'bad.yml')}: yaml: unmarshal errors:\n  line 3: field rulez not found in type rulefmt.RuleGroup`,
    );
  });
});
