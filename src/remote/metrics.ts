/** Remote write's own metrics, with upstream's names and help texts, per queue (remote_name, url). */
import { Counter, Gauge, type Registry } from 'prom-client';

type QueueLabels = 'remote_name' | 'url';

export interface RemoteMetrics {
  samplesSent: Counter<QueueLabels>;
  samplesFailed: Counter<QueueLabels>;
  samplesRetried: Counter<QueueLabels>;
  samplesDropped: Counter<QueueLabels>;
  samplesPending: Gauge<QueueLabels>;
  bytesSent: Counter<QueueLabels>;
  highestSent: Gauge<QueueLabels>;
  /** One: miniprom's queue sends through a single shard. */
  shards: Gauge<QueueLabels>;
  maxSamplesPerSend: Gauge<QueueLabels>;
  /** Every sample committed to remote storage, for all queues (no labels, as upstream). */
  samplesIn: Counter;
  /** The newest sample timestamp committed to remote storage, in seconds. */
  highestIn: Gauge;
}

export function createRemoteMetrics(registry: Registry): RemoteMetrics {
  const common = { labelNames: ['remote_name', 'url'] as QueueLabels[], registers: [registry] };
  return {
    samplesSent: new Counter({
      name: 'prometheus_remote_storage_samples_total',
      help: 'Total number of samples sent to remote storage.',
      ...common,
    }),
    samplesFailed: new Counter({
      name: 'prometheus_remote_storage_samples_failed_total',
      help: 'Total number of samples which failed on send to remote storage, non-recoverable errors.',
      ...common,
    }),
    samplesRetried: new Counter({
      name: 'prometheus_remote_storage_samples_retried_total',
      help: 'Total number of samples which failed on send to remote storage but were retried because the send error was recoverable.',
      ...common,
    }),
    samplesDropped: new Counter({
      name: 'prometheus_remote_storage_samples_dropped_total',
      help: 'Total number of samples which were dropped before being sent via remote write: by write relabeling, for being older than sample_age_limit, or because the queue was full.',
      ...common,
    }),
    samplesPending: new Gauge({
      name: 'prometheus_remote_storage_samples_pending',
      help: 'The number of samples pending in the queues shards to be sent to the remote storage.',
      ...common,
    }),
    bytesSent: new Counter({
      name: 'prometheus_remote_storage_bytes_total',
      help: 'The total number of bytes of data (not metadata) sent by the queue after compression. Note that when exemplars over remote write is enabled the exemplars included in a remote write request count towards this metric.',
      ...common,
    }),
    highestSent: new Gauge({
      name: 'prometheus_remote_storage_queue_highest_sent_timestamp_seconds',
      help: 'Timestamp from a WAL sample, the highest timestamp successfully sent by this queue, in seconds since epoch. Initialized to 0 when no data has been sent yet.',
      ...common,
    }),
    shards: new Gauge({
      name: 'prometheus_remote_storage_shards',
      help: 'The number of shards used for parallel sending to the remote storage.',
      ...common,
    }),
    maxSamplesPerSend: new Gauge({
      name: 'prometheus_remote_storage_max_samples_per_send',
      help: 'The maximum number of samples to be sent, in a single request, to the remote storage. Note that, when sending of exemplars over remote write is enabled, exemplars count towards this limt.',
      ...common,
    }),
    samplesIn: new Counter({
      name: 'prometheus_remote_storage_samples_in_total',
      help: 'Samples in to remote storage, compare to samples out for queue managers.',
      registers: [registry],
    }),
    highestIn: new Gauge({
      name: 'prometheus_remote_storage_highest_timestamp_in_seconds',
      help: 'Highest timestamp that has come into the remote storage via the Appender interface, in seconds since epoch. Initialized to 0 when no data has been received yet.',
      registers: [registry],
    }),
  };
}
