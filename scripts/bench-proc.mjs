// What every part of `npm run bench` does to a server process: spawn it in a scratch directory,
// wait for `/-/ready` to answer 200, read its RSS and CPU time from /proc, stop it and time the
// exit. Only node:http talks to the servers while timing (fetch's first call loads undici, which
// would land inside the first measurement).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.mjs';

const CLOCK_TICKS = 100; // USER_HZ on Linux: /proc/<pid>/stat counts CPU time in these

/** Resident memory of a process, in MiB. */
export const rssMiB = (pid) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** One HTTP exchange with node:http (no keep-alive): `{ status, body }`, or throws on a refused connection. */
export function http(url, { method = 'GET', body } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) {
      req.setHeader('content-type', 'application/x-www-form-urlencoded');
      req.end(body);
    } else req.end();
  });
}

export const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/**
 * Spawns `server` ({ name, command, args, prometheus }) with a scratch directory holding `config`
 * as bench.yml (Prometheus-like servers get the usual flags plus `extra`), and resolves once its
 * `/-/ready` answers 200 with `{ child, base, dir, readyMs, stop(), restart() }`. `stop()` sends
 * SIGTERM and resolves to the milliseconds until the process has exited; `dispose()` kills
 * whatever is left and removes the directory.
 */
export async function startServer(server, { config = 'global:\n  scrape_interval: 1m\n', extra = [], dir } = {}) {
  const work = dir ?? mkdtempSync(join(tmpdir(), 'miniprom-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  writeFileSync(join(work, 'bench.yml'), config);
  const args = server.prometheus
    ? [
        '--config.file=bench.yml',
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
        `--storage.tsdb.path=${join(work, 'data')}`,
        ...extra,
      ]
    : [`--port=${port}`];
  const t0 = performance.now();
  const child = spawn(server.command, [...server.args, ...args], {
    cwd: work,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...server.env },
  });
  let exitedAt;
  const exited = new Promise((resolve) =>
    child.on('exit', () => {
      exitedAt = performance.now();
      resolve();
    }),
  );
  let log = '';
  child.stderr.on('data', (d) => {
    log += d;
  });
  let gone = false;
  exited.then(() => {
    gone = true;
  });
  for (;;) {
    if (gone) {
      if (!dir) rmSync(work, { recursive: true, force: true });
      throw new Error(`${server.name} exited before ready:\n${log}`);
    }
    try {
      if ((await http(`${base}/-/ready`)).status === 200) break;
    } catch {
      // Not listening yet.
    }
    await sleep(2);
  }
  const readyMs = performance.now() - t0;
  return {
    child,
    base,
    dir: work,
    readyMs,
    log: () => log,
    async stop() {
      const s = performance.now();
      child.kill('SIGTERM');
      await exited;
      return exitedAt - s;
    },
    async dispose({ keep = false } = {}) {
      if (!gone) {
        child.kill('SIGKILL');
        await exited;
      }
      if (!keep) rmSync(work, { recursive: true, force: true });
    },
  };
}
