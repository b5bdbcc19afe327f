/**
 * Regexes are RE2's: linear in the input, whatever the pattern. Before, one relabel rule such as
 * `(a+)+$` against a 35-character label value froze the whole process (V8 backtracks); now the
 * rule is applied, and the server keeps answering.
 */
import { afterEach, describe, expect, it } from 'vitest';
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
