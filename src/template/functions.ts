/**
 * The functions a Prometheus template can call: text/template's builtins (funcs.go) and
 * Prometheus's own (template/template.go at v3.5.3: `query`, `first`, `humanize`, …), with
 * their Go parameter types and error texts.
 */
import { isIP } from 'node:net';
import { parseDuration } from '../config/index.js';
import { goFormatFloat, goParseFloat } from '../golang/index.js';
import { compileSearch } from '../regex/index.js';
import { FunctionError, type TemplateFunction } from './exec.js';
import { sprint, sprintf, sprintln } from './fmt.js';
import { goQuoteString } from './parse.js';
import { goTime, timeString } from './time.js';
import {
  compareStrings,
  GoInt,
  GoMap,
  GoNamedString,
  GoSlice,
  GoStruct,
  isTrue,
  stringMap,
  typeName,
  type Value,
} from './values.js';

type Kind = 'bool' | 'int' | 'uint' | 'float' | 'string' | 'complex' | 'invalid';

/** text/template's basicKind; throws "invalid type for comparison" for anything else. */
function basicKind(v: Value): Kind {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string' || v instanceof GoNamedString) return 'string';
  if (v instanceof GoInt) return v.type.startsWith('u') ? 'uint' : 'int';
  throw new FunctionError('invalid type for comparison');
}

function scalar(v: Value): bigint | number | string | boolean {
  if (v instanceof GoInt) return v.value;
  if (v instanceof GoNamedString) return v.value;
  return v as number | string | boolean;
}

/** errBadComparison, naming both types as Go 1.24's text/template does. */
const incompatible = (a: Value, b: Value) =>
  new FunctionError(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);

function eq(arg1: Value, rest: Value[]): boolean {
  if (rest.length === 0) throw new FunctionError('missing argument for comparison');
  let k1: Kind;
  try {
    k1 = basicKind(arg1);
  } catch {
    k1 = 'invalid';
  }
  for (const arg of rest) {
    let k2: Kind;
    try {
      k2 = basicKind(arg);
    } catch {
      k2 = 'invalid';
    }
    let truth: boolean;
    if (k1 !== k2) {
      // Integers compare across signedness.
      if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) truth = scalar(arg1) === scalar(arg);
      else if (arg1 !== undefined && arg !== undefined) throw incompatible(arg1, arg);
      else truth = false;
    } else if (k1 === 'invalid') {
      if (arg1 === null || arg === null || arg1 === undefined || arg === undefined) truth = arg1 === arg;
      else throw new FunctionError(`non-comparable types ${typeName(arg1)}: ${typeName(arg)}`);
    } else truth = scalar(arg1) === scalar(arg);
    if (truth) return true;
  }
  return false;
}

function lt(arg1: Value, arg2: Value): boolean {
  const k1 = basicKind(arg1);
  const k2 = basicKind(arg2);
  const a = scalar(arg1);
  const b = scalar(arg2);
  if (k1 !== k2) {
    if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) return (a as bigint) < (b as bigint);
    throw incompatible(arg1, arg2);
  }
  if (k1 === 'bool') throw new FunctionError('invalid type for comparison');
  if (k1 === 'string') return compareStrings(a as string, b as string) < 0;
  return a < b;
}

/** The builtins' evalArgs: one string operand as is, otherwise fmt.Sprint of all. */
const evalArgs = (args: Value[]) => (args.length === 1 && typeof args[0] === 'string' ? args[0] : sprint(args));

function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) =>
    c === '\0' ? '\uFFFD' : ({ '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' }[c] as string),
  );
}

function jsEscape(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.codePointAt(0) as number;
    if (c === '\\') out += '\\\\';
    else if (c === "'") out += "\\'";
    else if (c === '"') out += '\\"';
    else if (c === '<') out += '\\u003C';
    else if (c === '>') out += '\\u003E';
    else if (c === '&') out += '\\u0026';
    else if (c === '=') out += '\\u003D';
    else if (code < 0x20) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += c;
  }
  return out;
}

