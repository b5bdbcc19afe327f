/** Starts the built server in a scratch directory for black-box tests, and reads its JSON logs. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_ADD_ORDER as SERVER_ACTORS } from '../../src/lanes/index.js';
import { type Spawned, spawnScript } from './spawn.js';

export interface LogLine {
  msg: string;
  level: string;
  [field: string]: unknown;
}

export interface Server extends Spawned {
  dir: string;
  configFile: string;
  base: string;
  logs: () => LogLine[];
  msgs: () => string[];
  /** Resolves when a log line with this msg has appeared `count` times. */
  untilLog: (msg: string, count?: number, ms?: number) => Promise<void>;
}

const dirs: string[] = [];

/** Removes every scratch dir made so far; call from afterEach after killAll. */
export function removeScratchDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'miniprom-test-'));
  dirs.push(dir);
  return dir;
}

/** The server-mode actors' names in main.go's add order (contract.md §3): the order they stop in. */
export const SERVER_ADD_ORDER = SERVER_ACTORS.map((a) => a.name);

export const SELF_CONFIG = `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:1']
`;

export function parseLogs(stderr: string): LogLine[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** Spawns dist/cmd/prometheus.js; by default on 127.0.0.1:0 with JSON logs and a scratch data dir. */
export function startServer(opts: {
  config?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  dir?: string;
  defaults?: boolean;
}): Server {
  const dir = opts.dir ?? scratchDir();
  const configFile = join(dir, 'prometheus.yml');
  if (opts.config !== undefined) writeFileSync(configFile, opts.config);
  const args =
    opts.defaults === false
      ? (opts.args ?? [])
      : [
          `--config.file=${configFile}`,
          '--web.listen-address=127.0.0.1:0',
          '--log.format=json',
          ...(opts.args?.includes('--agent') ? [] : [`--storage.tsdb.path=${join(dir, 'data')}`]),
          ...(opts.args ?? []),
        ];
  const spawned = spawnScript('dist/cmd/prometheus.js', args, { env: opts.env, cwd: dir });
  const logs = () => parseLogs(spawned.stderr());
  const server: Server = {
    ...spawned,
    dir,
    configFile,
    base: '',
    logs,
    msgs: () => logs().map((l) => l.msg),
    untilLog: (msg, count = 1, ms) =>
      spawned.until(
        ({ stderr }) => parseLogs(stderr).filter((l) => l.msg === msg).length >= count,
        `log ${JSON.stringify(msg)} ×${count}`,
        ms,
      ),
  };
  return server;
}

/** Starts a server and waits until it listens; `base` is then its URL. */
export async function listening(opts: Parameters<typeof startServer>[0]): Promise<Server> {
  const server = startServer(opts);
  await server.untilLog('Start listening for connections');
  const line = server.logs().find((l) => l.msg === 'Start listening for connections');
  server.base = `http://${String(line?.address)}`;
  return server;
}

export async function http(url: string, method = 'GET'): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { method, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** The index of each message, asserting they appear in this order as a subsequence. */
export function subsequenceMissing(msgs: string[], wanted: string[]): string | undefined {
  let from = 0;
  for (const w of wanted) {
    const at = msgs.indexOf(w, from);
    if (at < 0) return w;
    from = at + 1;
  }
  return undefined;
}
