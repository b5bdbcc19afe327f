/**
 * The inventory (test/fixtures/inventory/inventory.json): every flag the reference Prometheus 3.5
 * lists in its own --help-long, read now, and every /api/v1 route of upstream's (*API).Register
 * (test/fixtures/inventory/api-routes.json, regenerated from the mirror by scripts/api-routes.mjs
 * and confirmed here against the live peer) has a state in miniprom, and each state is checked
 * against dist/cmd/prometheus.js: an implemented flag is accepted (the server starts with it and
 * lists it in /api/v1/status/flags), an implemented route is not 404, anything else is refused with
 * the stated error (or 404 for a route).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROMETHEUS, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs, startServer } from './helpers/server.js';
import { killAll, ROOT } from './helpers/spawn.js';

type State = 'implemented' | 'refused' | 'not-applicable' | 'missing';
interface FlagEntry {
  state: State;
  why?: string;
  note?: string;
  /** The value to give the flag when checking that it is accepted. */
  value?: string;
  /** The arguments that draw the refusal (default: the flag alone) and its error. */
  args?: string[];
  error?: string;
  /** Why an upstream flag is missing from the peer's --help-long. */
  notInPeer?: string;
}
interface EndpointEntry {
  state: State;
  why?: string;
  note?: string;
  /** Why the peer answers this route with 404. */
  peer404?: string;
}
interface Inventory {
  flags: Record<string, FlagEntry>;
  endpoints: Record<string, EndpointEntry>;
}

const FIXTURES = join(ROOT, 'test/fixtures/inventory');
const INVENTORY = JSON.parse(readFileSync(join(FIXTURES, 'inventory.json'), 'utf8')) as Inventory;
const ROUTES = (
  JSON.parse(readFileSync(join(FIXTURES, 'api-routes.json'), 'utf8')) as {
    routes: Array<{ method: string; path: string }>;
  }
).routes;
const READY = 'Server is ready to receive web requests.';

if (PROMETHEUS.missing) console.log(`inventory.test.ts: peer checks skipped: ${PROMETHEUS.missing}`);

afterEach(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
});

