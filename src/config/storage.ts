/**
 * The `storage` section: storage.tsdb (out-of-order window, stale series compaction threshold,
 * float chunk encoding, retention) and storage.exemplars, with upstream's defaults and checks
 * (TSDBConfig, TSDBRetentionConfig and ExemplarsConfig in config.go). Which of these the running
 * storage can honour is for the db_storage reloader to say; the loader gives promtool's verdict.
 */
import type { StorageConfig, TSDBRetentionConfig } from './types.js';
import { goQuote, type Reader, type Value } from './yaml.js';

const FLOAT_ENCODINGS = ['xor', 'xor2'] as const;

/** No retention flags (promtool): upstream's zero DefaultTSDBRetentionConfig. */
export const NO_RETENTION: TSDBRetentionConfig = { time: 0, size: 0, percentage: 0 };

/**
 * `defaultRetention` is what a file without storage.tsdb.retention gets: upstream's main sets
 * DefaultTSDBRetentionConfig from its retention flags before loading, so the flags act as the
 * default and a retention section in the file replaces them whole.
 */
export function parseStorage(r: Reader, value: Value, defaultRetention: TSDBRetentionConfig): StorageConfig {
  const f = r.fields(value, 'storage', 'config.StorageConfig', ['tsdb', 'exemplars']);
  const tsdb = r.fields(f.get('tsdb'), 'storage.tsdb', 'config.plain', [
    'out_of_order_time_window',
    'stale_series_compaction_threshold',
    'chunk_encoding',
    'retention',
  ]);
  const encoding = r.fields(tsdb.get('chunk_encoding'), 'storage.tsdb.chunk_encoding', 'config.ChunkEncodingConfig', [
    'floats',
  ]);
  const floats = r.string(encoding.get('floats'), 'storage.tsdb.chunk_encoding.floats') ?? '';
  if (floats !== '' && !(FLOAT_ENCODINGS as readonly string[]).includes(floats))
    r.fail(
      encoding.get('floats'),
      'storage.tsdb.chunk_encoding.floats',
      `'storage.tsdb.chunk_encoding.floats' must be 'xor' or 'xor2', or the field must be omitted entirely, got ${goQuote(floats)}`,
    );
  const exemplars = f.get('exemplars');
  return {
    tsdb: {
      outOfOrderTimeWindow:
        r.duration(tsdb.get('out_of_order_time_window'), 'storage.tsdb.out_of_order_time_window') ?? 0,
      staleSeriesCompactionThreshold:
        r.float(tsdb.get('stale_series_compaction_threshold'), 'storage.tsdb.stale_series_compaction_threshold') ?? 0,
      chunkEncoding: { floats: floats as StorageConfig['tsdb']['chunkEncoding']['floats'] },
      // A present but empty `retention:` is a nil pointer to Go, as if absent: the default again.
      retention: r.isNull(tsdb.get('retention')) ? { ...defaultRetention } : parseRetention(r, tsdb.get('retention')),
    },
    ...(exemplars !== undefined && { exemplars: parseExemplars(r, exemplars) }),
  };
}

function parseRetention(r: Reader, value: Value): TSDBRetentionConfig {
  const path = 'storage.tsdb.retention';
  const f = r.fields(value, path, 'config.plain', ['time', 'size', 'percentage']);
  const size = r.size(f.get('size'), `${path}.size`) ?? 0;
  if (size < 0)
    r.fail(
      f.get('size'),
      `${path}.size`,
      `'storage.tsdb.retention.size' must be greater than or equal to 0, got ${base2String(size)}`,
    );
  const percentage = r.float(f.get('percentage'), `${path}.percentage`) ?? 0;
  // Go's comparison, so NaN passes here as upstream (the db_storage reloader then refuses it).
  if (percentage < 0 || percentage > 100)
    r.fail(
      f.get('percentage'),
      `${path}.percentage`,
      `'storage.tsdb.retention.percentage' must be in the range [0, 100], got ${percentage}`,
    );
  return { time: r.duration(f.get('time'), `${path}.time`) ?? 0, size, percentage };
}

function parseExemplars(r: Reader, value: Value): { maxExemplars: number } {
  const f = r.fields(value, 'storage.exemplars', 'config.ExemplarsConfig', ['max_exemplars']);
  // Upstream: 0 or less disables exemplar storage; no default when the section is present.
  return { maxExemplars: r.int(f.get('max_exemplars'), 'storage.exemplars.max_exemplars') ?? 0 };
}

/** Go's units.Base2Bytes.String(): `-1GiB`, `1KiB512B`. */
function base2String(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let rest = Math.abs(bytes);
  const parts: string[] = [];
  for (const unit of units) {
    if (rest % 1024 !== 0) parts.unshift(`${rest % 1024}${unit}`);
    rest = Math.floor(rest / 1024);
    if (rest === 0) break;
  }
  return `${bytes < 0 ? '-' : ''}${parts.join('') || '0B'}`;
}
