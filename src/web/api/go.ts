/**
 * The few Go standard library behaviours the API's answers depend on, word for word: strconv's
 * ParseFloat, Atoi and Quote, and net/url's query parsing (what `r.Form` holds).
 */

import { goQuote } from '../../golang/index.js';

/** strconv.ParseFloat(s, 64), undefined on an error (src/golang has the rules). */
export { parseFloatOrUndefined as parseGoFloat } from '../../golang/index.js';
/** strconv.Quote (what `%q` prints): the one port, in src/golang. */
export { goQuote };

/** strconv.Atoi: the number, or Go's error text (`strconv.Atoi: parsing "x": invalid syntax`). */
export function atoi(s: string): { value: number } | { error: string } {
  if (!/^[+-]?\d+$/.test(s)) return { error: `strconv.Atoi: parsing ${goQuote(s)}: invalid syntax` };
  const value = BigInt(s);
  if (value > 2n ** 63n - 1n || value < -(2n ** 63n)) {
    return { error: `strconv.Atoi: parsing ${goQuote(s)}: value out of range` };
  }
  return { value: Number(value) };
}

/**
 * A request's form values as Go's `r.Form` holds them: those of an
 * `application/x-www-form-urlencoded` body (POST, PUT, PATCH) first, then the URL query's.
 */
export class GoForm {
  readonly #values = new Map<string, string[]>();
  /** The first parse error, as ParseForm returns it (the pairs it could parse are kept). */
  readonly error: string | undefined;

