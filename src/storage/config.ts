/**
 * The `storage` section as the running storage sees it: which settings it can honour. The loader
 * accepts every setting upstream accepts (promtool's verdict); the db_storage reloader then asks
 * this module, so a setting miniprom's storage cannot honour fails the (re)load with a reason
 * instead of being ignored.
 */
import type { StorageConfig } from '../config/index.js';

/**
 * What this storage cannot do with `cfg`, or undefined. The agent, like upstream's, reads only the
 * out-of-order window (upstream's readyStorage.ApplyConfig ignores the rest in agent mode).
 */
export function unsupportedStorageSetting(cfg: StorageConfig, mode: 'tsdb' | 'agent'): string | undefined {
  const { tsdb } = cfg;
  if (tsdb.outOfOrderTimeWindow !== 0)
    return 'storage.tsdb.out_of_order_time_window is not supported by miniprom: its head takes each series in time order and drops older samples';
  if (mode === 'agent') return undefined;
  if (tsdb.staleSeriesCompactionThreshold !== 0)
    return 'storage.tsdb.stale_series_compaction_threshold is not supported by miniprom: its head is never compacted into blocks';
  // xor is upstream's default encoding, so asking for it changes nothing; xor2 asks for another
  // chunk format, and the head here keeps plain numbers, not chunks.
  if (tsdb.chunkEncoding.floats === 'xor2')
    return 'storage.tsdb.chunk_encoding.floats: xor2 is not supported by miniprom: its head keeps samples as plain numbers, not in chunks';
  // `!== 0` rather than `> 0`: a NaN percentage passes upstream's check and must not pass this one.
  if (tsdb.retention.size !== 0 || tsdb.retention.percentage !== 0) {
    const field = tsdb.retention.size !== 0 ? 'size' : 'percentage';
    return `storage.tsdb.retention.${field} is not supported by miniprom: it writes no blocks to delete (retention.time trims the head)`;
  }
  return undefined;
}
