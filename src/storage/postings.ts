/**
 * The head's inverted index (upstream's MemPostings): label name → value → the series having that
 * pair, each list sorted by series ref. A selector becomes set operations on these lists instead
 * of a test of every series: an equality is one lookup, a regex tests each *value* of its label
 * once (not each series), and the lists are intersected and subtracted as upstream's
 * PostingsForMatchers does, including its treatment of matchers that match the empty string.
 *
 * A list is a sorted Uint32Array of series refs (4 bytes a series, no object pointers for the GC
 * to trace), kept in a growable `RefList`; a value only one series has (an `instance`, an `id`)
 * is just that series' ref, a list of one without the list. Lists are replaced, never changed in
 * place, when series are removed, and adding only writes past the end a reader took, so a list a
 * caller still holds keeps what it had. Adding appends (refs only grow) or inserts in ref order
 * (WAL replay).
 */
import { compileRegex } from '../regex/index.js';
import type { MemSeries } from './head.js';
import type { Matcher } from './types.js';

/** A sorted list of series refs, read only. */
type List = Uint32Array;

const EMPTY: List = new Uint32Array(0);

/** A growable sorted list of refs: `refs` holds `length` of them, room for more after. */
class RefList {
  refs: Uint32Array;
  length: number;

  constructor(refs: Uint32Array, length = refs.length) {
    this.refs = refs;
    this.length = length;
  }

  /** The refs as they are now; later adds write past this view's end or into a new buffer. */
  view(): List {
    return this.refs.subarray(0, this.length);
  }

  /** Adds `ref`, keeping the list sorted; new series have the highest ref, so this is a push. */
  insert(ref: number): void {
    const n = this.length;
    const refs = this.refs;
    if (n > 0 && (refs[n - 1] as number) >= ref) {
      const at = search(this.view(), ref, 0);
      if (at >= 0) return;
      this.#grow(n + 1);
      const pos = -at - 1;
      // A new buffer, not a shift in place: a reader may hold a view of the old one.
      const next = new Uint32Array(this.refs.length);
      next.set(refs.subarray(0, pos));
      next[pos] = ref;
      next.set(refs.subarray(pos, n), pos + 1);
      this.refs = next;
      this.length = n + 1;
      return;
    }
    this.#grow(n + 1);
    (this.refs as Uint32Array)[n] = ref;
    this.length = n + 1;
  }

  #grow(need: number): void {
    if (need <= this.refs.length) return;
    const bigger = new Uint32Array(Math.max(4, this.refs.length * 2, need));
    bigger.set(this.refs.subarray(0, this.length));
    this.refs = bigger;
  }
}

/** A value's postings: one series' ref, or a list of two or more. */
type Entry = number | RefList;

/** How many series an entry holds. */
export const entrySize = (e: Entry): number => (typeof e === 'number' ? 1 : e.length);

const entryList = (e: Entry): List => (typeof e === 'number' ? Uint32Array.of(e) : e.view());

/** A matcher ready to test values: its regex compiled once. */
interface CompiledMatcher {
  readonly type: Matcher['type'];
  readonly name: string;
  readonly value: string;
  matches(value: string): boolean;
  /**
   * For `=~`/`!~` whose pattern is only literals and `|` (`a|b|c`): those literals. Upstream's
   * SetMatches fast path: lookups instead of a regex test per value.
   */
  readonly set: readonly string[] | undefined;
}

/** Compiles a matcher (throws `RegexError` for an invalid regex, as a select must). */
export function compileMatcher(m: Matcher): CompiledMatcher {
  const { type, name, value } = m;
  switch (type) {
    case '=':
      return { type, name, value, matches: (v) => v === value, set: undefined };
    case '!=':
      return { type, name, value, matches: (v) => v !== value, set: undefined };
    case '=~': {
      const re = compileRegex(value);
      return { type, name, value, matches: (v) => re.test(v), set: literalSet(value) };
    }
    case '!~': {
      const re = compileRegex(value);
      return { type, name, value, matches: (v) => !re.test(v), set: literalSet(value) };
    }
  }
}

/** The literals of a pattern made only of literal text and `|`, else undefined. */
function literalSet(pattern: string): string[] | undefined {
  // Any character with a meaning in RE2 syntax (escapes, classes, groups, flags, repetition,
  // anchors, `.`) disqualifies: only plain text separated by `|` is a set of strings.
  if (/[\\.+*?()[\]{}^$]/.test(pattern)) return undefined;
  return pattern.split('|');
}

/** `m` with its type negated (upstream's Matcher.Inverse). */
function inverse(m: CompiledMatcher): CompiledMatcher {
  const type = ({ '=': '!=', '!=': '=', '=~': '!~', '!~': '=~' } as const)[m.type];
  return { type, name: m.name, value: m.value, matches: (v) => !m.matches(v), set: m.set };
}

const isNegative = (m: CompiledMatcher) => m.type === '!=' || m.type === '!~';

