/**
 * Rule groups and their rules, evaluated at chosen times over an in-memory storage with the real
 * engine: recording rules, the alert state machine (pending, firing, keep_firing_for, resolved),
 * templates, ALERTS and ALERTS_FOR_STATE, staleness, limits, restoring `for` state, reloads
 * keeping state, and the evaluation loop's slots and missed iterations.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PromQLEngine } from '../../src/promql/index.js';
import {
  type Alert,
  type AlertingRule,
  type BaseRule,
  buildGroups,
  engineQueryFunc,
  type Group,
  type GroupContext,
  type Nanos,
  parseRuleFile,
  sendAlerts,
} from '../../src/rules/index.js';
import { type Appendable, isStaleNaN, type Labels } from '../../src/storage/index.js';
import { MemoryStorage } from '../promql/memory-storage.js';

const logger = pino({ level: 'silent' });
const S = 1_000_000_000n;
const sec = (n: number): Nanos => BigInt(n) * S;

/** MemoryStorage as the appendable the rule manager writes to (out-of-order samples refused). */
function appendableOf(db: MemoryStorage): Appendable {
  return {
    appender() {
      const batch: Array<[Labels, number, number]> = [];
      return {
        append(labels, t, v) {
          batch.push([labels, t, v]);
          return undefined;
        },
        async commit() {
          for (const [l, t, v] of batch.splice(0)) db.append(l, t, v);
        },
        rollback() {
          batch.length = 0;
        },
      };
    },
  };
}

interface Setup {
  db: MemoryStorage;
  groups: Group[];
  sent: Alert[][];
  ctx: GroupContext;
  registry: Registry;
}

function setup(
  rules: string,
  o: {
    shouldRestore?: boolean;
    externalLabels?: Record<string, string>;
    db?: MemoryStorage;
    ctx?: Partial<GroupContext>;
  } = {},
): Setup {
  const db = o.db ?? new MemoryStorage();
  const sent: Alert[][] = [];
  const engine = new PromQLEngine({});
  const registry = new Registry();
  const ctx: GroupContext = {
    logger,
    query: engineQueryFunc(engine, db),
    appendable: appendableOf(db),
    queryable: db,
    notify: (_expr, alerts) => {
      if (alerts.length > 0) sent.push(alerts);
    },
    resendDelay: sec(60),
    outageTolerance: sec(3600),
    forGracePeriod: sec(600),
    defaultQueryOffset: () => 0n,
    now: () => 0n,
    ...o.ctx,
  };
  const groups = buildGroups(
    parseRuleFile(rules, '/rules.yml'),
    {
      defaultIntervalMs: 60_000,
      externalLabels: o.externalLabels ?? {},
      externalURL: 'http://prom.example:9090',
      shouldRestore: o.shouldRestore ?? false,
      logger,
    },
    ctx,
  );
  return { db, groups, sent, ctx, registry };
}

/** The samples of the series exactly matching `labels`, at or before `t` (ms). */
function samples(db: MemoryStorage, labels: Labels, upTo = Number.MAX_SAFE_INTEGER): Array<[number, number]> {
  const matchers = Object.entries(labels).map(([name, value]) => ({ type: '=' as const, name, value }));
  const out: Array<[number, number]> = [];
  for (const s of db.querier(0, upTo).select(matchers)) {
    if (Object.keys(s.labels).length !== Object.keys(labels).length) continue;
    for (const it = s.iterator(); it.next(); ) out.push([it.t, it.v]);
  }
  return out;
}

const group = (s: Setup) => s.groups[0] as Group;
const rule = (s: Setup, i = 0) => group(s).rules[i] as BaseRule;
const alertingRule = (s: Setup, i = 0) => rule(s, i) as AlertingRule;