/** url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function length(v: Value): GoInt {
  if (typeof v === 'string') return new GoInt(BigInt(Buffer.byteLength(v, 'utf8')));
  if (v instanceof GoNamedString) return new GoInt(BigInt(Buffer.byteLength(v.value, 'utf8')));
  if (v instanceof GoMap) return new GoInt(BigInt(v.entries.size));
  if (v instanceof GoSlice) return new GoInt(BigInt(v.items.length));
  if (v === null || v === undefined) throw new FunctionError('len of nil pointer');
  throw new FunctionError(`len of type ${typeName(v)}`);
}

function index(item: Value, indexes: Value[]): Value {
  let v = item;
  if (v === null || v === undefined) throw new FunctionError('index of untyped nil');
  for (const i of indexes) {
    if (v instanceof GoSlice) {
      if (!(i instanceof GoInt)) throw new FunctionError(`cannot index slice/array with type ${typeName(i)}`);
      const n = Number(i.value);
      if (n < 0 || n >= v.items.length) throw new FunctionError(`index out of range: ${n}`);
      v = v.items[n];
    } else if (v instanceof GoMap) {
      if (typeof i !== 'string') throw new FunctionError(`value has type ${typeName(i)}; should be string`);
      v = v.entries.has(i) ? v.entries.get(i) : v.zero;
    } else if (typeof v === 'string') {
      if (!(i instanceof GoInt)) throw new FunctionError(`cannot index slice/array with type ${typeName(i)}`);
      const bytes = Buffer.from(v, 'utf8');
      const n = Number(i.value);
      if (n < 0 || n >= bytes.length) throw new FunctionError(`index out of range: ${n}`);
      v = new GoInt(BigInt(bytes[n] as number), 'uint');
    } else throw new FunctionError(`can't index item of type ${typeName(v)}`);
  }
  return v;
}

/** text/template's builtin functions. */
export const BUILTINS: ReadonlyMap<string, TemplateFunction> = new Map<string, TemplateFunction>([
  ['and', { params: ['any', 'any'], variadic: true, shortCircuit: 'and', call: () => undefined }],
  ['or', { params: ['any', 'any'], variadic: true, shortCircuit: 'or', call: () => undefined }],
  ['not', { params: ['any'], call: ([v]) => !isTrue(v).truth }],
  ['len', { params: ['any'], call: ([v]) => length(v) }],
  ['index', { params: ['any', 'any'], variadic: true, call: ([item, ...rest]) => index(item, rest) }],
  ['print', { params: ['any'], variadic: true, call: (args) => sprint(args) }],
  [
    'printf',
    { params: ['string', 'any'], variadic: true, call: ([format, ...rest]) => sprintf(format as string, rest) },
  ],
  ['println', { params: ['any'], variadic: true, call: (args) => sprintln(args) }],
  ['html', { params: ['any'], variadic: true, call: (args) => htmlEscape(evalArgs(args)) }],
  ['js', { params: ['any'], variadic: true, call: (args) => jsEscape(evalArgs(args)) }],
  ['urlquery', { params: ['any'], variadic: true, call: (args) => queryEscape(evalArgs(args)) }],
  ['eq', { params: ['any', 'any'], variadic: true, call: ([a, ...rest]) => eq(a, rest) }],
  ['ne', { params: ['any', 'any'], call: ([a, b]) => !eq(a, [b]) }],
  ['lt', { params: ['any', 'any'], call: ([a, b]) => lt(a, b) }],
  ['le', { params: ['any', 'any'], call: ([a, b]) => lt(a, b) || eq(a, [b]) }],
  ['gt', { params: ['any', 'any'], call: ([a, b]) => !(lt(a, b) || eq(a, [b])) }],
  ['ge', { params: ['any', 'any'], call: ([a, b]) => !lt(a, b) }],
]);

/** One result of `query`: a `*template.sample` with `.Labels` and `.Value`. */
export function querySample(labels: Readonly<Record<string, string>>, value: number): GoStruct {
  return new GoStruct(
    '*template.sample',
    new Map<string, Value>([
      ['Labels', stringMap(labels)],
      ['Value', value],
    ]),
  );
}

/** A query's answer as templates see it: `template.queryResult`, a slice of samples. */
export function queryResult(
  samples: ReadonlyArray<{ labels: Readonly<Record<string, string>>; value: number }>,
): GoSlice {
  return new GoSlice(
    'template.queryResult',
    samples.map((s) => querySample(s.labels, s.value)),
  );
}

/** common/helpers/templates.ConvertToFloat. */
function toFloat(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const f = goParseFloat(v);
    if (typeof f === 'number') return f;
    throw new FunctionError(`strconv.ParseFloat: parsing ${goQuoteString(v)}: ${f.error}`);
  }
  if (v instanceof GoInt) return Number(v.value);
  throw new FunctionError(`can't convert ${typeName(v)} to float`);
}

const g4 = (v: number) => goFormatFloat(v, 'g', 4);

