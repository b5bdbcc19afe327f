/**
 * A strict reader over a parsed YAML document, modelled on Go's yaml.UnmarshalStrict (upstream reads
 * its config with go.yaml.in/yaml/v2): unknown fields, duplicate keys and values of the wrong type
 * are errors, aliases and `<<` merge keys are followed, and every error carries the line and column
 * of the node at fault and its YAML path.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, Scalar } from 'yaml';
import { ConfigError } from './errors.js';
import { parseDuration, parseSize } from './units.js';
import { NOT_SUPPORTED, whyNotSupported } from './unsupported.js';

/** What a field holds: undefined when the field is absent; a null Scalar when it is empty or `~`. */
export type Value = Node | undefined;

/** One key of a map, after merge keys have been followed. */
export interface Entry {
  name: string;
  key: Node;
  value: Node;
}

/** The fields of one YAML map, by name. */
export class Fields {
  constructor(
    /** The map itself (undefined when the section was absent): where "missing field" errors point. */
    readonly node: Value,
    private readonly entries: ReadonlyMap<string, Entry>,
  ) {}

  get(name: string): Value {
    return this.entries.get(name)?.value;
  }

  /** The key node: where errors about the field as a whole point (e.g. agent mode). */
  key(name: string): Value {
    return this.entries.get(name)?.key;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }
}