describe('recording rules', () => {
  it('records the result under the rule name with its labels, at the evaluation time', async () => {
    const s = setup(
      'groups:\n  - name: g\n    rules:\n      - record: job:x:sum\n        expr: sum by (job) (x)\n        labels: { src: rule }\n',
    );
    s.db.append({ __name__: 'x', job: 'a', i: '1' }, 0, 1);
    s.db.append({ __name__: 'x', job: 'a', i: '2' }, 0, 2);
    await group(s).eval(sec(10));
    expect(samples(s.db, { __name__: 'job:x:sum', job: 'a', src: 'rule' })).toEqual([[10_000, 3]]);
    expect(rule(s).health).toBe('ok');
  });

  it('marks a series stale once the rule stops producing it', async () => {
    const s = setup('groups:\n  - name: g\n    rules:\n      - record: r\n        expr: x\n');
    s.db.append({ __name__: 'x', k: 'a' }, 0, 1);
    s.db.append({ __name__: 'x', k: 'b' }, 0, 1);
    s.db.append({ __name__: 'x', k: 'b' }, 400_000, 1);
    await group(s).eval(sec(10));
    // At 400s the sample of k="a" is out of the 5m lookback: only k="b" remains.
    await group(s).eval(sec(400));
    const a = samples(s.db, { __name__: 'r', k: 'a' });
    expect(a[0]).toEqual([10_000, 1]);
    expect(a[1]?.[0]).toBe(400_000);
    expect(isStaleNaN(a[1]?.[1] as number)).toBe(true);
  });

  it('fails, with health err and the last error, when two results get the same labels', async () => {
    const s = setup(
      'groups:\n  - name: g\n    rules:\n      - record: r\n        expr: x\n        labels: { k: same }\n',
    );
    s.db.append({ __name__: 'x', k: 'a' }, 0, 1);
    s.db.append({ __name__: 'x', k: 'b' }, 0, 1);
    await group(s).eval(sec(10));
    expect(rule(s).health).toBe('err');
    expect(rule(s).lastError).toBe('vector contains metrics with the same labelset after applying rule labels');
  });

  it("fails when the result has more series than the group's limit", async () => {
    const s = setup('groups:\n  - name: g\n    limit: 1\n    rules:\n      - record: r\n        expr: x\n');
    s.db.append({ __name__: 'x', k: 'a' }, 0, 1);
    s.db.append({ __name__: 'x', k: 'b' }, 0, 1);
    await group(s).eval(sec(10));
    expect(rule(s).lastError).toBe('exceeded limit of 1 with 2 series');
  });

  it("reports a failing query as the rule's error and goes on with the next rule", async () => {
    const s = setup(
      'groups:\n  - name: g\n    rules:\n      - record: bad\n        expr: x + on() y\n      - record: good\n        expr: vector(1)\n',
    );
    s.db.append({ __name__: 'x', k: 'a' }, 0, 1);
    s.db.append({ __name__: 'y', k: 'a' }, 0, 1);
    s.db.append({ __name__: 'y', k: 'b' }, 0, 1);
    await group(s).eval(sec(10));
    expect(rule(s, 0).health).toBe('err');
    expect(rule(s, 0).lastError).toMatch(/^found duplicate series for the match group \{\} on the right hand-side/);
    expect(rule(s, 1).health).toBe('ok');
  });

  it("evaluates at the evaluation time minus the group's query_offset", async () => {
    const s = setup(
      'groups:\n  - name: g\n    query_offset: 30s\n    rules:\n      - record: r\n        expr: time()\n',
    );
    await group(s).eval(sec(100));
    expect(samples(s.db, { __name__: 'r' })).toEqual([[70_000, 70]]);
  });

  it('uses the global rule_query_offset for a group without its own', async () => {
    const s = setup('groups:\n  - name: g\n    rules:\n      - record: r\n        expr: time()\n', {
      ctx: { defaultQueryOffset: () => sec(20) },
    });
    await group(s).eval(sec(100));
    expect(samples(s.db, { __name__: 'r' })).toEqual([[80_000, 80]]);
  });
});

const ALERT = `groups:
  - name: g
    rules:
      - alert: High
        expr: x > 1
        for: 2m
        labels: { severity: page, instance: '{{ $labels.k }}-x' }
        annotations:
          summary: '{{ $labels.k }} is {{ $value }} ({{ $externalLabels.dc }}, {{ $externalURL }})'
`;

