/**
 * Quantiles as upstream's promql/quantile.go computes them for floats: classic-histogram buckets
 * (`le`) for histogram_quantile and histogram_fraction, and the φ-quantile of a set of values for
 * quantile() and quantile_over_time().
 */
import { isStaleNaN } from '../storage/index.js';
import { goSort } from './go-sort.js';

/** Relative differences below this between neighbouring buckets are float noise (upstream's). */
const SMALL_DELTA_TOLERANCE = 1e-12;

export interface Bucket {
  upperBound: number;
  count: number;
}

const MIN_NORMAL = 2.2250738585072014e-308;

/** Upstream's util/almost.Equal. */
export function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (isStaleNaN(a) || isStaleNaN(b)) return isStaleNaN(a) && isStaleNaN(b);
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

function sortBuckets(buckets: Bucket[]): void {
  // slices.SortFunc by upper bound; bounds are distinct after coalescing, so order of ties is moot.
  buckets.sort((a, b) => (a.upperBound < b.upperBound ? -1 : a.upperBound > b.upperBound ? 1 : 0));
}

/** Merges buckets with the same upper bound (sorted input). */
function coalesceBuckets(buckets: Bucket[]): Bucket[] {
  let last = { ...(buckets[0] as Bucket) };
  let i = 0;
  for (const b of buckets.slice(1)) {
    if (b.upperBound === last.upperBound) last.count += b.count;
    else {
      buckets[i] = last;
      last = { ...b };
      i++;
    }
  }
  buckets[i] = last;
  return buckets.slice(0, i + 1);
}

/** Upstream's ensureMonotonicAndIgnoreSmallDeltas: [forcedMonotonic, fixedPrecision]. */
function ensureMonotonic(buckets: Bucket[], tolerance: number): [boolean, boolean] {
  let forced = false;
  let fixed = false;
  let prev = (buckets[0] as Bucket).count;
  for (let i = 1; i < buckets.length; i++) {
    const b = buckets[i] as Bucket;
    const curr = b.count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, tolerance)) {
      b.count = prev;
      fixed = true;
      continue;
    }
    if (curr < prev) {
      b.count = prev;
      forced = true;
      continue;
    }
    prev = curr;
  }
  return [forced, fixed];
}

/**
 * The q-quantile of classic buckets (upstream's BucketQuantile): the value, and whether the counts
 * had to be forced monotonic (which histogram_quantile reports as an info).
 */
export function bucketQuantile(q: number, input: Bucket[]): { value: number; forcedMonotonic: boolean } {
  if (Number.isNaN(q)) return { value: Number.NaN, forcedMonotonic: false };
  if (q < 0) return { value: Number.NEGATIVE_INFINITY, forcedMonotonic: false };
  if (q > 1) return { value: Number.POSITIVE_INFINITY, forcedMonotonic: false };
  sortBuckets(input);
  if ((input[input.length - 1] as Bucket).upperBound !== Number.POSITIVE_INFINITY) {
    return { value: Number.NaN, forcedMonotonic: false };
  }
  const buckets = coalesceBuckets(input);
  const [forcedMonotonic] = ensureMonotonic(buckets, SMALL_DELTA_TOLERANCE);
  if (buckets.length < 2) return { value: Number.NaN, forcedMonotonic: false };
  const observations = (buckets[buckets.length - 1] as Bucket).count;
  if (observations === 0) return { value: Number.NaN, forcedMonotonic: false };
  let rank = q * observations;
  // sort.Search over all but the +Inf bucket: the first bucket whose count reaches the rank.
  let b = 0;
  let hi = buckets.length - 1;
  while (b < hi) {
    const mid = (b + hi) >>> 1;
    if ((buckets[mid] as Bucket).count >= rank) hi = mid;
    else b = mid + 1;
  }
  if (b === buckets.length - 1) return { value: (buckets[buckets.length - 2] as Bucket).upperBound, forcedMonotonic };
  if (b === 0 && (buckets[0] as Bucket).upperBound <= 0)
    return { value: (buckets[0] as Bucket).upperBound, forcedMonotonic };
  let bucketStart = 0;
  const bucketEnd = (buckets[b] as Bucket).upperBound;
  let count = (buckets[b] as Bucket).count;
  if (b > 0) {
    bucketStart = (buckets[b - 1] as Bucket).upperBound;
    count -= (buckets[b - 1] as Bucket).count;
    rank -= (buckets[b - 1] as Bucket).count;
  }
  return { value: bucketStart + (bucketEnd - bucketStart) * (rank / count), forcedMonotonic };
}

/** The fraction of observations between lower and upper (upstream's BucketFraction). */
export function bucketFraction(lower: number, upper: number, input: Bucket[]): number {
  sortBuckets(input);
  if ((input[input.length - 1] as Bucket).upperBound !== Number.POSITIVE_INFINITY) return Number.NaN;
  const buckets = coalesceBuckets(input);
  const count = (buckets[buckets.length - 1] as Bucket).count;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return Number.NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i] as Bucket;
    const lowerBound = i > 0 ? (buckets[i - 1] as Bucket).upperBound : Number.NEGATIVE_INFINITY;
    const upperBound = b.upperBound;
    const interpolate = (v: number) => rank + ((b.count - rank) * (v - lowerBound)) / (upperBound - lowerBound);
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}

/** upstream's vectorByValueHeap.Less on plain values: NaN sorts before everything. */
export const lessByValue = (a: number, b: number): boolean => Number.isNaN(a) || a < b;

/** The q-quantile of `values` (sorted in place), as upstream's quantile(). */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  goSort(values, lessByValue);
  const n = values.length;
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return (values[lowerIndex] as number) * (1 - weight) + (values[upperIndex] as number) * weight;
}