export class MemPostings {
  readonly #index = new Map<string, Map<string, Entry>>();
  /** Every series (upstream's all-postings key). */
  #all = new RefList(new Uint32Array(16), 0);
  /** Series by ref, for turning lists back into series. */
  readonly #byRef: Array<MemSeries | undefined> = [];

  /** Indexes `s` under each of its label pairs (its labels have no empty values). */
  add(s: MemSeries): void {
    const ref = s.ref;
    this.#byRef[ref] = s;
    this.#all.insert(ref);
    for (const name in s.labels) {
      const value = s.labels[name] as string;
      let values = this.#index.get(name);
      if (!values) {
        values = new Map();
        this.#index.set(name, values);
      }
      const e = values.get(value);
      if (e === undefined) values.set(value, ref);
      else if (typeof e === 'number') {
        if (e === ref) continue;
        values.set(value, new RefList(e < ref ? Uint32Array.of(e, ref) : Uint32Array.of(ref, e)));
      } else e.insert(ref);
    }
  }

  /**
   * Drops `removed` (series marked `removed`) from every list that has them: each affected list
   * is rebuilt once, however many of its series went, and replaced rather than changed in place.
   */
  delete(removed: readonly MemSeries[]): void {
    if (removed.length === 0) return;
    const dirty = new Map<Map<string, Entry>, Set<string>>();
    for (const s of removed) {
      this.#byRef[s.ref] = undefined;
      for (const name in s.labels) {
        const values = this.#index.get(name);
        if (!values) continue;
        let set = dirty.get(values);
        if (!set) {
          set = new Set();
          dirty.set(values, set);
        }
        set.add(s.labels[name] as string);
      }
    }
    const live = (ref: number) => this.#byRef[ref] !== undefined;
    for (const [values, affected] of dirty) {
      for (const value of affected) {
        const e = values.get(value);
        if (e === undefined) continue;
        const kept = entryList(e).filter(live);
        if (kept.length === 0) values.delete(value);
        else if (kept.length === 1) values.set(value, kept[0] as number);
        else values.set(value, new RefList(kept));
      }
    }
    for (const [name, values] of this.#index) if (values.size === 0) this.#index.delete(name);
    const all = this.#all.view().filter(live);
    this.#all = new RefList(all);
  }

  /** The series with `ref` (it must be in the index). */
  series(ref: number): MemSeries {
    return this.#byRef[ref] as MemSeries;
  }

  /** Every indexed series' ref, ascending. */
  all(): List {
    return this.#all.view();
  }

  /** The refs of the series with `name="value"`. */
  get(name: string, value: string): List {
    const e = this.#index.get(name)?.get(value);
    return e === undefined ? EMPTY : entryList(e);
  }

  /** Label names that some series has (unsorted). */
  labelNames(): string[] {
    return [...this.#index.keys()];
  }

  /** The values of label `name` that some series has (unsorted). */
  labelValues(name: string): string[] {
    const values = this.#index.get(name);
    return values ? [...values.keys()] : [];
  }

  /** Label name → value → its series (count them with `entrySize`): for statistics, read only. */
  entries(): ReadonlyMap<string, ReadonlyMap<string, Entry>> {
    return this.#index;
  }

  /**
   * The series matching every matcher, a missing label reading as `""` (all series when there
   * are none), by ref: upstream's PostingsForMatchers. Throws for an invalid regex.
   */
  forMatchers(matchers: readonly Matcher[]): List {
    if (matchers.length === 0) return this.all();
    const ms = matchers.map(compileMatcher);
    // A label that some matcher requires to be non-empty: series without it cannot match.
    const mustBeSet = new Set<string>();
    for (const m of ms) if (!m.matches('')) mustBeSet.add(m.name);
    const subtracting = (m: CompiledMatcher) => !mustBeSet.has(m.name) || (isNegative(m) && m.matches(''));

    const its: List[] = [];
    const notIts: List[] = [];
    // Nothing to intersect: start from every series and subtract.
    if (ms.every(subtracting)) its.push(this.all());

    for (const m of ms) {
      if (m.type === '=~' && m.value === '.*') continue; // matches anything, set or not
      if (m.type === '!~' && m.value === '.*') return EMPTY;
      if (m.type === '=~' && m.value === '.+') {
        const it = this.#withLabel(m.name);
        if (it.length === 0) return EMPTY;
        its.push(it);
        continue;
      }
      if (m.type === '!~' && m.value === '.+') {
        notIts.push(this.#withLabel(m.name));
        continue;
      }
      if (mustBeSet.has(m.name)) {
        const matchesEmpty = m.matches('');
        if (isNegative(m) && matchesEmpty) {
          // l!="foo": l is set anyway (another matcher needs it), so subtract l="foo".
          notIts.push(this.#matching(inverse(m)));
          continue;
        }
        // l!="" and friends: the series whose l is set and not excluded; otherwise l="a", l=~"a|b".
        const it = isNegative(m) ? this.#notMatching(inverse(m)) : this.#matching(m);
        if (it.length === 0) return EMPTY;
        its.push(it);
        continue;
      }
      // The matcher matches "": it keeps series without the label, so subtract those whose value fails it.
      notIts.push(this.#notMatching(m));
    }

    let result = intersect(its);
    for (const n of notIts) result = without(result, n);
    return result;
  }

  /** Series that have label `name` with a value `m` matches (never those without the label). */
  #matching(m: CompiledMatcher): List {
    if (m.type === '=') return this.get(m.name, m.value);
    if (m.type === '=~' && m.set) return this.#union(m.name, m.set);
    return this.#unionWhere(m.name, (v) => m.matches(v));
  }

  /** Series that have label `name` with a value `m` does not match (upstream's inversePostingsForMatcher). */
  #notMatching(m: CompiledMatcher): List {
    if (m.type === '!~' && m.set) return this.#union(m.name, m.set);
    if (m.type === '!=') return this.get(m.name, m.value);
    if (m.value === '' && (m.type === '=' || m.type === '=~')) return this.#withLabel(m.name);
    return this.#unionWhere(m.name, (v) => !m.matches(v));
  }

  /** Series that have label `name` at all. */
  #withLabel(name: string): List {
    return this.#unionWhere(name, () => true);
  }

  #union(name: string, values: readonly string[]): List {
    const lists: List[] = [];
    for (const v of new Set(values)) {
      const list = this.get(name, v);
      if (list.length > 0) lists.push(list);
    }
    return union(lists);
  }

  /** The union of the lists of the values of `name` that pass `test`: each value tested once. */
  #unionWhere(name: string, test: (value: string) => boolean): List {
    const values = this.#index.get(name);
    if (!values) return EMPTY;
    const lists: List[] = [];
    for (const [value, e] of values) if (test(value)) lists.push(entryList(e));
    return union(lists);
  }
}

