/**
 * The API in the built server (black box): the flags behind it, how main wires it (storage not
 * open → 503, agent mode), the remote write receiver switch and the request metrics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { http, listening, removeScratchDirs, SELF_CONFIG, startServer } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

afterEach(() => {
  killAll();
  removeScratchDirs();
});

const READY = 'Server is ready to receive web requests.';

async function ready(opts: Parameters<typeof listening>[0]) {
  const s = await listening(opts);
  await s.untilLog(READY);
  return s;
}

describe('--enable-feature', () => {
  it('logs each name as upstream does: honoured, unknown, permanently on, or accepted without effect', async () => {
    const s = await ready({
      config: SELF_CONFIG,
      args: [
        '--enable-feature=promql-experimental-functions,foo,,ooo-native-histograms',
        '--enable-feature=exemplar-storage',
      ],
    });
    const lines = s.logs().filter((l) => /enable-feature|Experimental PromQL/.test(l.msg));
    expect(lines.map((l) => [l.level, l.msg, l.option])).toEqual([
      ['INFO', 'Experimental PromQL functions enabled.', undefined],
      ['WARN', 'Unknown option for --enable-feature', 'foo'],
      [
        'WARN',
        'This option for --enable-feature is now permanently enabled and therefore a no-op.',
        'ooo-native-histograms',
      ],
      [
        'WARN',
        'This option for --enable-feature is not implemented by miniprom and has no effect.',
        'exemplar-storage',
      ],
    ]);
    const flags = JSON.parse((await http(`${s.base}/api/v1/status/flags`)).body).data;
    expect(flags['enable-feature']).toBe('promql-experimental-functions,foo,,ooo-native-histograms,exemplar-storage');
  });

  it('refuses two OTLP delta modes at once with upstream’s error, exit 1', async () => {
    const s = startServer({
      config: SELF_CONFIG,
      args: ['--enable-feature=otlp-deltatocumulative,otlp-native-delta-ingestion'],
    });
    const { code } = await s.exited;
    expect(code).toBe(1);
    expect(s.stderr()).toContain(
      'Error parsing feature list: cannot enable otlp-deltatocumulative and otlp-native-delta-ingestion features at the same time',
    );
  });
});

describe('the query flags', () => {
  it('show in /api/v1/status/flags with upstream’s defaults', async () => {
    const s = await ready({ config: SELF_CONFIG });
    const flags = JSON.parse((await http(`${s.base}/api/v1/status/flags`)).body).data;
    expect(flags).toMatchObject({
      'query.lookback-delta': '5m',
      'query.timeout': '2m',
      'query.max-concurrency': '20',
      'query.max-samples': '50000000',
      'web.enable-remote-write-receiver': 'false',
      agent: 'false',
    });
    expect(Object.keys(flags)).toEqual([...Object.keys(flags)].sort());
  });

  it('are server-only: in agent mode they exit 3 after the feature lines, as upstream', async () => {
    const s = startServer({
      config: '',
      defaults: false,
      args: ['--agent', '--query.timeout=1m', '--query.lookback-delta=1m', '--enable-feature=foo', '--log.format=json'],
    });
    const { code } = await s.exited;
    expect(code).toBe(3);
    expect(s.stderr()).toContain(
      'The following flag(s) can not be used in agent mode: ["--query.timeout" "--query.lookback-delta"]',
    );
    expect(s.stderr().indexOf('Unknown option for --enable-feature')).toBeLessThan(
      s.stderr().indexOf('The following flag(s)'),
    );
  });
});

describe('the API in the running server', () => {
  it('answers 503 until storage is open and the server ready, then answers', async () => {
    const s = await listening({ config: SELF_CONFIG, env: { MINIPROM_TEST_STORAGE_OPEN_DELAY: '1500ms' } });
    const early = await http(`${s.base}/api/v1/labels`);
    expect([early.status, early.body]).toEqual([503, 'Service Unavailable']);
    await s.untilLog(READY);
    const later = await http(`${s.base}/api/v1/labels`);
    expect(later.status).toBe(200);
    expect(JSON.parse(later.body).status).toBe('success');
  });

  it('answers the server-only endpoints in agent mode as upstream’s agent', async () => {
    const s = await ready({ config: SELF_CONFIG, args: ['--agent'] });
    const r = await http(`${s.base}/api/v1/query?query=1`);
    expect([r.status, r.body]).toEqual([
      422,
      '{"status":"error","errorType":"execution","error":"unavailable with Prometheus Agent"}',
    ]);
  });

  it('passes Grafana’s data source check: 1+1 POSTed as a form, then the build info', async () => {
    const s = await ready({ config: SELF_CONFIG });
    const time = Date.now() / 1000;
    const res = await fetch(`${s.base}/api/v1/query`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      body: `query=1%2B1&time=${time}`,
    });
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/json']);
    expect(await res.json()).toEqual({
      status: 'success',
      data: { resultType: 'scalar', result: [Math.round(time * 1000) / 1000, '2'] },
    });
    const build = JSON.parse((await http(`${s.base}/api/v1/status/buildinfo`)).body);
    expect(build.status).toBe('success');
    expect(build.data.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('counts its requests by route in /metrics', async () => {
    const s = await ready({ config: SELF_CONFIG });
    await http(`${s.base}/api/v1/label/job/values`);
    await http(`${s.base}/api/v1/query_range?query=up`);
    const metrics = (await http(`${s.base}/metrics`)).body;
    expect(metrics).toContain('prometheus_http_requests_total{code="200",handler="/api/v1/label/:name/values"} 1');
    expect(metrics).toContain('prometheus_http_requests_total{code="400",handler="/api/v1/query_range"} 1');
    expect(metrics).toContain('prometheus_ready 1');
  });
});

describe('--web.enable-remote-write-receiver', () => {
  it('is off by default: POST /api/v1/write says how to enable it', async () => {
    const s = await ready({ config: SELF_CONFIG });
    const r = await http(`${s.base}/api/v1/write`, 'POST');
    expect([r.status, r.body]).toEqual([
      404,
      'remote write receiver needs to be enabled with --web.enable-remote-write-receiver\n',
    ]);
  });
});
