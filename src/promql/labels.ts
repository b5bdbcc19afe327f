/**
 * Label-set operations the engine needs (upstream's labels.Labels methods and labels.Builder), on
 * miniprom's `Labels` records. A label set never holds an empty value: setting one to "" deletes
 * it, as upstream's Builder does.
 */
import { compareLabels, type Labels } from '../storage/index.js';

/** The metric name's label. */
export const METRIC_NAME = '__name__';
/** A classic histogram bucket's upper bound label. */
export const BUCKET_LABEL = 'le';

/** Labels upstream's schema.IsMetadataLabel names: dropped with the metric name. */
const METADATA_LABELS = ['__name__', '__type__', '__unit__'];

/** The empty label set. */
export const EMPTY_LABELS: Labels = Object.freeze({});

const sortedNamesCache = new WeakMap<Labels, string[]>();
/** The set's names, sorted (as upstream keeps them). Cached: label sets are immutable. */
export function sortedNames(l: Labels): string[] {
  let names = sortedNamesCache.get(l);
  if (!names) {
    names = Object.keys(l).sort();
    sortedNamesCache.set(l, names);
  }
  return names;
}

const keyCache = new WeakMap<Labels, string>();

/** A string that identifies the label set (upstream's Hash(), without collisions). */
export function labelsKey(l: Labels): string {
  let key = keyCache.get(l);
  if (key === undefined) {
    key = '';
    for (const name of sortedNames(l)) key += `${name}\xff${l[name]}\xff`;
    keyCache.set(l, key);
  }
  return key;
}

/** The key of only `names` (sorted) present in `l` (upstream's BytesWithLabels/HashForLabels). */
export function keyWithLabels(l: Labels, names: readonly string[]): string {
  let key = '';
  for (const name of names) {
    const v = l[name];
    if (v !== undefined && v !== '') key += `${name}\xff${v}\xff`;
  }
  return key;
}

/** The key of `l` without `names` (upstream's BytesWithoutLabels/HashWithoutLabels; also drops `__name__`). */
export function keyWithoutLabels(l: Labels, names: ReadonlySet<string>): string {
  let key = '';
  for (const name of sortedNames(l)) {
    if (name === METRIC_NAME || names.has(name)) continue;
    key += `${name}\xff${l[name]}\xff`;
  }
  return key;
}

/** `l` without `__name__`, `__type__` and `__unit__`; `l` itself when it has none of them. */
export function dropMetadata(l: Labels): Labels {
  if (l.__name__ === undefined && l.__type__ === undefined && l.__unit__ === undefined) return l;
  // Cached: the same series loses its name at every step, and the result keeps one identity.
  let out = droppedCache.get(l);
  if (!out) {
    const o: Record<string, string> = {};
    for (const name in l) if (!METADATA_LABELS.includes(name)) o[name] = l[name] as string;
    out = o;
    droppedCache.set(l, out);
  }
  return out;
}
const droppedCache = new WeakMap<Labels, Labels>();

/** Whether `a` and `b` have the same `__name__`, `__type__` and `__unit__` (each alike, or absent from both). */
export function sameMetadata(a: Labels, b: Labels): boolean {
  return a.__name__ === b.__name__ && a.__type__ === b.__type__ && a.__unit__ === b.__unit__;
}

/** `l` with only `names` kept (upstream's Builder.Keep). */
export function keepLabels(l: Labels, names: readonly string[]): Labels {
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = l[name];
    if (v !== undefined && v !== '') out[name] = v;
  }
  return out;
}

/** `l` without `names` (upstream's Builder.Del). */
export function deleteLabels(l: Labels, names: readonly string[]): Labels {
  if (!names.some((n) => l[n] !== undefined)) return l;
  const out: Record<string, string> = {};
  for (const name in l) if (!names.includes(name)) out[name] = l[name] as string;
  return out;
}

/** `l` with `name` set to `value`; an empty value deletes the label (upstream's Builder.Set). */
export function setLabel(l: Labels, name: string, value: string): Labels {
  if (value === '') return deleteLabels(l, [name]);
  if (l[name] === value) return l;
  return { ...l, [name]: value };
}

/**
 * Whether `name` is a valid label name under Prometheus 3's UTF-8 scheme: not empty, and valid
 * UTF-8 (a lone surrogate is how the parser holds a byte of invalid UTF-8).
 */
export function isValidLabelName(name: string): boolean {
  return name.length > 0 && !/\p{Surrogate}/u.test(name.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
}

/** Upstream's labels.Compare. */
export { compareLabels };

/** Go's strconv.Quote: a double-quoted string with Go's escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    // A byte of invalid UTF-8 (held by the parser as the lone surrogate U+DC00+byte) prints as \xNN.
    if (c >= 0xdc80 && c <= 0xdcff) out += `\\x${(c - 0xdc00).toString(16).padStart(2, '0')}`;
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Upstream's labels.String(): `{a="b", c="d"}`, names sorted. */
export function labelsToString(l: Labels): string {
  return `{${sortedNames(l)
    .map((n) => `${n}=${goQuote(l[n] as string)}`)
    .join(', ')}}`;
}

/** Upstream's MatchLabels: with `on`, only `names`; otherwise all but `names` and `__name__`. */
export function matchLabels(l: Labels, on: boolean, names: readonly string[]): Labels {
  if (on) return keepLabels(l, names);
  return deleteLabels(l, [...names, METRIC_NAME]);
}
