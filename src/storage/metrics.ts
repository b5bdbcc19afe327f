/**
 * The storage's metrics, named as upstream's. Created per open on the registry passed in; a metric
 * already there (an earlier or parallel open on the same registry, as tests do) is reused rather
 * than registered twice, so counters keep counting across reopens. Without a registry the metrics
 * exist unregistered, which keeps the hot path free of "is there a registry" checks.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface StorageMetrics {
  series: Gauge;
  /** Pre-bound to `type="float"` (upstream's label: the only sample type here). */
  appended: { inc(n: number): void };
  outOfOrder: Counter;
  /** Pre-bound to `type="float"`: samples older than the head accepts (TSDB). */
  outOfBounds: { inc(n: number): void };
  segment: Gauge;
  /** WAL writes that failed (a full disk): each one's commit failed and left the WAL unchanged. */
  walWritesFailed: Counter;
  /**
   * TSDB only: references to series whose series record replay never saw, by `type` (`series`,
   * `samples`), upstream's prometheus_tsdb_wal_replay_unknown_refs_total.
   */
  replayUnknownRefs?: Counter<'type'>;
  /** TSDB only: corruptions replay found (and repaired), upstream's prometheus_tsdb_wal_corruptions_total. */
  walCorruptions?: Counter;
  /** TSDB only: the retention time in force, in seconds (0: none). */
  retentionLimit?: Gauge;
}

export function storageMetrics(registry: Registry | undefined, mode: 'tsdb' | 'agent'): StorageMetrics {
  const registers = registry ? [registry] : [];
  const existing = (name: string) => registry?.getSingleMetric(name);
  const gauge = (name: string, help: string) => {
    const m = existing(name);
    return m instanceof Gauge ? m : new Gauge({ name, help, registers });
  };
  const counter = (name: string, help: string, labelNames: string[] = []) => {
    const m = existing(name);
    return m instanceof Counter ? m : new Counter({ name, help, labelNames, registers });
  };
  const prefix = mode === 'tsdb' ? 'prometheus_tsdb' : 'prometheus_agent';
  return {
    series:
      mode === 'tsdb'
        ? gauge('prometheus_tsdb_head_series', 'Total number of series in the head block.')
        : gauge('prometheus_agent_active_series', 'Number of active series being tracked by the WAL storage'),
    appended: counter(
      mode === 'tsdb' ? 'prometheus_tsdb_head_samples_appended_total' : 'prometheus_agent_samples_appended_total',
      mode === 'tsdb' ? 'Total number of appended samples.' : 'Total number of samples appended to the storage',
      ['type'],
    ).labels('float'),
    outOfOrder: counter(
      `${prefix}_out_of_order_samples_total`,
      'Total number of out of order samples ingestion failed attempts.',
    ),
    // Only the TSDB has a lower bound (the agent's only check is order), and only it registers this.
    outOfBounds:
      mode === 'tsdb'
        ? counter(
            'prometheus_tsdb_out_of_bound_samples_total',
            'Total number of out of bound samples ingestion failed attempts with out of order support disabled.',
            ['type'],
          ).labels('float')
        : { inc() {} },
    // Upstream's WAL registers this name in both modes.
    segment: gauge('prometheus_tsdb_wal_segment_current', 'Write log segment index that TSDB is currently writing to.'),
    walWritesFailed: counter(
      'prometheus_tsdb_wal_writes_failed_total',
      'Total number of write log writes that failed.',
    ),
    ...(mode === 'tsdb' && {
      replayUnknownRefs: counter(
        'prometheus_tsdb_wal_replay_unknown_refs_total',
        'Total number of unknown series references encountered during WAL replay.',
        ['type'],
      ) as Counter<'type'>,
      walCorruptions: counter('prometheus_tsdb_wal_corruptions_total', 'Total number of WAL corruptions.'),
      retentionLimit: gauge('prometheus_tsdb_retention_limit_seconds', 'How long to retain samples in storage.'),
    }),
  };
}