/** The peer's flags as its --help-long lists them: name, whether bool, and its shown default. */
function peerFlags(): Map<string, { bool: boolean; shown: string | undefined }> {
  const help = spawnSync(PROMETHEUS.path as string, ['--help-long'], { encoding: 'utf8' }).stdout;
  const flags = new Map<string, { bool: boolean; shown: string | undefined }>();
  for (const m of help.matchAll(/^ {2}(?:-h, | {4})--(\[no-\])?([a-z0-9.-]+)(?:=("(?:[^"\\]|\\.)*"|\S*))?/gm)) {
    const shown = m[3]?.startsWith('"') ? (JSON.parse(m[3]) as string) : m[3];
    flags.set(m[2] as string, { bool: m[1] !== undefined, shown });
  }
  return flags;
}

/** A route's path with its parameters filled in, to call it. */
const concrete = (path: string) => path.replace('/*path', '/query').replace(':name', 'job');

/** The status a route answers with (the body is not read: /notifications/live streams). */
async function statusOf(base: string, key: string): Promise<{ status: number; body: string }> {
  const [method, path] = key.split(' ') as [string, string];
  const res = await fetch(`${base}${concrete(path)}`, { method, signal: AbortSignal.timeout(10_000) });
  if (res.status === 404) return { status: res.status, body: await res.text() };
  await res.body?.cancel();
  return { status: res.status, body: '' };
}

/** Flags the test harness already gives every server (startServer), so they are checked by starting. */
const HARNESS = ['config.file', 'web.listen-address', 'storage.tsdb.path', 'log.format'];
/** Flags a server exits on before it starts. */
const EXITING = ['help', 'version'];
const AGENT_ONLY = ['agent', 'storage.agent.path'];

describe.skipIf(PROMETHEUS.path === undefined)('the inventory of Prometheus 3.5 flags', () => {
  it("has a state for every flag in the peer's --help-long, and only for those", () => {
    const theirs = [...peerFlags().keys()];
    expect(theirs.length).toBeGreaterThan(40);
    expect(theirs.filter((f) => !(f in INVENTORY.flags))).toEqual([]);
    const extra = Object.keys(INVENTORY.flags).filter((f) => !theirs.includes(f));
    expect(extra.filter((f) => !INVENTORY.flags[f]?.notInPeer)).toEqual([]);
    for (const [name, entry] of Object.entries(INVENTORY.flags)) {
      expect(['implemented', 'refused', 'not-applicable', 'missing'], name).toContain(entry.state);
      if (entry.state !== 'implemented') expect(entry.why, `${name} needs a why`).toBeTruthy();
    }
  });

  it('starts miniprom with every implemented flag, and lists each in /api/v1/status/flags', async () => {
    const peer = peerFlags();
    const argFor = (name: string) => {
      const entry = INVENTORY.flags[name] as FlagEntry;
      const flag = peer.get(name);
      if (flag?.bool) return `--${name}`;
      const value = entry.value ?? flag?.shown;
      // kingpin's placeholders (<URL>, STORAGE.TSDB.RETENTION.TIME) are not values.
      if (value === undefined || /^<.*>$|^[A-Z][A-Z0-9.-]*$/.test(value)) throw new Error(`${name}: give a value`);
      return `--${name}=${value}`;
    };
    const implemented = Object.keys(INVENTORY.flags).filter(
      (n) => INVENTORY.flags[n]?.state === 'implemented' && !HARNESS.includes(n) && !EXITING.includes(n),
    );
    const server = implemented.filter((n) => !AGENT_ONLY.includes(n));
    const s = await listening({ config: 'global:\n  scrape_interval: 1h\n', args: server.map(argFor) });
    await s.untilLog(READY);
    const a = await listening({
      config: 'global:\n  scrape_interval: 1h\n',
      args: ['--agent', `--storage.agent.path=${join(s.dir, 'agent')}`],
    });
    await a.untilLog(READY);
    for (const [base, names] of [
      [s.base, [...server, ...HARNESS]],
      [a.base, AGENT_ONLY],
    ] as const) {
      const body = (await (await fetch(`${base}/api/v1/status/flags`)).json()) as { data: Record<string, string> };
      expect(names.filter((n) => !(n in body.data))).toEqual([]);
    }
    for (const name of EXITING) {
      const r = spawnSync(process.execPath, ['dist/cmd/prometheus.js', `--${name}`], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, name).toBe(0);
    }
  });

  it('refuses every flag it does not implement, with the stated error', async () => {
    const refused = Object.entries(INVENTORY.flags).filter(([, e]) => e.state !== 'implemented');
    // Four at a time: each is a process that exits while parsing its flags.
    for (let i = 0; i < refused.length; i += 4) {
      await Promise.all(
        refused.slice(i, i + 4).map(async ([name, entry]) => {
          const s = startServer({ config: 'global:\n  scrape_interval: 1h\n', args: entry.args ?? [`--${name}`] });
          const { code } = await s.exited;
          expect(code, name).toBe(2);
          expect(s.stderr(), name).toContain(
            entry.error ?? `Error parsing command line arguments: unknown option '--${name}'`,
          );
        }),
      );
    }
  }, 120_000);
});

describe('the inventory of Prometheus 3.5 /api/v1 routes', () => {
  it('has a state for every route of the checked-in list, and only for those', () => {
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(keys.length).toBeGreaterThan(30);
    expect(keys.filter((k) => !(k in INVENTORY.endpoints))).toEqual([]);
    expect(Object.keys(INVENTORY.endpoints).filter((k) => !keys.includes(k))).toEqual([]);
    for (const [key, entry] of Object.entries(INVENTORY.endpoints))
      if (entry.state !== 'implemented') expect(entry.why, `${key} needs a why`).toBeTruthy();
  });

  it.skipIf(PROMETHEUS.path === undefined)('lists routes the live peer serves: none is 404 there', async () => {
    const prometheus = await startPrometheus({
      args: ['--web.enable-remote-write-receiver', '--web.enable-admin-api'],
    });
    const notFound: string[] = [];
    for (const { method, path } of ROUTES) {
      const { status } = await statusOf(prometheus.base, `${method} ${path}`);
      if (status === 404 && !INVENTORY.endpoints[`${method} ${path}`]?.peer404) notFound.push(`${method} ${path}`);
    }
    expect(notFound).toEqual([]);
  });

  it('answers every implemented route, and 404 for the others', async () => {
    const server = await listening({
      config: 'global:\n  scrape_interval: 1h\n',
      args: ['--web.enable-remote-write-receiver'],
    });
    await server.untilLog(READY);
    const wrong: string[] = [];
    for (const [key, entry] of Object.entries(INVENTORY.endpoints)) {
      const { status, body } = await statusOf(server.base, key);
      const ok = entry.state === 'implemented' ? status !== 404 : status === 404 && body === '404 page not found\n';
      if (!ok) wrong.push(`${key}: ${entry.state}, answered ${status}`);
    }
    expect(wrong).toEqual([]);
  });
});
