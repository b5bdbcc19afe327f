/**
 * The rule manager in the running server (black box): reloads keep an unchanged rule's alerts and
 * `for` clock, a reload that fails keeps the running groups, /api/v1/rules filters as upstream's,
 * /api/v1/alerts, the rule and notifier metrics and flags upstream has.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { http, listening, removeScratchDirs, type Server, scratchDir, startServer } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

afterEach(() => {
  killAll();
  removeScratchDirs();
});

const READY = 'Server is ready to receive web requests.';

const config = (files: string[]) => `global:
  scrape_interval: 1h
  evaluation_interval: 1s
rule_files: ${JSON.stringify(files)}
`;

const RULES = `groups:
  - name: slow
    rules:
      - alert: Always
        expr: vector(1)
        for: 1h
        labels: { severity: info }
        annotations: { summary: 'value {{ $value }}' }
      - record: one
        expr: vector(1)
`;

async function api(
  server: Server,
  path: string,
): Promise<{ status: number; body: { status: string; data: unknown; error?: string } }> {
  const r = await http(`${server.base}${path}`);
  return { status: r.status, body: JSON.parse(r.body) };
}

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  activeAt: string;
  value: string;
}

/** The server's active alerts, once there is at least one. */
async function alerts(server: Server): Promise<Alert[]> {
  return vi.waitFor(
    async () => {
      const list = ((await api(server, '/api/v1/alerts')).body.data as { alerts: Alert[] }).alerts;
      if (list.length === 0) throw new Error('no alert yet');
      return list;
    },
    { timeout: 15_000, interval: 100 },
  );
}

async function start(files: Record<string, string>): Promise<Server> {
  const dir = scratchDir();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const server = await listening({ dir, config: config(Object.keys(files)), args: ['--web.enable-lifecycle'] });
  await server.untilLog(READY);
  return server;
}

describe('the rule manager in the server', () => {
  it("keeps an unchanged rule's alert and its `for` clock over a reload that changes its group", async () => {
    const server = await start({ 'a.yml': RULES });
    const [before] = await alerts(server);
    expect(before).toMatchObject({
      labels: { alertname: 'Always', severity: 'info' },
      annotations: { summary: 'value 1' },
      state: 'pending',
      value: '1e+00',
    });
    writeFileSync(join(server.dir, 'a.yml'), `${RULES}      - record: two\n        expr: vector(2)\n`);
    expect((await http(`${server.base}/-/reload`, 'POST')).status).toBe(200);
    await vi.waitFor(
      async () => {
        const groups = ((await api(server, '/api/v1/rules')).body.data as { groups: Array<{ rules: unknown[] }> })
          .groups;
        if (groups[0]?.rules.length !== 3) throw new Error('not reloaded yet');
      },
      { timeout: 10_000, interval: 100 },
    );
    const [after] = await alerts(server);
    expect(after?.activeAt).toBe(before?.activeAt);
  });

  it('keeps the running groups when a reload brings a bad rule file', async () => {
    const server = await start({ 'a.yml': RULES });
    await alerts(server);
    writeFileSync(
      join(server.dir, 'a.yml'),
      'groups:\n  - name: slow\n    rules:\n      - alert: Broken\n        expr: up ==\n',
    );
    expect((await http(`${server.base}/-/reload`, 'POST')).status).toBe(500);
    // Logged before the answer, but on another pipe: waited for.
    await server.untilLog('loading groups failed');
    const line = server.logs().find((l) => l.msg === 'loading groups failed');
    expect(String(line?.err)).toContain('could not parse expression: 1:6: parse error: unexpected end of input');
    const groups = (
      (await api(server, '/api/v1/rules')).body.data as { groups: Array<{ rules: Array<{ name: string }> }> }
    ).groups;
    expect(groups[0]?.rules.map((r) => r.name)).toEqual(['Always', 'one']);
  });

  it("filters /api/v1/rules as upstream's API does", async () => {
    const server = await start({
      'a.yml': RULES,
      'b.yml':
        'groups:\n  - name: other\n    rules:\n      - record: three\n        expr: vector(3)\n        labels: { team: x }\n',
    });
    const names = async (query: string) => {
      const r = await api(server, `/api/v1/rules${query}`);
      if (r.status !== 200) return r.body.error;
      return (r.body.data as { groups: Array<{ name: string; rules: Array<{ name: string }> }> }).groups.map(
        (g) => `${g.name}:${g.rules.map((x) => x.name).join(',')}`,
      );
    };
    expect(await names('')).toEqual(['slow:Always,one', 'other:three']);
    expect(await names('?type=alert')).toEqual(['slow:Always']);
    expect(await names('?type=record')).toEqual(['slow:one', 'other:three']);
    expect(await names('?rule_name[]=three&rule_name[]=one')).toEqual(['slow:one', 'other:three']);
    expect(await names('?rule_group[]=other')).toEqual(['other:three']);
    expect(await names(`?file[]=${encodeURIComponent(join(server.dir, 'a.yml'))}`)).toEqual(['slow:Always,one']);
    expect(await names(`?match[]=${encodeURIComponent('{team="x"}')}`)).toEqual(['other:three']);
    expect(await names('?group_limit=1')).toEqual(['slow:Always,one']);
    expect(await names('?type=bogus')).toBe('invalid parameter "type": not supported value "bogus"');
    expect(await names('?group_next_token=abc')).toBe(
      'invalid parameter "group_next_token": group_limit needs to be present in order to paginate over the groups',
    );
  });

  it("exposes upstream's rule, template and notifier metrics, and the rules and notifier flags", async () => {
    const server = await start({ 'a.yml': RULES });
    await alerts(server);
    const metrics = (await http(`${server.base}/metrics`)).body;
    const key = `${join(server.dir, 'a.yml')};slow`;
    for (const name of [
      'prometheus_rule_group_iterations_missed_total',
      'prometheus_rule_group_iterations_total',
      'prometheus_rule_evaluations_total',
      'prometheus_rule_evaluation_failures_total',
      'prometheus_rule_group_interval_seconds',
      'prometheus_rule_group_last_evaluation_samples',
      'prometheus_rule_group_rules',
    ])
      expect(metrics).toContain(`${name}{rule_group="${key}"}`);
    expect(metrics).toMatch(/^prometheus_template_text_expansions_total [1-9]/m);
    expect(metrics).toContain('prometheus_notifications_queue_capacity 10000');
    expect(metrics).toContain('prometheus_notifications_dropped_total 0');
    const flags = (await api(server, '/api/v1/status/flags')).body.data as Record<string, string>;
    expect(flags).toMatchObject({
      'rules.alert.for-outage-tolerance': '1h',
      'rules.alert.for-grace-period': '10m',
      'rules.alert.resend-delay': '1m',
      'alertmanager.notification-queue-capacity': '10000',
      'alertmanager.notification-batch-size': '256',
      'alertmanager.drain-notification-queue-on-shutdown': 'true',
    });
  });

  it('refuses the rule and notifier flags in agent mode, as upstream', async () => {
    const server = startServer({ config: 'global: {}\n', args: ['--agent', '--rules.alert.resend-delay=2m'] });
    expect((await server.exited).code).toBe(3);
    expect(server.stderr()).toContain(
      'The following flag(s) can not be used in agent mode: ["--rules.alert.resend-delay"]',
    );
  });
});