function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  let x = v;
  let prefix = '';
  if (Math.abs(x) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(x) < 1000) break;
      prefix = p;
      x /= 1000;
    }
    return g4(x) + prefix;
  }
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(x) >= 1) break;
    prefix = p;
    x *= 1000;
  }
  return g4(x) + prefix;
}

function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let x = v;
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(x) < 1024) break;
    prefix = p;
    x /= 1024;
  }
  return g4(x) + prefix;
}

function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return `${g4(v)}s`;
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    const x = Math.abs(v);
    const duration = BigInt(Math.trunc(x));
    const seconds = duration % 60n;
    const minutes = (duration / 60n) % 60n;
    const hours = (duration / 3600n) % 24n;
    const days = duration / 86400n;
    if (days !== 0n) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0n) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0n) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(x)}s`;
  }
  let x = v;
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(x) >= 1) break;
    prefix = p;
    x *= 1000;
  }
  return `${g4(x)}${prefix}s`;
}

const NAN_OR_INF = 'value is NaN or Inf';

/** FloatToTime: milliseconds since the epoch, as model.TimeFromUnixNano keeps them. */
function floatToMillis(v: number): number {
  if (!Number.isFinite(v)) throw new FunctionError(NAN_OR_INF);
  const ns = v * 1e9;
  if (ns > 2 ** 63 || ns < -(2 ** 63) || ns === 2 ** 63)
    throw new FunctionError(
      `${goFormatFloat(v, 'g', -1)} cannot be represented as a nanoseconds timestamp since it overflows int64`,
    );
  return Number(BigInt(Math.trunc(ns)) / 1_000_000n);
}

/** Go's net.SplitHostPort; undefined where Go returns an error. */
function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  const i = hostport.lastIndexOf(':');
  if (i < 0) return undefined;
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0 || end + 1 === hostport.length || end + 1 !== i) return undefined;
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return undefined;
  }
  if (hostport.slice(j).includes('[') || hostport.slice(k).includes(']')) return undefined;
  return { host, port: hostport.slice(i + 1) };
}

const joinHostPort = (host: string, port: string) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** cases.Title(language.AmericanEnglish, cases.NoLower): each word's first letter upper-cased. */
function title(s: string): string {
  let out = '';
  let prev = '';
  for (const c of s) {
    const startsWord = !/[\p{L}\p{N}\p{M}'\u2019]/u.test(prev) || prev === '';
    out += startsWord && /\p{L}/u.test(c) ? c.toUpperCase() : c;
    prev = c;
  }
  return out;
}

/** A Go URL split as net/url keeps it: what `externalURL` prints and `pathPrefix` returns. */
export interface ExternalURL {
  /** url.String(). */
  text: string;
  /** url.Path ("" for none). */
  path: string;
}

/** Parses --web.external-url as Go's url.Parse does for the forms it takes. */
export function parseExternalURL(text: string): ExternalURL {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*)([^?#]*)/.exec(text);
  return { text, path: m ? (m[2] as string) : text };
}

export interface PrometheusFunctionOptions {
  /** Evaluates PromQL at the template's time; undefined where none is given (rule file checks). */
  query?: (q: string) => Promise<ReadonlyArray<{ labels: Readonly<Record<string, string>>; value: number }>>;
  externalURL?: ExternalURL;
}

const NIL_DEREFERENCE = 'runtime error: invalid memory address or nil pointer dereference';

function sampleField(s: Value, field: 'Labels' | 'Value'): Value {
  if (!(s instanceof GoStruct)) throw new FunctionError(NIL_DEREFERENCE);
  return s.fields.get(field);
}

/** Prometheus's template functions (NewTemplateExpander's FuncMap). */
export function prometheusFunctions(opts: PrometheusFunctionOptions): Map<string, TemplateFunction> {
  const url = opts.externalURL;
  return new Map<string, TemplateFunction>([
    [
      'query',
      {
        params: ['string'],
        call: async ([q]) => {
          if (!opts.query) throw new FunctionError(NIL_DEREFERENCE);
          return queryResult(await opts.query(q as string));
        },
      },
    ],
    [
      'first',
      {
        params: ['template.queryResult'],
        call: ([v]) => {
          const items = v instanceof GoSlice ? v.items : [];
          if (items.length === 0) throw new FunctionError('first() called on vector with no elements');
          return items[0];
        },
      },
    ],
    [
      'label',
      {
        params: ['string', '*template.sample'],
        call: ([label, s]) => {
          const labels = sampleField(s, 'Labels') as GoMap;
          return labels.entries.get(label as string) ?? '';
        },
      },
    ],
    ['value', { params: ['*template.sample'], call: ([s]) => sampleField(s, 'Value') }],
    [
      'strvalue',
      {
        params: ['*template.sample'],
        call: ([s]) => ((sampleField(s, 'Labels') as GoMap).entries.get('__value__') as string | undefined) ?? '',
      },
    ],
    [
      'args',
      {
        params: ['any'],
        variadic: true,
        call: (args) => new GoMap('map[string]interface {}', new Map(args.map((a, i) => [`arg${i}`, a])), null),
      },
    ],
    [
      'reReplaceAll',
      {
        params: ['string', 'string', 'string'],
        call: ([pattern, repl, text]) =>
          compileMustSearch(pattern as string).replaceAll(text as string, repl as string),
      },
    ],
    ['safeHtml', { params: ['string'], call: ([text]) => new GoNamedString('template.HTML', text as string) }],
    [
      'match',
      {
        params: ['string', 'string'],
        call: ([pattern, text]) => {
          try {
            return compileSearch(pattern as string).test(text as string);
          } catch (err) {
            throw new FunctionError((err as Error).message);
          }
        },
      },
    ],
    ['title', { params: ['string'], call: ([s]) => title(s as string) }],
    ['toUpper', { params: ['string'], call: ([s]) => (s as string).toUpperCase() }],
    ['toLower', { params: ['string'], call: ([s]) => (s as string).toLowerCase() }],
    ['graphLink', { params: ['string'], call: ([e]) => `/graph?g0.expr=${queryEscape(e as string)}&g0.tab=0` }],
    ['tableLink', { params: ['string'], call: ([e]) => `/graph?g0.expr=${queryEscape(e as string)}&g0.tab=1` }],
    [
      'sortByLabel',
      {
        params: ['string', 'template.queryResult'],
        call: ([label, v]) => {
          const items = (v as GoSlice).items;
          const key = (s: Value) => ((s as GoStruct).fields.get('Labels') as GoMap).entries.get(label as string) ?? '';
          // Array.prototype.sort is stable, as sort.Stable.
          items.sort((a, b) => compareStrings(key(a) as string, key(b) as string));
          return v;
        },
      },
    ],
    ['stripPort', { params: ['string'], call: ([hp]) => splitHostPort(hp as string)?.host ?? (hp as string) }],
    [
      'stripDomain',
      {
        params: ['string'],
        call: ([hp]) => {
          const hostPort = hp as string;
          const split = splitHostPort(hostPort);
          const host = split ? split.host : hostPort;
          const port = split ? split.port : '';
          if (isIP(host) !== 0) return hostPort;
          const first = host.split('.')[0] as string;
          return port !== '' ? joinHostPort(first, port) : first;
        },
      },
    ],
    ['humanize', { params: ['any'], call: ([v]) => humanize(toFloat(v)) }],
    ['humanize1024', { params: ['any'], call: ([v]) => humanize1024(toFloat(v)) }],
    ['humanizeDuration', { params: ['any'], call: ([v]) => humanizeDuration(toFloat(v)) }],
    ['humanizePercentage', { params: ['any'], call: ([v]) => `${g4(toFloat(v) * 100)}%` }],
    [
      'humanizeTimestamp',
      {
        params: ['any'],
        call: ([v]) => {
          const f = toFloat(v);
          if (!Number.isFinite(f)) return g4(f);
          return timeString(floatToMillis(f));
        },
      },
    ],
    ['toTime', { params: ['any'], call: ([v]) => goTime(floatToMillis(toFloat(v))) }],
    [
      'pathPrefix',
      {
        params: [],
        call: () => {
          if (!url) throw new FunctionError(NIL_DEREFERENCE);
          return url.path;
        },
      },
    ],
    [
      'externalURL',
      {
        params: [],
        call: () => {
          if (!url) throw new FunctionError(NIL_DEREFERENCE);
          return url.text;
        },
      },
    ],
    ['parseDuration', { params: ['string'], call: ([d]) => parseModelDuration(d as string) / 1000 }],
  ]);
}

/** regexp.MustCompile: a bad pattern panics with Go's message (and safeCall reports it). */
function compileMustSearch(pattern: string) {
  try {
    return compileSearch(pattern);
  } catch (err) {
    const quoted = /^[^`\p{Cc}]*$/u.test(pattern) ? `\`${pattern}\`` : goQuoteString(pattern);
    throw new FunctionError(`regexp: Compile(${quoted}): ${(err as Error).message}`);
  }
}

/** model.ParseDuration in milliseconds, its error as the function's error. */
function parseModelDuration(text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new FunctionError((err as Error).message);
  }
}