/** Appends a field name to a YAML path (`global` + `scrape_interval`). */
export function at(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

export class Reader {
  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
    private readonly doc: Document,
  ) {}

  /** Throws the one-line ConfigError for `node` (or the file as a whole when there is no node). */
  fail(node: Value, path: string, detail: string): never {
    const offset = node?.range?.[0];
    const pos = offset === undefined ? undefined : this.lines.linePos(offset);
    const where = pos ? `${this.file}:${pos.line}:${pos.col}` : this.file;
    throw new ConfigError(`${where}: ${path ? `${path}: ` : ''}${detail}`, {
      line: pos?.line,
      column: pos?.col,
      path: path || undefined,
    });
  }

  /** True when a field is absent or empty (`key:` or `~`): either way the default stays. */
  isNull(value: Value): boolean {
    const node = this.deref(value, '');
    return node === undefined || (isScalar(node) && node.value === null);
  }

  /**
   * A struct-like map: only `allowed` fields, each at most once. Absent or null gives no fields.
   * `goType` is the Go type upstream's decoder fills for this section, which go-yaml names in its
   * errors (`field x not found in type config.plain`): `config.plain` where the struct's
   * UnmarshalYAML decodes through a `type plain X` alias, else the struct's own name. Each was
   * read off Prometheus 3.5.3's own messages.
   */
  fields(value: Value, path: string, goType: string, allowed: readonly string[]): Fields {
    const node = this.deref(value, path);
    const byName = new Map<string, Entry>();
    if (node === undefined || this.isNull(node)) return new Fields(node, byName);
    for (const entry of this.entries(node, path, goType, (name) => `field ${name} already set in type ${goType}`)) {
      if (!allowed.includes(entry.name)) {
        // Upstream fields miniprom lacks get their own message: the user's config is not wrong.
        const detail = NOT_SUPPORTED.has(entry.name)
          ? `${entry.name} is not supported by miniprom: ${whyNotSupported(entry.name)}`
          : `field ${entry.name} not found in type ${goType}`;
        this.fail(entry.key, at(path, entry.name), detail);
      }
      byName.set(entry.name, entry);
    }
    return new Fields(node, byName);
  }

  /** Any scalar as a string, the way Go decodes one into a string field: `0123` stays `0123`. */
  string(value: Value, path: string, into = 'string'): string | undefined {
    const node = this.deref(value, path);
    if (node === undefined || this.isNull(node)) return undefined;
    if (!isScalar(node)) return this.fail(node, path, `cannot unmarshal ${kind(node)} into ${into}`);
    return this.text(node, path);
  }

  /**
   * A boolean; undefined when the field is absent. An explicit null (`key:` or `~`) is false:
   * Go's yaml.v2 sets a null to the zero value, over any default (`honor_timestamps:` is false
   * upstream, though honor_timestamps defaults to true).
   */
  bool(value: Value, path: string): boolean | undefined {
    const node = this.deref(value, path);
    if (node === undefined) return undefined;
    if (this.isNull(node)) return false;
    // YAML 1.1 (and Go) also read yes/no/on/off as booleans; the parser already did that.
    if (!isScalar(node) || typeof node.value !== 'boolean')
      return this.fail(node, path, `cannot unmarshal ${kind(node)} into bool`);
    return node.value;
  }

  /** A non-negative integer (Go's uint): limits, modulus. */
  uint(value: Value, path: string): number | undefined {
    const node = this.deref(value, path);
    if (node === undefined || this.isNull(node)) return undefined;
    if (!isScalar(node) || scalarTag(node) !== '!!int' || (node.value as number) < 0)
      return this.fail(node, path, `cannot unmarshal ${kind(node)} into uint`);
    return node.value as number;
  }

  /** An integer, possibly negative (Go's int): queue sizes, whose sign Validate checks. */
  int(value: Value, path: string): number | undefined {
    const node = this.deref(value, path);
    if (node === undefined || this.isNull(node)) return undefined;
    if (!isScalar(node) || scalarTag(node) !== '!!int')
      return this.fail(node, path, `cannot unmarshal ${kind(node)} into int`);
    return node.value as number;
  }

  /** A number, integer or not (Go's float64). */
  float(value: Value, path: string): number | undefined {
    const node = this.deref(value, path);
    if (node === undefined || this.isNull(node)) return undefined;
    if (!isScalar(node) || typeof node.value !== 'number')
      return this.fail(node, path, `cannot unmarshal ${kind(node)} into float64`);
    return node.value;
  }

  /** Milliseconds of a Prometheus duration (`1m30s`), with upstream's parse errors. */
  duration(value: Value, path: string): number | undefined {
    const text = this.string(value, path, 'duration');
    if (text === undefined) return undefined;
    try {
      return parseDuration(text);
    } catch (err) {
      return this.fail(value, path, (err as Error).message);
    }
  }

  /** Bytes of a size (`64MB`). */
  size(value: Value, path: string): number | undefined {
    const text = this.string(value, path, 'size');
    if (text === undefined) return undefined;
    try {
      return parseSize(text);
    } catch (err) {
      return this.fail(value, path, (err as Error).message);
    }
  }

  /**
   * A sequence's items (aliases followed); absent or null gives none. Items may be null Scalars.
   * `into` is the Go type named when it is no sequence, where that is known (`[]string`).
   */
  list(value: Value, path: string, into = 'a list'): Node[] {
    const node = this.deref(value, path);
    if (node === undefined || this.isNull(node)) return [];
    if (!isSeq(node)) return this.fail(node, path, `cannot unmarshal ${kind(node)} into ${into}`);
    return node.items.map((item, i) => this.deref((item as Node | null) ?? nullAt(node), `${path}[${i}]`) as Node);
  }

  /** A map with free-form keys (labels, headers, params), each at most once; absent or null is empty. */
  map(value: Value, path: string, into: string): Entry[] {
    const node = this.deref(value, path);
    if (node === undefined || this.isNull(node)) return [];
    return this.entries(node, path, into, (name) => `key ${JSON.stringify(name)} already set in map`);
  }

  /** A map of strings (HTTP headers, say). A null value is "", as Go decodes it. */
  stringMap(
    value: Value,
    path: string,
    into = 'map[string]string',
    check?: (e: Entry) => void,
  ): Record<string, string> {
    const entries = this.map(value, path, into);
    if (check) entries.forEach(check);
    // fromEntries defines own properties, so a key named __proto__ is kept like any other.
    return Object.fromEntries(entries.map((e) => [e.name, this.string(e.value, at(path, e.name)) ?? '']));
  }

  /**
   * A label set: every name must be a valid label name (upstream's LabelName.UnmarshalYAML, which
   * Prometheus 3 runs under UTF-8 names whatever metric_name_validation_scheme says).
   */
  labels(value: Value, path: string): Record<string, string> {
    return this.stringMap(value, path, 'labels', (e) => {
      if (!isValidLabelName(e.name)) this.fail(e.key, at(path, e.name), `${goQuote(e.name)} is not a valid label name`);
      // Values may be any UTF-8 (upstream's LabelValue.IsValid); only undecodable bytes fail.
      const value = this.string(e.value, at(path, e.name));
      if (value !== undefined && LONE_SURROGATE.test(value))
        this.fail(e.value, at(path, e.name), `${goQuote(value)} is not a valid label value`);
    });
  }

  /** scalarText, with a bad `!!binary` reported as Go's decoder reports it. */
  private text(node: Scalar, path: string): string {
    try {
      return scalarText(node);
    } catch (err) {
      if (err instanceof BinaryError) return this.fail(node, path, err.message);
      throw err;
    }
  }

  /** Follows an alias (`*name`) to its anchor, as Go's decoder does. */
  private deref(value: Value, path: string): Value {
    if (value === undefined || !isAlias(value)) return value;
    const target = value.resolve(this.doc) as Node | undefined;
    if (target === undefined) return this.fail(value, path, `unknown anchor '${value.source}' referenced`);
    return target;
  }

  /**
   * A map's keys in order, each once: explicit keys first, then those merged in by `<<` (an
   * explicit key overrides a merged one, and an earlier merged map a later one, as in Go's yaml).
   */
  private entries(
    node: Node,
    path: string,
    into: string,
    duplicate: (name: string) => string,
    merging: ReadonlySet<Node> = new Set(),
  ): Entry[] {
    if (!isMap(node)) return this.fail(node, path, `cannot unmarshal ${kind(node)} into ${into}`);
    const explicit = new Map<string, Entry>();
    const merged: Entry[] = [];
    for (const pair of node.items) {
      const key = (pair.key as Node | null) ?? nullAt(node);
      if (isMergeKey(key)) {
        const inner = new Set(merging).add(node);
        for (const source of this.mergeSources(pair.value as Node | null, path)) {
          // `a: &x { <<: *x }` would merge forever; Go's yaml refuses it with these words.
          if (inner.has(source)) this.fail(pair.value as Node, path, 'anchor value contains itself');
          merged.push(...this.entries(source, path, into, duplicate, inner));
        }
        continue;
      }
      if (!isScalar(key)) return this.fail(key, path, `cannot unmarshal ${kind(key)} into string`);
      const name = key.value === null ? '' : this.text(key, path);
      if (explicit.has(name)) this.fail(key, at(path, name), duplicate(name));
      // `key:` with nothing after it has no value node; a null Scalar at the key stands in for it.
      explicit.set(name, { name, key, value: (pair.value as Node | null) ?? nullAt(key) });
    }
    const out = [...explicit.values()];
    const seen = new Set(explicit.keys());
    for (const entry of merged) {
      if (seen.has(entry.name)) continue;
      seen.add(entry.name);
      out.push(entry);
    }
    return out;
  }

  /** The maps a `<<` key merges: one map, or a list of them. */
  private mergeSources(value: Node | null, path: string): Node[] {
    const node = this.deref(value ?? undefined, path);
    if (node !== undefined && isMap(node)) return [node];
    const items = node !== undefined && isSeq(node) ? node.items.map((n) => this.deref(n as Node, path)) : [];
    if (items.length === 0 || items.some((n) => n === undefined || !isMap(n)))
      return this.fail(node, path, 'map merge requires map or sequence of maps as the value');
    return items as Node[];
  }
}

