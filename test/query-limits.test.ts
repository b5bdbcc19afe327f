/**
 * The query limits as upstream enforces them, black-box and beside Prometheus 3.5 with the same
 * flags: a query past --query.timeout answers 503 `timeout`, one past --query.max-samples 422
 * `execution`, with the same bodies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PROMETHEUS, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

afterEach(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
});

const CONFIG = 'global:\n  scrape_interval: 1h\n';
// 3.6 million subquery steps: far longer than 50 ms on any machine, on both servers.
const HEAVY = 'count_over_time(vector(1)[1h:1ms])';

async function answer(base: string, query: string) {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`);
  return { status: res.status, body: await res.text() };
}

async function miniprom(args: string[]) {
  const server = await listening({ config: CONFIG, args });
  await server.untilLog('Server is ready to receive web requests.');
  return server.base;
}

describe('query limits', () => {
  it('--query.timeout: a query running past it answers 503, errorType timeout', async () => {
    const got = await answer(await miniprom(['--query.timeout=50ms']), HEAVY);
    expect(got).toEqual({
      status: 503,
      body: '{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}',
    });
  });

  it('--query.max-samples: a query loading more answers 422, errorType execution', async () => {
    const got = await answer(await miniprom(['--query.max-samples=1000']), 'count_over_time(vector(1)[1h:1s])');
    expect(got).toEqual({
      status: 422,
      body: '{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"}',
    });
  });

  it.skipIf(!PROMETHEUS.path)('answers both as Prometheus 3.5 does with the same flags', async () => {
    for (const [flag, query] of [
      ['--query.timeout=50ms', HEAVY],
      ['--query.max-samples=1000', 'count_over_time(vector(1)[1h:1s])'],
    ] as const) {
      const real = await startPrometheus({ config: CONFIG, args: [flag] });
      expect(await answer(await miniprom([flag]), query)).toEqual(await answer(real.base, query));
    }
  });
});
if (!PROMETHEUS.path) console.log(`query-limits.test.ts: the comparison is skipped: ${PROMETHEUS.missing}`);
