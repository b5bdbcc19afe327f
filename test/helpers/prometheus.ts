/**
 * The reference Prometheus 3.5 (scripts/peers.sh) for tests that compare miniprom with the real
 * thing: started on 127.0.0.1 in a scratch directory, ready when it says so, stopped by `stop()`.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../scripts/free-port.mjs';
import { findPeer } from '../../scripts/peers.mjs';
import { scratchDir } from './server.js';

export const PROMETHEUS = findPeer('prometheus');

/** Every instance started and not yet stopped, so a test that fails midway still cleans up. */
const running = new Set<ReferencePrometheus>();

/** Stops every instance still running; call from afterEach. */
export async function stopPrometheuses(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

export interface ReferencePrometheus {
  base: string;
  port: number;
  /** What it has logged so far. */
  log(): string;
  /** SIGTERM, then resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts Prometheus 3.5 with `config` (YAML, or a function of the port it will listen on) and extra
 * `args`; resolves once it logs that it is ready. Throws if the peer is missing: callers skip
 * first, printing `PROMETHEUS.missing`.
 */
export async function startPrometheus(
  opts: { config?: string | ((port: number) => string); args?: string[] } = {},
): Promise<ReferencePrometheus> {
  if (!PROMETHEUS.path) throw new Error(PROMETHEUS.missing);
  const dir = scratchDir();
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  const text = typeof opts.config === 'function' ? opts.config(port) : opts.config;
  writeFileSync(config, text ?? 'global:\n  scrape_interval: 1h\n');
  const child = spawn(
    PROMETHEUS.path,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(opts.args ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let log = '';
  const instance: ReferencePrometheus = {
    base: `http://127.0.0.1:${port}`,
    port,
    log: () => log,
    async stop() {
      running.delete(instance);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  running.add(instance);
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Server is ready to receive web requests.')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`prometheus exited with ${code}:\n${log}`)));
  });
  return instance;
}