/**
 * model.LabelName.IsValid as Prometheus 3.5 runs it in its config (external labels, static config
 * labels, required matchers, relabel source labels): under UTF-8 names, any non-empty valid UTF-8.
 * Prometheus 3 sets that scheme process-wide and refuses to load a config otherwise, so the legacy
 * rule never applies here; metric_name_validation_scheme: legacy acts on scraped series instead.
 */
export function isValidLabelName(name: string): boolean {
  return name !== '' && !LONE_SURROGATE.test(name);
}

/** A plain `<<` key (quoted, it is an ordinary key, as in Go's yaml). */
function isMergeKey(key: Node): boolean {
  return isScalar(key) && key.type === 'PLAIN' && key.source === '<<';
}

/** A null value positioned at `node`, for errors about an empty entry. */
function nullAt(node: Node): Node {
  const empty = new Scalar(null);
  if (node.range) empty.range = node.range;
  return empty;
}

/**
 * A scalar's text: the string itself, or the source of a number or boolean (`0123`, `yes`), or
 * the bytes of a `!!binary` value. Go keeps bytes that are not UTF-8 in its string; here each such
 * byte becomes a lone surrogate (U+DC80–U+DCFF, Python's "surrogateescape"), which no label
 * check accepts and `goQuote` prints back as `\xNN`.
 */
