/**
 * Go's container/heap and the order sort.Sort leaves equal elements in, so that topk, bottomk,
 * sort() and quantile() order ties (and NaNs, which upstream's Less calls smaller than anything)
 * exactly as upstream does. sort.Sort is pdqsort; below 13 elements it is an insertion sort,
 * reproduced here exactly. Longer inputs use a stable sort with the same Less, which orders every
 * strict weak ordering identically and differs from upstream only in the order of ties there.
 */

/** Go's heap.Push: append, then sift up. */
export function heapPush<T>(h: T[], x: T, less: (a: T, b: T) => boolean): void {
  h.push(x);
  up(h, h.length - 1, less);
}

/** Go's heap.Fix. */
export function heapFix<T>(h: T[], i: number, less: (a: T, b: T) => boolean): void {
  if (!down(h, i, h.length, less)) up(h, i, less);
}

function up<T>(h: T[], j: number, less: (a: T, b: T) => boolean): void {
  for (;;) {
    const i = Math.trunc((j - 1) / 2);
    if (i === j || !less(h[j] as T, h[i] as T)) break;
    swap(h, i, j);
    j = i;
  }
}

function down<T>(h: T[], i0: number, n: number, less: (a: T, b: T) => boolean): boolean {
  let i = i0;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n || j1 < 0) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(h[j2] as T, h[j1] as T)) j = j2;
    if (!less(h[j] as T, h[i] as T)) break;
    swap(h, i, j);
    i = j;
  }
  return i > i0;
}

function swap<T>(h: T[], i: number, j: number): void {
  const t = h[i] as T;
  h[i] = h[j] as T;
  h[j] = t;
}

/** Go's sort.Sort(data) with `less` as data.Less, in place. */
export function goSort<T>(a: T[], less: (x: T, y: T) => boolean): void {
  if (a.length <= 12) {
    for (let i = 1; i < a.length; i++) {
      for (let j = i; j > 0 && less(a[j] as T, a[j - 1] as T); j--) swap(a, j, j - 1);
    }
    return;
  }
  a.sort((x, y) => (less(x, y) ? -1 : less(y, x) ? 1 : 0));
}
