/**
 * The engine's metrics, named as upstream's (promql/engine.go engineMetrics). A metric already on
 * the registry (a second engine on the same registry, as tests make) is reused.
 */
import { Counter, Gauge, type Registry, Summary } from 'prom-client';

export interface EngineMetrics {
  currentQueries: Gauge;
  maxConcurrentQueries: Gauge;
  querySamples: Counter;
  /** prometheus_engine_query_duration_seconds by slice: queue_time, prepare_time, inner_eval, result_sort. */
  duration: Summary<'slice'>;
}

export function engineMetrics(registry: Registry | undefined): EngineMetrics {
  const registers = registry ? [registry] : [];
  const existing = <T>(name: string, kind: abstract new (...args: never[]) => T): T | undefined => {
    const m = registry?.getSingleMetric(name);
    return m instanceof kind ? m : undefined;
  };
  return {
    currentQueries:
      existing('prometheus_engine_queries', Gauge) ??
      new Gauge({
        name: 'prometheus_engine_queries',
        help: 'The current number of queries being executed or waiting.',
        registers,
      }),
    maxConcurrentQueries:
      existing('prometheus_engine_queries_concurrent_max', Gauge) ??
      new Gauge({
        name: 'prometheus_engine_queries_concurrent_max',
        help: 'The max number of concurrent queries.',
        registers,
      }),
    querySamples:
      existing('prometheus_engine_query_samples_total', Counter) ??
      new Counter({
        name: 'prometheus_engine_query_samples_total',
        help: 'The total number of samples loaded by all queries.',
        registers,
      }),
    duration:
      (existing('prometheus_engine_query_duration_seconds', Summary) as Summary<'slice'> | undefined) ??
      new Summary({
        name: 'prometheus_engine_query_duration_seconds',
        help: 'Query timings',
        labelNames: ['slice'],
        // Upstream's objectives (0.5: 0.05, 0.9: 0.01, 0.99: 0.001).
        percentiles: [0.5, 0.9, 0.99],
        registers,
      }),
  };
}