function scalarText(node: Scalar): string {
  if (typeof node.value === 'string') return node.value;
  if (node.value instanceof Uint8Array) return binaryText(node.source ?? '');
  return node.source ?? String(node.value);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function binaryText(base64: string): string {
  // yaml.v2 decodes with base64.StdEncoding: padded, no URL alphabet, nothing else.
  if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64))
    throw new BinaryError('!!binary value contains invalid base64 data');
  const bytes = Buffer.from(base64, 'base64');
  try {
    return utf8.decode(bytes);
  } catch {
    return Array.from(bytes, (b) => String.fromCharCode(b < 0x80 ? b : 0xdc00 + b)).join('');
  }
}

class BinaryError extends Error {}

/** A UTF-16 surrogate that is not half of a pair: what undecodable `!!binary` bytes became. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Go's %q of a string: JSON-like, with the bytes that were not UTF-8 as `\xNN`. */
export function goQuote(text: string): string {
  return JSON.stringify(text).replace(/\\udc([89a-f][0-9a-f])/g, (_, hex: string) => `\\x${hex}`);
}

/** The YAML tag a scalar resolved to, in Go's short form. */
function scalarTag(node: Scalar): string {
  const v = node.value;
  if (v === null) return '!!null';
  if (typeof v === 'boolean') return '!!bool';
  if (typeof v === 'number' || typeof v === 'bigint') {
    // Integers written as floats (`1.0`, `1e3`) are floats to Go; hex and octal stay integers.
    const source = node.source ?? '';
    return Number.isInteger(v) && (/^[-+]?0x/i.test(source) || !/[.eE]/.test(source)) ? '!!int' : '!!float';
  }
  if (v instanceof Date) return '!!timestamp';
  if (typeof v === 'string') return '!!str';
  return '!!binary';
}

/**
 * How Go's yaml.v2 names a value in `cannot unmarshal …` errors: `!!seq`, or a scalar's tag and
 * text in backquotes, a text longer than 10 bytes cut to its first 7 and `...` (`!!str \`abcdefg...\``).
 */
function kind(node: Node): string {
  if (isMap(node)) return '!!map';
  if (isSeq(node)) return '!!seq';
  if (!isScalar(node)) return 'a value';
  const tag = scalarTag(node);
  if (tag === '!!null' || tag === '!!binary') return tag;
  const text = scalarText(node);
  const bytes = Buffer.from(text);
  return `${tag} \`${bytes.length > 10 ? `${bytes.subarray(0, 7).toString()}...` : text}\``;
}
