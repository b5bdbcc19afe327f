/**
 * src/tracing: the tracing manager. Prometheus installs an OpenTelemetry tracer provider from the
 * config's `tracing` section. miniprom has no trace exporter yet, so this manager tracks the section
 * and says plainly, on each change, that no spans are exported.
 */
import type { Logger } from 'pino';
import type { Config, TracingConfig } from '../config/index.js';

export interface TracingManager {
  prepare(cfg: Config): () => void;
  /** Runs until `stop()`. */
  run(): Promise<void>;
  stop(): Promise<void>;
}

export function createTracingManager(opts: { logger: Logger }): TracingManager {
  let current: string | undefined;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  return {
    prepare(cfg) {
      const next: TracingConfig = cfg.tracing;
      const key = JSON.stringify(next);
      return () => {
        // Like upstream, only a changed section is acted upon (and logged).
        if (key === current) return;
        current = key;
        if (next.endpoint === '') opts.logger.info('Tracing is disabled: no tracing endpoint is configured');
        else
          opts.logger.warn(
            { endpoint: next.endpoint, client_type: next.clientType },
            'Tracing is configured, but miniprom has no trace exporter yet: no spans are sent',
          );
      };
    },
    run: () => done,
    async stop() {
      // Nothing is buffered without an exporter; a real one would flush its spans here.
      stopped();
    },
  };
}
