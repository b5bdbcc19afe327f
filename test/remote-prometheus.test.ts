/**
 * Remote write against the real thing: Prometheus 3.5 (the reference peer from scripts/peers.sh,
 * which .ci/run calls) started with its remote write receiver, and miniprom sending to it. Skips,
 * saying why, only when the peer cannot be had.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PROMETHEUS, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { removeScratchDirs, startServer } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

const havePrometheus = PROMETHEUS.path !== undefined;
if (PROMETHEUS.missing) console.log(`remote-prometheus.test.ts: skipped: ${PROMETHEUS.missing}`);

afterEach(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
});

describe.skipIf(!havePrometheus)('remote write to a real Prometheus', () => {
  it('delivers scraped samples with external labels, flushed on shutdown, and the server exits by itself', async () => {
    const prometheus = await startPrometheus({ args: ['--web.enable-remote-write-receiver'] });
    const server = startServer({
      config: `global:
  scrape_interval: 1s
  external_labels: { replica: miniprom }
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:1']
remote_write:
  - url: ${prometheus.base}/api/v1/write
    name: real
    queue_config: { batch_send_deadline: 1h }
`,
      args: ['--log.level=debug'],
    });
    await server.untilLog('Server is ready to receive web requests.');
    // A scrape of a target that refuses the connection still writes up 0 and the other report series.
    await server.untilLog('Scrape failed');
    // The batch deadline is an hour away: only the flush on shutdown can deliver these samples.
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const msgs = server.msgs();
    expect(msgs).toEqual(expect.arrayContaining(['Stopping remote storage...', 'Remote storage stopped.']));
    expect(msgs).not.toContain('Failed to flush all samples on shutdown');
    // Local storage closes before remote write flushes, as upstream's fanout storage does.
    expect(msgs.indexOf('Remote storage stopped.')).toBeLessThan(msgs.indexOf('See you next time!'));

    const res = await fetch(`${prometheus.base}/api/v1/query?query=${encodeURIComponent('up{job="self"}')}`);
    const body = (await res.json()) as {
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    expect(body.data.result).toEqual([
      {
        metric: { __name__: 'up', job: 'self', instance: '127.0.0.1:1', replica: 'miniprom' },
        value: [expect.any(Number), '0'],
      },
    ]);
  });
});
