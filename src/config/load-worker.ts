/**
 * The worker thread behind `loadConfigFileInWorker`: loads and validates one config file and
 * posts back the Config (plain data, structured-cloned) or the ConfigError's message and position.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError } from './errors.js';
import { type LoadOptions, loadConfigFile } from './load.js';

const { file, opts } = workerData as { file: string; opts: LoadOptions };
try {
  parentPort?.postMessage({ config: loadConfigFile(file, opts) });
} catch (err) {
  const e = err as ConfigError;
  parentPort?.postMessage({
    error: {
      message: e.message,
      config: err instanceof ConfigError,
      line: e.line,
      column: e.column,
      path: e.path,
    },
  });
}