  constructor(parts: readonly string[], error?: string) {
    let first = error;
    for (const part of parts) {
      const e = parseQueryInto(this.#values, part);
      first ??= e;
    }
    this.error = first;
  }

  /** `r.FormValue(name)`: the first value, or ''. */
  get(name: string): string {
    return this.#values.get(name)?.[0] ?? '';
  }

  /** `r.Form[name]`: every value, body's first. */
  all(name: string): string[] {
    return this.#values.get(name) ?? [];
  }
}

/** url.ParseQuery into `into`; returns the first error's text. */
function parseQueryInto(into: Map<string, string[]>, query: string): string | undefined {
  let error: string | undefined;
  for (const pair of query.split('&')) {
    if (pair.includes(';')) {
      error ??= 'invalid semicolon separator in query';
      continue;
    }
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = queryUnescape(eq < 0 ? pair : pair.slice(0, eq));
    const value = queryUnescape(eq < 0 ? '' : pair.slice(eq + 1));
    if (typeof key !== 'string') {
      error ??= key.error;
      continue;
    }
    if (typeof value !== 'string') {
      error ??= value.error;
      continue;
    }
    const values = into.get(key);
    if (values) values.push(value);
    else into.set(key, [value]);
  }
  return error;
}

/** url.QueryUnescape: `+` is a space, `%XX` a byte; a bad escape is Go's error. */
function queryUnescape(s: string): string | { error: string } {
  if (!s.includes('%')) return s.replaceAll('+', ' ');
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { error: `invalid URL escape ${goQuote(s.slice(i, i + 3))}` };
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (c === '+') bytes.push(0x20);
    else {
      const cp = s.codePointAt(i) as number;
      bytes.push(...Buffer.from(String.fromCodePoint(cp)));
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Go's slices.SortFunc: pdqsort, unstable. Upstream sorts federated samples with it by metric
 * name alone, so the order of series of one name is whatever pdqsort leaves; reproducing it
 * exactly (insertion sort up to 12 elements, ninther pivots, the pattern breaker's fixed xorshift
 * seed) gives the same order for the same input. In place.
 */
export function goSortFunc<T>(data: T[], cmp: (a: T, b: T) => number): void {
  const n = data.length;
  pdqsort(data, 0, n, bitsLen(n), cmp);
}

function bitsLen(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

function swap<T>(data: T[], i: number, j: number): void {
  const t = data[i] as T;
  data[i] = data[j] as T;
  data[j] = t;
}

type Hint = 'unknown' | 'increasing' | 'decreasing';

function insertionSort<T>(data: T[], a: number, b: number, cmp: (a: T, b: T) => number): void {
  for (let i = a + 1; i < b; i++) {
    for (let j = i; j > a && cmp(data[j] as T, data[j - 1] as T) < 0; j--) swap(data, j, j - 1);
  }
}

function siftDown<T>(data: T[], lo: number, hi: number, first: number, cmp: (a: T, b: T) => number): void {
  let root = lo;
  for (;;) {
    let child = 2 * root + 1;
    if (child >= hi) return;
    if (child + 1 < hi && cmp(data[first + child] as T, data[first + child + 1] as T) < 0) child++;
    if (!(cmp(data[first + root] as T, data[first + child] as T) < 0)) return;
    swap(data, first + root, first + child);
    root = child;
  }
}

function heapSort<T>(data: T[], a: number, b: number, cmp: (a: T, b: T) => number): void {
  const hi = b - a;
  for (let i = Math.trunc((hi - 1) / 2); i >= 0; i--) siftDown(data, i, hi, a, cmp);
  for (let i = hi - 1; i >= 0; i--) {
    swap(data, a, a + i);
    siftDown(data, 0, i, a, cmp);
  }
}

function pdqsort<T>(data: T[], a0: number, b0: number, limit0: number, cmp: (a: T, b: T) => number): void {
  let a = a0;
  let b = b0;
  let limit = limit0;
  let wasBalanced = true;
  let wasPartitioned = true;
  for (;;) {
    const length = b - a;
    if (length <= 12) {
      insertionSort(data, a, b, cmp);
      return;
    }
    if (limit === 0) {
      heapSort(data, a, b, cmp);
      return;
    }
    if (!wasBalanced) {
      breakPatterns(data, a, b);
      limit--;
    }
    let [pivot, hint] = choosePivot(data, a, b, cmp);
    if (hint === 'decreasing') {
      reverseRange(data, a, b);
      pivot = b - 1 - (pivot - a);
      hint = 'increasing';
    }
    if (wasBalanced && wasPartitioned && hint === 'increasing' && partialInsertionSort(data, a, b, cmp)) return;
    if (a > 0 && !(cmp(data[a - 1] as T, data[pivot] as T) < 0)) {
      a = partitionEqual(data, a, b, pivot, cmp);
      continue;
    }
    const [mid, alreadyPartitioned] = partition(data, a, b, pivot, cmp);
    wasPartitioned = alreadyPartitioned;
    const leftLen = mid - a;
    const rightLen = b - mid;
    const balanceThreshold = Math.trunc(length / 8);
    if (leftLen < rightLen) {
      wasBalanced = leftLen >= balanceThreshold;
      pdqsort(data, a, mid, limit, cmp);
      a = mid + 1;
    } else {
      wasBalanced = rightLen >= balanceThreshold;
      pdqsort(data, mid + 1, b, limit, cmp);
      b = mid;
    }
  }
}

function partition<T>(data: T[], a: number, b: number, pivot: number, cmp: (a: T, b: T) => number): [number, boolean] {
  swap(data, a, pivot);
  let i = a + 1;
  let j = b - 1;
  while (i <= j && cmp(data[i] as T, data[a] as T) < 0) i++;
  while (i <= j && !(cmp(data[j] as T, data[a] as T) < 0)) j--;
  if (i > j) {
    swap(data, j, a);
    return [j, true];
  }
  swap(data, i, j);
  i++;
  j--;
  for (;;) {
    while (i <= j && cmp(data[i] as T, data[a] as T) < 0) i++;
    while (i <= j && !(cmp(data[j] as T, data[a] as T) < 0)) j--;
    if (i > j) break;
    swap(data, i, j);
    i++;
    j--;
  }
  swap(data, j, a);
  return [j, false];
}

function partitionEqual<T>(data: T[], a: number, b: number, pivot: number, cmp: (a: T, b: T) => number): number {
  swap(data, a, pivot);
  let i = a + 1;
  let j = b - 1;
  for (;;) {
    while (i <= j && !(cmp(data[a] as T, data[i] as T) < 0)) i++;
    while (i <= j && cmp(data[a] as T, data[j] as T) < 0) j--;
    if (i > j) break;
    swap(data, i, j);
    i++;
    j--;
  }
  return i;
}

function partialInsertionSort<T>(data: T[], a: number, b: number, cmp: (a: T, b: T) => number): boolean {
  const maxSteps = 5;
  const shortestShifting = 50;
  let i = a + 1;
  for (let step = 0; step < maxSteps; step++) {
    while (i < b && !(cmp(data[i] as T, data[i - 1] as T) < 0)) i++;
    if (i === b) return true;
    if (b - a < shortestShifting) return false;
    swap(data, i, i - 1);
    if (i - a >= 2) {
      for (let j = i - 1; j >= 1; j--) {
        if (!(cmp(data[j] as T, data[j - 1] as T) < 0)) break;
        swap(data, j, j - 1);
      }
    }
    if (b - i >= 2) {
      for (let j = i + 1; j < b; j++) {
        if (!(cmp(data[j] as T, data[j - 1] as T) < 0)) break;
        swap(data, j, j - 1);
      }
    }
  }
  return false;
}

const MASK64 = (1n << 64n) - 1n;

function breakPatterns<T>(data: T[], a: number, b: number): void {
  const length = b - a;
  if (length < 8) return;
  // Go's xorshift, seeded with the length: the same input is always scattered the same way.
  let random = BigInt(length);
  const modulus = BigInt(1 << bitsLen(length));
  const start = a + Math.trunc(length / 4) * 2 - 1;
  for (let idx = start; idx <= start + 2; idx++) {
    random ^= (random << 13n) & MASK64;
    random ^= random >> 7n;
    random ^= (random << 17n) & MASK64;
    let other = Number(random & (modulus - 1n));
    if (other >= length) other -= length;
    swap(data, idx, a + other);
  }
}

function choosePivot<T>(data: T[], a: number, b: number, cmp: (a: T, b: T) => number): [number, Hint] {
  const shortestNinther = 50;
  const maxSwaps = 4 * 3;
  const l = b - a;
  const swaps = { n: 0 };
  let i = a + Math.trunc(l / 4) * 1;
  let j = a + Math.trunc(l / 4) * 2;
  let k = a + Math.trunc(l / 4) * 3;
  if (l >= 8) {
    if (l >= shortestNinther) {
      i = median(data, i - 1, i, i + 1, swaps, cmp);
      j = median(data, j - 1, j, j + 1, swaps, cmp);
      k = median(data, k - 1, k, k + 1, swaps, cmp);
    }
    j = median(data, i, j, k, swaps, cmp);
  }
  if (swaps.n === 0) return [j, 'increasing'];
  if (swaps.n === maxSwaps) return [j, 'decreasing'];
  return [j, 'unknown'];
}

function order2<T>(
  data: T[],
  a: number,
  b: number,
  swaps: { n: number },
  cmp: (a: T, b: T) => number,
): [number, number] {
  if (cmp(data[b] as T, data[a] as T) < 0) {
    swaps.n++;
    return [b, a];
  }
  return [a, b];
}

function median<T>(
  data: T[],
  a: number,
  b: number,
  c: number,
  swaps: { n: number },
  cmp: (a: T, b: T) => number,
): number {
  // Go: a, b = order2(a, b); b, c = order2(b, c); a, b = order2(a, b); return b.
  const [x, y0] = order2(data, a, b, swaps, cmp);
  const [y1] = order2(data, y0, c, swaps, cmp);
  return order2(data, x, y1, swaps, cmp)[1];
}

function reverseRange<T>(data: T[], a: number, b: number): void {
  for (let i = a, j = b - 1; i < j; i++, j--) swap(data, i, j);
}
