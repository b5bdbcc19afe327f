/**
 * Prometheus's command line beside the real Prometheus 3.5: help in kingpin's layout, flag values
 * in /api/v1/status/flags printed as upstream prints them, bool flags' `--no-` forms, the notifier
 * queue's capacity from its flag, and a clear refusal of --storage.tsdb.retention.size.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { PROMETHEUS, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs, startServer } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

if (PROMETHEUS.missing) console.log(`flags-cli.test.ts: comparisons skipped: ${PROMETHEUS.missing}`);

afterEach(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
});

const READY = 'Server is ready to receive web requests.';
const QUIET = 'global:\n  scrape_interval: 1h\n';

/** The help's lines that are flags, each reduced to the flag's name. */
function flagNames(help: string): string[] {
  return [...help.matchAll(/^ {2}(?:-h, | {4})--(?:\[no-\])?([a-z0-9.-]+)/gm)].map((m) => m[1] as string);
}

async function flagsOf(base: string): Promise<Record<string, string>> {
  const body = (await (await fetch(`${base}/api/v1/status/flags`)).json()) as { data: Record<string, string> };
  return body.data;
}

describe('--help and --help-long', () => {
  it('lays the flags out as kingpin does: two columns, defaults after =, [no-] for bool flags', async () => {
    const s = startServer({ defaults: false, args: ['--help-long'] });
    expect((await s.exited).code).toBe(0);
    const help = s.stdout();
    expect(help.startsWith('usage: prometheus [<flags>]\n\nThe Prometheus monitoring server\n\nFlags:\n')).toBe(true);
    expect(help).toContain('\n      --web.read-timeout=5m      Maximum duration before timing out read of the\n');
    expect(help).toContain('\n      --[no-]web.enable-lifecycle  \n                                 Enable shutdown');
    expect(help).toContain('\n      --rules.alert.resend-delay=1m  \n');
    expect(help).toContain('\n      --storage.remote.flush-deadline=<duration>  \n');
    expect(help).not.toMatch(/=60000|=300000/);
  });

  it.skipIf(PROMETHEUS.path === undefined)("opens and spaces like the peer's, flags in kingpin's column", () => {
    for (const flag of ['--help', '--help-long']) {
      const theirs = spawnSync(PROMETHEUS.path as string, [flag], { encoding: 'utf8' });
      const ours = spawnSync(process.execPath, ['dist/cmd/prometheus.js', flag], { encoding: 'utf8' });
      expect(ours.status).toBe(theirs.status);
      const head = (text: string) => text.slice(0, text.indexOf('      --[no-]version'));
      expect(head(ours.stdout)).toBe(head(theirs.stdout));
      // Every flag miniprom lists is one the peer lists too (the inventory says which are missing).
      const theirNames = flagNames(theirs.stdout);
      expect(flagNames(ours.stdout).filter((n) => !theirNames.includes(n))).toEqual([
        'alertmanager.timeout', // removed upstream in 3.0, kept as a no-op
        'startup.trace', // miniprom's teaching aid
      ]);
    }
  });
});

describe('flag values', () => {
  it.skipIf(PROMETHEUS.path === undefined)(
    'reads back in /api/v1/status/flags as Prometheus prints them, durations and sizes included',
    async () => {
      const args = [
        '--web.read-timeout=90s',
        '--storage.remote.flush-deadline=2m',
        '--rules.alert.for-grace-period=15s',
        '--query.lookback-delta=1h30m',
        '--storage.tsdb.wal-segment-size=24MB',
        '--storage.tsdb.retention.time=36h',
        '--enable-feature=promql-experimental-functions,,foo',
      ];
      const prometheus = await startPrometheus({ args });
      const server = await listening({ config: QUIET, args });
      await server.untilLog(READY);
      const theirs = await flagsOf(prometheus.base);
      const ours = await flagsOf(server.base);
      const names = [
        'web.read-timeout',
        'storage.remote.flush-deadline',
        'rules.alert.for-grace-period',
        'rules.alert.for-outage-tolerance',
        'rules.alert.resend-delay',
        'query.lookback-delta',
        'query.timeout',
        'storage.tsdb.wal-segment-size',
        'storage.tsdb.retention.time',
        'storage.tsdb.retention.size',
        'storage.agent.wal-segment-size',
        'enable-feature',
        'alertmanager.notification-queue-capacity',
      ];
      const pick = (flags: Record<string, string>) => Object.fromEntries(names.map((n) => [n, flags[n]]));
      expect(pick(ours)).toEqual(pick(theirs));
      expect(ours['web.read-timeout']).toBe('1m30s');
    },
  );

  it('takes the --no- form of every bool flag, as kingpin does', async () => {
    const server = await listening({ config: QUIET, args: ['--web.enable-lifecycle', '--no-web.enable-lifecycle'] });
    await server.untilLog(READY);
    expect((await flagsOf(server.base))['web.enable-lifecycle']).toBe('false');
    expect((await fetch(`${server.base}/-/reload`, { method: 'POST' })).status).toBe(403);
  });

  it('bounds the notification queue with --alertmanager.notification-queue-capacity', async () => {
    const server = await listening({ config: QUIET, args: ['--alertmanager.notification-queue-capacity=7'] });
    await server.untilLog(READY);
    const metrics = await (await fetch(`${server.base}/metrics`)).text();
    expect(metrics).toMatch(/^prometheus_notifications_queue_capacity 7$/m);
  });

  it('refuses a nonzero --storage.tsdb.retention.size in one line, exit 2: the TSDB deletes by time only', async () => {
    const s = startServer({ config: QUIET, args: ['--storage.tsdb.retention.size=1GB'] });
    expect((await s.exited).code).toBe(2);
    expect(s.stderr()).toBe(
      'Error parsing command line arguments: --storage.tsdb.retention.size is not supported by miniprom: its TSDB cannot delete data by size; use --storage.tsdb.retention.time\n',
    );
  });

  it('accepts --storage.tsdb.retention.size=0, the default, and shows it as 0B', async () => {
    const server = await listening({ config: QUIET, args: ['--storage.tsdb.retention.size=0'] });
    await server.untilLog(READY);
    expect((await flagsOf(server.base))['storage.tsdb.retention.size']).toBe('0B');
  });
});