describe('alerting rules', () => {
  it('goes pending, then firing once the condition held for `for`, and sends only firing alerts', async () => {
    const s = setup(ALERT, { externalLabels: { dc: 'eu' } });
    s.db.append({ __name__: 'x', k: 'a' }, 0, 5);
    await group(s).eval(sec(0));
    expect(alertingRule(s).state()).toBe('pending');
    expect(s.sent).toEqual([]);
    await group(s).eval(sec(60));
    expect(alertingRule(s).state()).toBe('pending');
    await group(s).eval(sec(120));
    expect(alertingRule(s).state()).toBe('firing');
    const [firing] = alertingRule(s).activeAlerts();
    expect(firing).toMatchObject({
      state: 'firing',
      labels: { alertname: 'High', instance: 'a-x', k: 'a', severity: 'page' },
      annotations: { summary: 'a is 5 (eu, http://prom.example:9090)' },
      activeAt: 0n,
      firedAt: sec(120),
      value: 5,
    });
    expect(s.sent).toHaveLength(1);
  });

  it('writes ALERTS and ALERTS_FOR_STATE for active alerts once restored', async () => {
    const s = setup(ALERT);
    s.db.append({ __name__: 'x', k: 'a' }, 0, 5);
    await group(s).eval(sec(10));
    const labels = { alertname: 'High', instance: 'a-x', k: 'a', severity: 'page' };
    expect(samples(s.db, { __name__: 'ALERTS', alertstate: 'pending', ...labels })).toEqual([[10_000, 1]]);
    expect(samples(s.db, { __name__: 'ALERTS_FOR_STATE', ...labels })).toEqual([[10_000, 10]]);
  });

  it('writes no ALERTS before its `for` state is restored', async () => {
    const s = setup(ALERT, { shouldRestore: true });
    s.db.append({ __name__: 'x', k: 'a' }, 0, 5);
    await group(s).eval(sec(10));
    expect(samples(s.db, { __name__: 'ALERTS', alertstate: 'pending' }).length).toBe(0);
  });

  it('resolves when the condition clears, sends the resolution, and keeps it for 15 minutes', async () => {
    const s = setup('groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: x > 1\n');
    s.db.append({ __name__: 'x' }, 0, 5);
    await group(s).eval(sec(0));
    expect(alertingRule(s).state()).toBe('firing');
    s.db.append({ __name__: 'x' }, 30_000, 0);
    await group(s).eval(sec(60));
    expect(alertingRule(s).state()).toBe('inactive');
    expect(alertingRule(s).activeAlerts()).toEqual([]);
    expect(s.sent.at(-1)?.[0]).toMatchObject({ state: 'inactive', resolvedAt: sec(60) });
    await group(s).eval(sec(60 + 15 * 60));
    expect(alertingRule(s).active.size).toBe(1);
    await group(s).eval(sec(60 + 15 * 60 + 1));
    expect(alertingRule(s).active.size).toBe(0);
  });

  it('keeps firing for keep_firing_for after the condition clears', async () => {
    const s = setup(
      'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: x > 1\n        keep_firing_for: 2m\n',
    );
    s.db.append({ __name__: 'x' }, 0, 5);
    await group(s).eval(sec(0));
    s.db.append({ __name__: 'x' }, 30_000, 0);
    await group(s).eval(sec(60));
    expect(alertingRule(s).activeAlerts()[0]).toMatchObject({ state: 'firing', keepFiringSince: sec(60) });
    await group(s).eval(sec(179));
    expect(alertingRule(s).state()).toBe('firing');
    await group(s).eval(sec(180));
    expect(alertingRule(s).state()).toBe('inactive');
  });

  it('fires with the error as the text when a template fails', async () => {
    const s = setup(
      'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: vector(1)\n        annotations: { a: "{{ query \\"x +\\" }}" }\n',
    );
    await group(s).eval(sec(0));
    const [a] = alertingRule(s).activeAlerts();
    expect(a?.state).toBe('firing');
    expect(a?.annotations.a).toMatch(
      /^<error expanding template: error executing template __alert_A: template: __alert_A:1:\d+: executing "__alert_A" at <query "x \+">: error calling query: 1:4: parse error: unexpected end of input>$/,
    );
  });

  it('resends a firing alert only after the resend delay', async () => {
    const s = setup('groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: vector(1)\n');
    await group(s).eval(sec(0));
    await group(s).eval(sec(30));
    await group(s).eval(sec(61));
    expect(s.sent.length).toBe(2);
    expect(s.sent[1]?.[0]?.validUntil).toBe(sec(61 + 4 * 60));
  });

  it('fails when it has more alerts than the limit, and forgets them', async () => {
    const s = setup('groups:\n  - name: g\n    limit: 1\n    rules:\n      - alert: A\n        expr: x\n');
    s.db.append({ __name__: 'x', k: 'a' }, 0, 1);
    s.db.append({ __name__: 'x', k: 'b' }, 0, 1);
    await group(s).eval(sec(10));
    expect(rule(s).lastError).toBe('exceeded limit of 1 with 2 alerts');
    expect(alertingRule(s).active.size).toBe(0);
  });

  it('restores `for` from ALERTS_FOR_STATE after a restart, shifted by the downtime', async () => {
    const rules = 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: x > 1\n        for: 30m\n';
    const before = setup(rules);
    before.db.append({ __name__: 'x' }, 0, 5);
    for (let t = 0; t <= 600; t += 60) {
      before.db.append({ __name__: 'x' }, t * 1000 + 1, 5);
      await group(before).eval(sec(t));
    }
    // Down from 600s to 900s; pending for 10 of its 30 minutes when it went down.
    const after = setup(rules, { shouldRestore: true, db: before.db });
    before.db.append({ __name__: 'x' }, 900_000, 5);
    await group(after).eval(sec(900));
    await group(after).restoreForState(sec(900));
    expect(alertingRule(after).restored).toBe(true);
    // activeAt 0 + 300s of downtime: 20 minutes of `for` remain.
    expect(alertingRule(after).activeAlerts()[0]?.activeAt).toBe(sec(300));
  });

  it('keeps at least the grace period before a restored alert fires', async () => {
    const rules = 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: x > 1\n        for: 30m\n';
    const before = setup(rules);
    for (let t = 0; t <= 1740; t += 60) {
      before.db.append({ __name__: 'x' }, t * 1000 + 1, 5);
      await group(before).eval(sec(t));
    }
    // Down at 1740s, 1 minute before firing; back at 1800s.
    const after = setup(rules, { shouldRestore: true, db: before.db });
    before.db.append({ __name__: 'x' }, 1_800_000, 5);
    await group(after).eval(sec(1800));
    await group(after).restoreForState(sec(1800));
    // Fires at restart + 10m (the grace period): activeAt = 1800 + 600 − 1800.
    expect(alertingRule(after).activeAlerts()[0]?.activeAt).toBe(sec(600));
  });
});

