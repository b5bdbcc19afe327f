/**
 * Alerts end to end, with the real Alertmanager 0.33: miniprom evaluates an alerting rule over a
 * series the test writes (remote write), the alert fires and reaches Alertmanager with its labels
 * (external labels added) and templated annotations, then resolves: Alertmanager drops it from
 * /api/v2/alerts and its webhook receiver (a server in this test) gets `status: "resolved"`.
 * The shutdown-order demonstration (docs/startup.md, exercise 4) is here too: an alert that fires
 * in an evaluation still running at SIGTERM reaches Alertmanager in upstream's order, and does
 * not when the notifier is moved before the rule manager.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeWriteRequest, remoteWrite } from '../scripts/remote-write.mjs';
import {
  ALERTMANAGER,
  type ReferenceAlertmanager,
  startAlertmanager,
  stopAlertmanagers,
} from './helpers/alertmanager.js';
import { listenLocal } from './helpers/listen.js';
import { listening, removeScratchDirs, type Server as Miniprom, scratchDir } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

const servers: Server[] = [];
afterEach(async () => {
  await stopAlertmanagers();
  killAll();
  removeScratchDirs();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

interface Notification {
  status: string;
  alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }>;
}

/** A webhook receiver: every notification Alertmanager posts, and a way to wait for one. */
async function webhook() {
  const received: Notification[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      received.push(JSON.parse(body) as Notification);
      res.end();
      for (const w of waiters) w();
    });
  });
  servers.push(server);
  const port = await listenLocal(server);
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    until: (predicate: (n: Notification) => boolean) =>
      new Promise<Notification>((resolve) => {
        const check = () => {
          const found = received.find(predicate);
          if (found) {
            waiters.delete(check);
            resolve(found);
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

const alertmanagerConfig = (hook: string) => `route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: ${hook}
        send_resolved: true
`;

const minipromConfig = (am: ReferenceAlertmanager) => `global:
  scrape_interval: 1h
  evaluation_interval: 1s
  external_labels:
    dc: test
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['${new URL(am.base).host}']
`;

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string;
  startsAt: string;
  status: { state: string };
}

async function amAlerts(am: ReferenceAlertmanager): Promise<AmAlert[]> {
  const res = await fetch(`${am.base}/api/v2/alerts`, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as AmAlert[];
}

/** Writes `value` for switch{instance="a"} now, through miniprom's remote write receiver. */
async function setSwitch(server: Miniprom, value: number): Promise<void> {
  const body = encodeWriteRequest([
    { labels: { __name__: 'switch', job: 'test', instance: 'a' }, samples: [{ value, timestamp: Date.now() }] },
  ]);
  await remoteWrite(`${server.base}/api/v1/write`, body);
}

const RULES = `groups:
  - name: switches
    rules:
      - alert: SwitchOn
        expr: switch == 1
        labels:
          severity: page
        annotations:
          summary: 'Switch {{ $labels.instance }} of {{ $labels.job }} is {{ $value }}'
          where: '{{ $externalLabels.dc }}'
`;

describe('alerts through a real Alertmanager 0.33', () => {
  it('reaches Alertmanager with labels and templated annotations, then resolves there and at the receiver', async (ctx) => {
    if (!ALERTMANAGER.path) {
      console.log(`missing: ${ALERTMANAGER.missing}`);
      ctx.skip();
      return;
    }
    const hook = await webhook();
    const am = await startAlertmanager(alertmanagerConfig(hook.url));
    const dir = scratchDir();
    writeFileSync(`${dir}/rules.yml`, RULES);
    const server = await listening({
      dir,
      config: minipromConfig(am),
      args: ['--web.enable-remote-write-receiver', '--web.external-url=http://miniprom.example:9090/'],
    });
    await server.untilLog('Server is ready to receive web requests.');

    await setSwitch(server, 1);
    const alerts = await vi.waitFor(
      async () => {
        const list = await amAlerts(am);
        if (list.length === 0) throw new Error('no alert at Alertmanager yet');
        return list;
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(alerts).toHaveLength(1);
    const [alert] = alerts as [AmAlert];
    expect(alert.labels).toEqual({ alertname: 'SwitchOn', severity: 'page', instance: 'a', job: 'test', dc: 'test' });
    expect(alert.annotations).toEqual({ summary: 'Switch a of test is 1', where: 'test' });
    expect(alert.status.state).toBe('active');
    expect(alert.generatorURL).toBe('http://miniprom.example:9090/graph?g0.expr=switch+%3D%3D+1&g0.tab=1');
    const firing = await hook.until((n) => n.status === 'firing');
    expect(firing.alerts[0]?.labels.alertname).toBe('SwitchOn');

    await setSwitch(server, 0);
    const resolved = await hook.until((n) => n.status === 'resolved');
    expect(resolved.alerts).toHaveLength(1);
    expect(resolved.alerts[0]).toMatchObject({
      status: 'resolved',
      labels: { alertname: 'SwitchOn', instance: 'a' },
      annotations: { summary: 'Switch a of test is 1' },
    });
    expect(await amAlerts(am)).toEqual([]);
  }, 60_000);

  const HOLD = 'Holding this rule evaluation until the rule manager stops (MINIPROM_TEST_RULE_EVAL_HOLD)';
  const LAST_WORDS = `groups:
  - name: last
    rules:
      - alert: LastWords
        expr: vector(1)
        annotations:
          summary: fired by the evaluation in flight at shutdown
`;

  /**
   * Starts miniprom with the first rule evaluation held (MINIPROM_TEST_RULE_EVAL_HOLD=1), waits
   * until it is held, sends SIGTERM and waits for the exit: the held evaluation goes on when the
   * rule manager stops, and its alert fires then, during shutdown.
   */
  async function fireDuringShutdown(am: ReferenceAlertmanager, extraArgs: string[]) {
    const dir = scratchDir();
    writeFileSync(`${dir}/rules.yml`, LAST_WORDS);
    const server = await listening({
      dir,
      config: minipromConfig(am),
      args: extraArgs,
      env: { MINIPROM_TEST_RULE_EVAL_HOLD: '1' },
    });
    await server.untilLog(HOLD);
    expect(await amAlerts(am)).toEqual([]);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    return server;
  }

  it("sends the last evaluation's alert during shutdown, because the rule manager stops before the notifier", async (ctx) => {
    if (!ALERTMANAGER.path) {
      console.log(`missing: ${ALERTMANAGER.missing}`);
      ctx.skip();
      return;
    }
    const am = await startAlertmanager(alertmanagerConfig('http://127.0.0.1:1/unused'));
    const server = await fireDuringShutdown(am, []);
    const [alert] = await amAlerts(am);
    expect(alert?.labels).toEqual({ alertname: 'LastWords', dc: 'test' });
    // The queue was drained after the rule manager stopped, before the process exited.
    const msgs = server.msgs();
    expect(msgs.indexOf('Draining any remaining notifications...')).toBeGreaterThan(
      msgs.indexOf('Rule manager stopped'),
    );
    expect(msgs).not.toContain('Notifier already stopped, dropping alerts');
  }, 30_000);

  it('loses that alert with --debug.actor-order "Notifier before Rule manager", and says so', async (ctx) => {
    if (!ALERTMANAGER.path) {
      console.log(`missing: ${ALERTMANAGER.missing}`);
      ctx.skip();
      return;
    }
    const am = await startAlertmanager(alertmanagerConfig('http://127.0.0.1:1/unused'));
    const server = await fireDuringShutdown(am, ['--debug.actor-order=Notifier before Rule manager']);
    expect(await amAlerts(am)).toEqual([]);
    const dropped = server.logs().find((l) => l.msg === 'Notifier already stopped, dropping alerts');
    expect(dropped).toMatchObject({ level: 'WARN', component: 'notifier', count: 1 });
    const msgs = server.msgs();
    expect(msgs.indexOf('Notifier manager stopped')).toBeLessThan(msgs.indexOf('Rule manager stopped'));
  }, 30_000);
});
