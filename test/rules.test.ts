import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/index.js';
import { createRuleManager, loadRuleGroups, parseRuleFile, rulesDiscovery } from '../src/rules/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'miniprom-rules-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = `groups:
  - name: example
    interval: 30s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: Down
        expr: up == 0
        for: 1m
        labels: { severity: page }
        annotations: { summary: down }
`;

describe('rule files', () => {
  it('parses groups of recording and alerting rules', () => {
    const [group] = parseRuleFile(GOOD, 'r.yml');
    expect(group).toMatchObject({ name: 'example', intervalMs: 30_000 });
    expect(group?.rules).toEqual([
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
        keepFiringForMs: 0,
        labels: { severity: 'page' },
        annotations: { summary: 'down' },
      },
    ]);
  });

  it.each([
    ['groups:\n  - name: a\n    rulez: []\n', 'r.yml:3:5: field rulez not found in rule group'],
    ['groups:\n  - name: a\n  - name: a\n', 'r.yml:3:11: groupname: "a" is repeated in the same file'],
    ['groups:\n  - name: a\n    rules:\n      - expr: up\n', "one of 'record' or 'alert' must be set"],
    [
      'groups:\n  - name: a\n    rules:\n      - record: x\n        alert: y\n        expr: up\n',
      "only one of 'record' and 'alert' must be set",
    ],
    ['groups:\n  - name: a\n    rules:\n      - record: x\n', "field 'expr' must be set in rule"],
    ['groups:\n  - name: a\n    rules:\n      - record: 1bad\n        expr: up\n', 'invalid recording rule name: 1bad'],
    [
      'groups:\n  - name: a\n    rules:\n      - record: x\n        expr: up\n        for: 1m\n',
      "invalid field 'for' in recording rule",
    ],
    [
      'groups:\n  - name: a\n    rules:\n      - alert: x\n        expr: up\n        labels: { 0x: y }\n',
      'invalid label name: 0x',
    ],
    ['groups:\n  - name: a\n    interval: 1 minute\n', 'unknown unit " minute" in duration "1 minute"'],
    ['groups:\n  - name: a\n    name: b\n', 'r.yml:3:5: Map keys must be unique'],
  ])('rejects %j with %j', (text, message) => {
    expect(() => parseRuleFile(text, 'r.yml')).toThrow(message);
  });
});

describe('loadRuleGroups', () => {
  it('expands glob patterns like filepath.Glob, in sorted order', () => {
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'b.rules.yml'), 'groups:\n  - name: b\n');
    writeFileSync(join(dir, 'rules', 'a.rules.yml'), 'groups:\n  - name: a\n');
    writeFileSync(join(dir, 'rules', 'ignored.txt'), 'not yaml: [');
    expect(loadRuleGroups([join(dir, 'rules', '*.rules.yml')]).map((g) => g.name)).toEqual(['a', 'b']);
  });

  it('accepts a pattern that matches nothing, but not a missing literal file', () => {
    expect(loadRuleGroups([join(dir, '*.yml')])).toEqual([]);
    expect(() => loadRuleGroups([join(dir, 'missing.yml')])).toThrow('missing.yml: no such file or directory');
  });

  it('rejects a malformed pattern', () => {
    expect(() => loadRuleGroups([join(dir, '[.yml')])).toThrow('syntax error in pattern');
  });
});

describe('rule manager', () => {
  it('keeps its groups when a reload fails to prepare', () => {
    writeFileSync(join(dir, 'good.yml'), GOOD);
    writeFileSync(join(dir, 'bad.yml'), 'groups:\n  - rules: []\n');
    const rm = createRuleManager({ logger: pino({ level: 'silent' }) });
    rm.prepare({ ruleFiles: [join(dir, 'good.yml')] } as Config)();
    expect(() => rm.prepare({ ruleFiles: [join(dir, 'bad.yml')] } as Config)).toThrow('groupname must not be empty');
    expect(rm.groups().map((g) => g.name)).toEqual(['example']);
  });

  it('runs until stopped', async () => {
    const rm = createRuleManager({ logger: pino({ level: 'silent' }) });
    const running = rm.run();
    await rm.stop();
    await expect(running).resolves.toBeUndefined();
  });
});

describe('GET /api/v1/rules shape', () => {
  it("shows groups and rules in upstream's format, as upstream shows rules never evaluated", () => {
    const groups = [
      ...parseRuleFile(GOOD, 'r.yml'),
      ...parseRuleFile('groups:\n  - name: plain\n    rules: []\n', 's.yml'),
    ];
    const never = '0001-01-01T00:00:00Z';
    expect(rulesDiscovery(groups, 15_000)).toEqual({
      groups: [
        {
          name: 'example',
          file: 'r.yml',
          rules: [
            {
              name: 'job:up:sum',
              query: 'sum by (job) (up)',
              labels: {},
              health: 'unknown',
              evaluationTime: 0,
              lastEvaluation: never,
              type: 'recording',
            },
            {
              state: 'inactive',
              name: 'Down',
              query: 'up == 0',
              duration: 60,
              keepFiringFor: 0,
              labels: { severity: 'page' },
              annotations: { summary: 'down' },
              alerts: [],
              health: 'unknown',
              evaluationTime: 0,
              lastEvaluation: never,
              type: 'alerting',
            },
          ],
          interval: 30,
          limit: 0,
          evaluationTime: 0,
          lastEvaluation: never,
        },
        // No interval of its own: global.evaluation_interval, in seconds.
        { name: 'plain', file: 's.yml', rules: [], interval: 15, limit: 0, evaluationTime: 0, lastEvaluation: never },
      ],
    });
  });
});