describe('sending', () => {
  it("turns alerts into Alertmanager's postable alerts, with a link to the expression", () => {
    const posted: unknown[] = [];
    const notify = sendAlerts((a) => posted.push(...a), 'http://prom:9090/p');
    notify('up == 0', [
      {
        state: 'firing',
        labels: { alertname: 'A' },
        annotations: { s: 'x' },
        value: 1,
        activeAt: 0n,
        firedAt: sec(100),
        validUntil: sec(340),
      },
    ]);
    notify('up == 0', []);
    expect(posted).toEqual([
      {
        labels: { alertname: 'A' },
        annotations: { s: 'x' },
        startsAt: '1970-01-01T00:01:40.000Z',
        endsAt: '1970-01-01T00:05:40.000Z',
        generatorURL: 'http://prom:9090/p/graph?g0.expr=up+%3D%3D+0&g0.tab=1',
      },
    ]);
  });
});

describe('reloads', () => {
  it("hands an alert's state and `for` clock to the same rule in the new group", async () => {
    const s = setup(ALERT);
    s.db.append({ __name__: 'x', k: 'a' }, 0, 5);
    await group(s).eval(sec(0));
    const reloaded = setup(`${ALERT}      - record: extra\n        expr: vector(1)\n`, { db: s.db });
    expect(group(reloaded).equals(group(s))).toBe(false);
    group(reloaded).copyState(group(s));
    expect(alertingRule(reloaded).activeAlerts()[0]?.activeAt).toBe(0n);
  });

  it('sees an unchanged group as equal, so it keeps running untouched', () => {
    expect(group(setup(ALERT)).equals(group(setup(ALERT)))).toBe(true);
  });
});

describe('the evaluation loop', () => {
  it("slots evaluations by the group's hash, within one interval before the start", () => {
    const g = group(setup('groups:\n  - name: g\n    interval: 10s\n    rules: []\n'));
    const t = sec(1_700_000_000);
    const slot = g.evalTimestamp(t);
    expect(slot <= t && t < slot + sec(10)).toBe(true);
    expect(g.evalTimestamp(slot)).toBe(slot);
    expect(g.evalTimestamp(t + sec(10)) - slot).toBe(sec(10));
  });

  it('counts the iterations missed while an evaluation took too long, and skips them', async () => {
    const registry = new Registry();
    const { ruleMetrics } = await import('../../src/rules/metrics.js');
    const metrics = ruleMetrics(registry);
    let clock = 0n;
    const evaluated: Nanos[] = [];
    let done!: () => void;
    const twoEvaluations = new Promise<void>((resolve) => {
      done = resolve;
    });
    const s = setup(
      'groups:\n  - name: g\n    interval: 1s\n    rules:\n      - record: r\n        expr: vector(1)\n',
      {
        ctx: {
          metrics,
          now: () => clock,
          query: async (_q, t) => {
            evaluated.push(BigInt(t) * 1_000_000n);
            // The first evaluation "takes" 3.5 intervals.
            if (evaluated.length === 1) clock += 3_500_000_000n;
            if (evaluated.length === 2) done();
            return [{ metric: {}, t, f: 1 }];
          },
        },
      },
    );
    const g = group(s);
    // Start one nanosecond before a slot: the first evaluation is at that slot.
    const first = g.evalTimestamp(sec(1000)) + sec(1);
    clock = first - 1n;
    g.start(new AbortController().signal);
    await twoEvaluations;
    await g.stop();
    expect(evaluated[0]).toBe((first / 1_000_000n) * 1_000_000n);
    expect(evaluated[1]).toBe(((first + sec(3)) / 1_000_000n) * 1_000_000n);
    expect(await registry.metrics()).toContain(
      'prometheus_rule_group_iterations_missed_total{rule_group="/rules.yml;g"} 2',
    );
  });
});
