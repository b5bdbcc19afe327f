/**
 * Rule evaluation side by side with Prometheus 3.5: both servers load the same rule file (the same
 * absolute path, so both slot their evaluations by the same hash of group name and file) and
 * receive the same samples through remote write, in real time. Afterwards the recording rules'
 * series, ALERTS and ALERTS_FOR_STATE must hold the same samples at the same evaluation times on
 * both, and /api/v1/rules and /api/v1/alerts must show the same rules and alerts.
 *
 * The groups evaluate every second with a 2s query_offset, so every sample an evaluation reads
 * arrived well before it runs. The workload starts only once both servers have done three
 * evaluations: an alert's activeAt is then the same instant on both, and each has already
 * restored its `for` state (ALERTS is written from the third evaluation on, as upstream does).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeWriteRequest, type RemoteSeries, remoteWrite } from '../scripts/remote-write.mjs';
import { PROMETHEUS, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs, scratchDir } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

afterEach(async () => {
  await stopPrometheuses();
  killAll();
  removeScratchDirs();
});

const RULES = `groups:
  - name: recording
    interval: 1s
    query_offset: 2s
    rules:
      - record: job:load:sum
        expr: sum by (job) (load)
      - record: load:rate
        expr: rate(load[4s])
        labels:
          source: rule
  - name: alerts
    interval: 1s
    query_offset: 2s
    labels:
      team: ops
    rules:
      - alert: LoadHigh
        expr: load > 5
        for: 3s
        labels:
          severity: page
        annotations:
          summary: '{{ $labels.instance }} has load {{ printf "%.1f" $value }}'
      - alert: Flapping
        expr: flap == 1
        keep_firing_for: 2s
        annotations:
          text: '{{ $value }} on {{ $labels.instance }}'
`;

const config = (rules: string) => `global:
  scrape_interval: 1h
  evaluation_interval: 1s
  external_labels:
    dc: test
rule_files:
  - ${JSON.stringify(rules)}
`;

const RULE_SERIES = '{__name__=~"job:load:sum|load:rate|ALERTS|ALERTS_FOR_STATE"}';

interface MatrixSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

async function getJSON(url: string): Promise<{ status: string; data: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as { status: string; data: unknown };
}

/** Every sample of the rules' series in the last `window` before `atSeconds`, by series. */
async function ruleSamples(
  base: string,
  atSeconds: number,
  window: string,
): Promise<Map<string, Array<[number, string]>>> {
  const q = new URLSearchParams({ query: `${RULE_SERIES}[${window}]`, time: String(atSeconds) });
  const body = await getJSON(`${base}/api/v1/query?${q}`);
  const out = new Map<string, Array<[number, string]>>();
  for (const s of (body.data as { result: MatrixSeries[] }).result) out.set(JSON.stringify(s.metric), s.values);
  return out;
}

/** The wall-clock time (ms) of each group's last evaluation, by group name. */
async function lastEvaluations(base: string): Promise<number[]> {
  const body = await getJSON(`${base}/api/v1/rules`);
  return (body.data as { groups: Array<{ lastEvaluation: string }> }).groups.map((g) => Date.parse(g.lastEvaluation));
}

/** Resolves once every group of both servers has evaluated at or after `t` (ms). */
async function evaluatedSince(bases: readonly string[], t: number): Promise<void> {
  await vi.waitFor(
    async () => {
      const times = (await Promise.all(bases.map(lastEvaluations))).flat();
      if (times.length !== 4 || times.some((e) => !(e >= t))) throw new Error('not evaluated yet');
    },
    { timeout: 20_000, interval: 100 },
  );
}