/** Whether `list` (sorted by ref) holds a series with `ref`, searching from `lo`; returns the index or -(insertion point) − 1. */
function search(list: List, ref: number, lo: number): number {
  let l = lo;
  let h = list.length;
  while (l < h) {
    const mid = (l + h) >>> 1;
    const r = list[mid] as number;
    if (r < ref) l = mid + 1;
    else if (r > ref) h = mid;
    else return mid;
  }
  return -l - 1;
}

/**
 * Whether walking `b` entry by entry beats a binary search per entry of `a`: the merge costs
 * |a| + |b| steps, the searches |a|·log₂|b|.
 */
const mergeIsCheaper = (a: List, b: List) => a.length + b.length < a.length * Math.log2(b.length + 1);

/** Series in every list (none for no lists, as upstream's Intersect). */
function intersect(lists: readonly List[]): List {
  if (lists.length === 0) return EMPTY;
  const sorted = [...lists].sort((x, y) => x.length - y.length);
  let result = sorted[0] as List;
  for (let k = 1; k < sorted.length && result.length > 0; k++) result = intersect2(result, sorted[k] as List);
  return result;
}

/** `a` ∩ `b`, `a` the shorter. */
function intersect2(a: List, b: List): List {
  const out = new Uint32Array(a.length);
  let n = 0;
  if (mergeIsCheaper(a, b)) {
    let j = 0;
    for (let i = 0; i < a.length; i++) {
      const ref = a[i] as number;
      while (j < b.length && (b[j] as number) < ref) j++;
      if (j === b.length) break;
      if (b[j] === ref) out[n++] = ref;
    }
  } else {
    let lo = 0;
    for (let i = 0; i < a.length; i++) {
      const ref = a[i] as number;
      const at = search(b, ref, lo);
      if (at >= 0) {
        out[n++] = ref;
        lo = at + 1;
      } else lo = -at - 1;
    }
  }
  return out.subarray(0, n);
}

/** `a` without the series in `b`. */
function without(a: List, b: List): List {
  if (a.length === 0 || b.length === 0) return a;
  const out = new Uint32Array(a.length);
  let n = 0;
  if (mergeIsCheaper(a, b)) {
    let j = 0;
    for (let i = 0; i < a.length; i++) {
      const ref = a[i] as number;
      while (j < b.length && (b[j] as number) < ref) j++;
      if (b[j] !== ref) out[n++] = ref;
    }
  } else {
    let lo = 0;
    for (let i = 0; i < a.length; i++) {
      const ref = a[i] as number;
      const at = search(b, ref, lo);
      if (at < 0) {
        out[n++] = ref;
        lo = -at - 1;
      } else lo = at + 1;
    }
  }
  return out.subarray(0, n);
}

/** The series in any of `lists` (each sorted, no two holding the same series), ascending. */
function union(lists: readonly List[]): List {
  if (lists.length === 0) return EMPTY;
  if (lists.length === 1) return lists[0] as List;
  // Lists of different values of one label are disjoint: concatenating and sorting is exact.
  let total = 0;
  for (const list of lists) total += list.length;
  const out = new Uint32Array(total);
  let n = 0;
  for (const list of lists) {
    out.set(list, n);
    n += list.length;
  }
  return out.sort();
}
