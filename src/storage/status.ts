/**
 * What upstream's `/api/v1/status/tsdb` reports about the head (tsdb.Head.Stats and
 * MemPostings.Stats): its size and time range, and the top-N cardinality statistics computed from
 * the postings index, as upstream computes them.
 */
import type { Head } from './head.js';
import { entrySize } from './postings.js';

/** One statistic: a name (a metric, a label name, or `name=value`) and its count. */
export interface TSDBStat {
  name: string;
  value: number;
}

export interface TSDBStatus {
  headStats: {
    numSeries: number;
    /** Distinct label name=value pairs (`__name__` included). */
    numLabelPairs: number;
    /**
     * Head chunks: how many upstream's head would hold for these samples (its cutting rule, see
     * Head; upstream reads its `prometheus_tsdb_head_chunks` gauge).
     */
    chunkCount: number;
    /**
     * The oldest and newest sample times in ms, or null while the head has none: upstream then
     * prints Go's math.MaxInt64 and math.MinInt64 (9223372036854775807 and -9223372036854775808),
     * which a JavaScript number cannot hold exactly.
     */
    minTime: number | null;
    maxTime: number | null;
  };
  /** Metric names with the most series. */
  seriesCountByMetricName: TSDBStat[];
  /** Label names with the most values. */
  labelValueCountByLabelName: TSDBStat[];
  /** Label names by the memory their pairs take in upstream's labels (stringlabels: length-prefixed bytes), × series. */
  memoryInBytesByLabelName: TSDBStat[];
  /** `name=value` pairs with the most series. */
  seriesCountByLabelValuePair: TSDBStat[];
}

/** The head's status with the `limit` largest of each statistic (ties: by name, upstream leaves them to map order). */
export function headStatus(head: Head, limit: number): TSDBStatus {
  const metrics = new TopN(limit);
  const labels = new TopN(limit);
  const memory = new TopN(limit);
  const pairs = new TopN(limit);
  let numLabelPairs = 0;
  for (const [name, values] of head.postings?.entries() ?? []) {
    labels.push(name, values.size);
    numLabelPairs += values.size;
    let size = 0;
    for (const [value, entry] of values) {
      const series = entrySize(entry);
      if (name === '__name__') metrics.push(value, series);
      pairs.push(`${name}=${value}`, series);
      size += labelSize(name, value) * series;
    }
    memory.push(name, size);
  }
  const empty = head.numSamples === 0 && head.maxTime === Number.NEGATIVE_INFINITY;
  return {
    headStats: {
      numSeries: head.numSeries,
      numLabelPairs,
      chunkCount: head.numChunks,
      minTime: empty || head.minTime === Number.POSITIVE_INFINITY ? null : head.minTime,
      maxTime: empty ? null : head.maxTime,
    },
    seriesCountByMetricName: metrics.get(),
    labelValueCountByLabelName: labels.get(),
    memoryInBytesByLabelName: memory.get(),
    seriesCountByLabelValuePair: pairs.get(),
  };
}

/** upstream's labels.SizeOfLabels for the default (stringlabels) build, for one series. */
function labelSize(name: string, value: string): number {
  const n = Buffer.byteLength(name);
  const v = Buffer.byteLength(value);
  return n + lengthSize(n) + v + lengthSize(v);
}

/** stringlabels' length prefix: one byte below 255, else four. */
const lengthSize = (n: number) => (n < 255 ? 1 : 4);

/** The `limit` largest counts, largest first; kept sorted as they come, so memory stays `limit`. */
class TopN {
  readonly #items: TSDBStat[] = [];

  constructor(private readonly limit: number) {}

  push(name: string, value: number): void {
    const items = this.#items;
    const before = (a: TSDBStat) => a.value > value || (a.value === value && a.name < name);
    if (items.length >= this.limit) {
      const last = items[items.length - 1];
      if (!last || before(last)) return;
    }
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(items[mid] as TSDBStat)) lo = mid + 1;
      else hi = mid;
    }
    items.splice(lo, 0, { name, value });
    if (items.length > this.limit) items.pop();
  }

  get(): TSDBStat[] {
    return this.#items;
  }
}
