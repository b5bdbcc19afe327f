/**
 * Regexes are RE2's: linear in the input, whatever the pattern. Before, one relabel rule such as
 * `(a+)+$` against a 35-character label value froze the whole process (V8 backtracks); now the
 * rule is applied, and the server keeps answering. The same holds for queries: their matchers and
 * label_replace are RE2 too, and a long evaluation yields to the event loop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeWriteRequest, snappyCompress } from '../src/remote/index.js';
import { http, listening, removeScratchDirs } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

afterEach(() => {
  killAll();
  removeScratchDirs();
});

// 2^40 ways to split it: V8's engine would try them all before failing on the final '!'.
const HOSTILE_VALUE = `${'a'.repeat(40)}!`;

describe('a hostile regex cannot stall the server', () => {
  it('in a relabel rule: the target is relabeled and /-/healthy answers', async () => {
    const server = await listening({
      config: `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: hostile
    static_configs:
      - targets: ['127.0.0.1:1']
        labels: { long: '${HOSTILE_VALUE}' }
    relabel_configs:
      - source_labels: [long]
        regex: '(a+)+$'
        action: drop
`,
    });
    await server.untilLog('Server is ready to receive web requests.');
    expect((await http(`${server.base}/-/healthy`)).status).toBe(200);
    // The rule ran and did not match (RE2 anchors it; the value ends with '!'): the target is kept.
    const targets = JSON.parse((await http(`${server.base}/api/v1/targets`)).body) as {
      data: { activeTargets: Array<{ labels: Record<string, string> }> };
    };
    expect(targets.data.activeTargets.map((t) => t.labels.long)).toEqual([HOSTILE_VALUE]);
  });
});

describe('a query cannot stall the server', () => {
  /** A server with the remote write receiver, holding one series with the hostile value. */
  async function serverWithHostileSeries() {
    const server = await listening({
      config: 'global:\n  scrape_interval: 1h\n',
      args: ['--web.enable-remote-write-receiver'],
    });
    await server.untilLog('Server is ready to receive web requests.');
    const body = snappyCompress(
      encodeWriteRequest([{ labels: { __name__: 'hostile', long: HOSTILE_VALUE }, t: Date.now(), v: 1 }]),
    );
    const written = await fetch(`${server.base}/api/v1/write`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
      body,
    });
    expect(written.status).toBe(204);
    return server;
  }

  const query = async (base: string, q: string) =>
    JSON.parse((await http(`${base}/api/v1/query?query=${encodeURIComponent(q)}`)).body) as {
      status: string;
      data: { result: Array<{ metric: Record<string, string> }> };
    };

  it("answers a hostile regex matcher and label_replace at once, with RE2's answers", async () => {
    const server = await serverWithHostileSeries();
    // Anchored, the value's final '!' fails the first; the second matches it.
    expect((await query(server.base, 'hostile{long=~"(a+)+$"}')).data.result).toEqual([]);
    expect((await query(server.base, 'hostile{long=~"(a+)+!"}')).data.result).toHaveLength(1);
    const replaced = await query(server.base, 'label_replace(hostile, "x", "$1", "long", "(a+)+$")');
    expect(replaced.data.result.map((r) => r.metric.x)).toEqual([undefined]);
    expect((await http(`${server.base}/-/healthy`)).status).toBe(200);
  });

  it('serves /-/healthy while a long evaluation runs', async () => {
    const server = await serverWithHostileSeries();
    // Millions of subquery steps: seconds of work, done in slices between which the server runs.
    const order: string[] = [];
    const long = query(server.base, 'count_over_time(vector(1)[2h:1ms])').then((r) => {
      order.push('query');
      return r;
    });
    const healthy = await http(`${server.base}/-/healthy`);
    order.push('healthy');
    expect(healthy.status).toBe(200);
    expect((await long).data.result).toHaveLength(1);
    expect(order).toEqual(['healthy', 'query']);
  });
});
