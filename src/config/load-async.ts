/**
 * Loading a config off the event loop. Parsing YAML and validating it is synchronous work that,
 * for a large file (thousands of targets, hundreds of jobs), holds a thread for hundreds of
 * milliseconds; a reload runs while the server serves, so it does that work in a worker thread
 * and only takes the result (plain data) back. The answer is exactly `loadConfigFile`'s.
 */
import { createRequire } from 'node:module';
import { ConfigError } from './errors.js';
import type { LoadOptions } from './load.js';
import type { Config } from './types.js';

type Reply =
  | { config: Config }
  | { error: { message: string; config: boolean; line?: number; column?: number; path?: string } };

/** node:worker_threads, loaded by the first large reload rather than at every start (~1.5 ms). */
const workerThreads = (): typeof import('node:worker_threads') => createRequire(import.meta.url)('node:worker_threads');

/** `loadConfigFile(file, opts)`, run in a worker thread; rejects with the same ConfigError. */
export function loadConfigFileInWorker(file: string, opts: LoadOptions): Promise<Config> {
  return new Promise((resolve, reject) => {
    const { Worker } = workerThreads();
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: { file, opts } });
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      if ('config' in reply) resolve(reply.config);
      else {
        const { message, config, ...position } = reply.error;
        reject(config ? new ConfigError(message, position) : new Error(message));
      }
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`loading the configuration stopped unexpectedly (exit code ${code})`));
    });
  });
}