describe('rule evaluation side by side with Prometheus 3.5', () => {
  it('records the same series and alert states at the same evaluation times', async (ctx) => {
    if (!PROMETHEUS.path) {
      console.log(`missing: ${PROMETHEUS.missing}`);
      ctx.skip();
      return;
    }
    const dir = scratchDir();
    const rules = join(dir, 'rules.yml');
    writeFileSync(rules, RULES);
    const args = ['--web.enable-remote-write-receiver'];
    const [prometheus, miniprom] = await Promise.all([
      startPrometheus({ config: config(rules), args }),
      listening({ config: config(rules), args }),
    ]);
    await miniprom.untilLog('Server is ready to receive web requests.');
    const bases = [prometheus.base, miniprom.base];

    // Three evaluations each before the workload starts: both have restored `for` state (after
    // the second) and write ALERTS from then on.
    const started = Date.now();
    await evaluatedSince(bases, started + 2000);

    // The workload: every 200ms, the current value of each series, stamped now, to both servers.
    const workloadStart = Date.now();
    const load = (elapsed: number, instance: string) =>
      instance === 'a' ? Math.floor(elapsed / 500) % 12 : 2 + (Math.floor(elapsed / 1000) % 3);
    const flap = (elapsed: number) => (Math.floor(elapsed / 2000) % 2 === 0 ? 1 : 0);
    for (let elapsed = 0; elapsed < 12_000; elapsed = Date.now() - workloadStart) {
      const t = Date.now();
      const series: RemoteSeries[] = [
        ...['a', 'b'].map((instance) => ({
          labels: { __name__: 'load', job: 'node', instance },
          samples: [{ value: load(elapsed, instance), timestamp: t }],
        })),
        { labels: { __name__: 'flap', job: 'node', instance: 'a' }, samples: [{ value: flap(elapsed), timestamp: t }] },
      ];
      const body = encodeWriteRequest(series);
      await Promise.all(bases.map((base) => remoteWrite(`${base}/api/v1/write`, body)));
      await sleep(200);
    }
    // Both evaluate the last samples (written before now, read 2s late) before the comparison.
    await evaluatedSince(bases, Date.now() + 2500);
    const at = Math.floor(Date.now() / 1000) - 1;
    const [theirs, ours] = await Promise.all([
      ruleSamples(prometheus.base, at, '30s'),
      ruleSamples(miniprom.base, at, '30s'),
    ]);

    // Only the evaluations both servers made: from the workload's start to the cut-off.
    const from = workloadStart - 2000;
    const inWindow = (samples: Array<[number, string]> | undefined) =>
      (samples ?? []).filter(([t]) => t * 1000 >= from && t * 1000 <= at * 1000 - 2000);
    const names = new Set([...theirs.keys(), ...ours.keys()]);
    expect(names.size).toBeGreaterThan(4);
    let compared = 0;
    for (const name of [...names].sort()) {
      const expected = inWindow(theirs.get(name));
      const got = inWindow(ours.get(name));
      expect({ series: name, samples: got }).toEqual({ series: name, samples: expected });
      compared += expected.length;
    }
    expect(compared).toBeGreaterThan(50);
    // Both fired and resolved alerts along the way.
    expect([...names].some((n) => n.includes('"alertstate":"firing"') && n.includes('LoadHigh'))).toBe(true);
    expect([...names].some((n) => n.includes('"alertstate":"pending"') && n.includes('LoadHigh'))).toBe(true);
    expect([...names].some((n) => n.includes('Flapping'))).toBe(true);

    // The rules API: the same groups, rules, queries, labels, health and alerts (times aside).
    const shape = (body: { data: unknown }) =>
      JSON.parse(
        JSON.stringify(body.data, (key, value) =>
          ['evaluationTime', 'lastEvaluation', 'activeAt', 'keepFiringSince', 'value', 'state', 'alerts'].includes(key)
            ? undefined
            : value,
        ),
      );
    const [theirRules, ourRules] = await Promise.all([
      getJSON(`${prometheus.base}/api/v1/rules`),
      getJSON(`${miniprom.base}/api/v1/rules`),
    ]);
    expect(shape(ourRules)).toEqual(shape(theirRules));
    // The alerts as they stand once the workload stopped: the same labels, texts, states, values
    // and activeAt instants.
    const alerts = (body: { data: unknown }) =>
      (body.data as { alerts: Array<{ labels: Record<string, string> }> }).alerts.sort((a, b) =>
        JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1,
      );
    const [theirAlerts, ourAlerts] = await Promise.all([
      getJSON(`${prometheus.base}/api/v1/alerts`),
      getJSON(`${miniprom.base}/api/v1/alerts`),
    ]);
    expect(alerts(ourAlerts)).toEqual(alerts(theirAlerts));
    expect(alerts(theirAlerts).length).toBeGreaterThan(0);
  }, 60_000);
});
