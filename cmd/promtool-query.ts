/**
 * `promtool query instant|range|series|labels <server> …`, as promtool 3.5 (cmd/promtool/query.go
 * with client_golang's API client): the same flags, the same requests (POST with a GET fallback,
 * as the client does), the same output (prometheus/common's String() for `-o promql`, its JSON for
 * `-o json`), the same messages and exit codes (0 success, 1 for any failure, usage errors too,
 * as kingpin's `promtool: error: …, try --help`).
 */
import { request as httpRequestRaw } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createGunzip } from 'node:zlib';
import {
  compareStrings,
  formatFloatF,
  goJsonString,
  goQuote,
  parseGoFloat,
  parseTime as parseApiTime,
} from '../src/web/index.js';

const SUCCESS = 0;
const FAILURE = 1;

/** A usage error, printed as kingpin prints one. */
class UsageError extends Error {}

type Format = 'promql' | 'json';

interface FlagSpec {
  name: string;
  short?: string;
  /** Repeatable (kingpin's Strings or StringMap). */
  repeatable?: boolean;
  required?: boolean;
}

interface CommandSpec {
  args: Array<{ name: string; required: boolean }>;
  flags: FlagSpec[];
}

/** The flags of `promtool query` itself, valid before or after the subcommand. */
const QUERY_FLAGS: FlagSpec[] = [{ name: 'format', short: 'o' }, { name: 'http.config.file' }];

const COMMANDS: Record<string, CommandSpec> = {
  instant: {
    args: [
      { name: 'server', required: true },
      { name: 'expr', required: true },
    ],
    flags: [{ name: 'time' }],
  },
  range: {
    args: [
      { name: 'server', required: true },
      { name: 'expr', required: true },
    ],
    flags: [{ name: 'header', repeatable: true }, { name: 'start' }, { name: 'end' }, { name: 'step' }],
  },
  series: {
    args: [{ name: 'server', required: true }],
    flags: [{ name: 'match', repeatable: true, required: true }, { name: 'start' }, { name: 'end' }],
  },
  labels: {
    args: [
      { name: 'server', required: true },
      { name: 'name', required: true },
    ],
    flags: [{ name: 'start' }, { name: 'end' }, { name: 'match', repeatable: true }],
  },
};

interface Parsed {
  command: string;
  args: Record<string, string>;
  flags: Map<string, string[]>;
}

/** Parses `query …` arguments as kingpin would; throws UsageError with kingpin's text. */
function parseArgs(argv: readonly string[]): Parsed {
  let command: string | undefined;
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const specs = () => [...QUERY_FLAGS, ...(command ? (COMMANDS[command]?.flags ?? []) : [])];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    let spec: FlagSpec | undefined;
    let value: string | undefined;
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      spec = specs().find((f) => f.name === name);
      if (!spec) throw new UsageError(`unknown long flag '--${name}'`);
      if (eq >= 0) value = arg.slice(eq + 1);
    } else if (arg.startsWith('-') && arg.length > 1 && arg !== '-') {
      const short = arg[1] as string;
      spec = specs().find((f) => f.short === short);
      if (!spec) throw new UsageError(`unknown short flag '-${short}'`);
      if (arg.length > 2) value = arg.slice(2);
    }
    if (spec) {
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`expected argument for flag '--${spec.name}'`);
        value = argv[++i] as string;
      }
      const values = flags.get(spec.name) ?? [];
      flags.set(spec.name, spec.repeatable ? [...values, value] : [value]);
      continue;
    }
    if (command === undefined) {
      if (!(arg in COMMANDS)) throw new UsageError(`expected command but got ${JSON.stringify(arg)}`);
      command = arg;
      continue;
    }
    positional.push(arg);
  }
  if (command === undefined) throw new UsageError("must select a subcommand of 'query'");
  const spec = COMMANDS[command] as CommandSpec;
  const args: Record<string, string> = {};
  spec.args.forEach((a, i) => {
    const value = positional[i];
    if (value === undefined) {
      if (a.required) throw new UsageError(`required argument '${a.name}' not provided`);
      return;
    }
    args[a.name] = value;
  });
  if (positional.length > spec.args.length) throw new UsageError(`unexpected ${positional[spec.args.length]}`);
  const missing = spec.flags.filter((f) => f.required && !flags.has(f.name)).map((f) => `'--${f.name}'`);
  if (missing.length > 0) throw new UsageError(`required flag(s) ${missing.join(', ')} not provided`);
  const format = flags.get('format')?.[0] ?? 'promql';
  if (format !== 'promql' && format !== 'json') {
    throw new UsageError(`enum value must be one of promql,json, got '${format}'`);
  }
  return { command, args, flags };
}

/** kingpin's URLVar: Go's url.Parse, with its error for a host:port without a scheme. */
function parseServerURL(text: string): URL {
  if (/^[^/:?#]*:/.test(text) && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text)) {
    throw new UsageError(`invalid URL: parse ${goQuote(text)}: first path segment in URL cannot contain colon`);
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*\[[^\]]*$/.test(text)) {
    throw new UsageError(`invalid URL: parse ${goQuote(text)}: missing ']' in host`);
  }
  // A URL without a scheme is taken as http, as promtool's newAPI does.
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(text) ? text : `http://${text}`;
  try {
    return new URL(withScheme);
  } catch (err) {
    throw new UsageError(`invalid URL: parse ${goQuote(text)}: ${(err as Error).message}`);
  }
}

/**
 * promtool's parseTime: float seconds (the fraction kept to the nanosecond, not rounded) or
 * RFC3339; as nanoseconds since the epoch (Go's time.Time, which the requests carry as sent).
 */
function parseTime(text: string): bigint {
  const seconds = parseGoFloat(text);
  if (seconds !== undefined && Number.isFinite(seconds)) {
    const whole = Math.trunc(seconds);
    return BigInt(whole) * 1_000_000_000n + BigInt(Math.trunc((seconds - whole) * 1e9));
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  const parsed = m ? parseApiTime(text) : undefined;
  if (m && parsed && 'value' in parsed) {
    // The API's parser has it to the millisecond; the nanoseconds below that come from the text.
    const nanosBelowMs = BigInt((m[7] ?? '').slice(3, 9).padEnd(6, '0'));
    return BigInt(parsed.value) * 1_000_000n + nanosBelowMs;
  }
  throw new Error(`cannot parse ${goQuote(text)} to a valid timestamp`);
}

/** Now, as Go's time.Now() (to the millisecond here). */
function now(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** client_golang's formatTime: float64(t.Unix()) + float64(t.Nanosecond())/1e9, in Go's 'f' format. */
function formatRequestTime(nanos: bigint): string {
  const sec = nanos >= 0n ? nanos / 1_000_000_000n : -((-nanos + 999_999_999n) / 1_000_000_000n);
  const nsec = nanos - sec * 1_000_000_000n;
  return formatFloatF(Number(sec) + Number(nsec) / 1e9);
}

/** time.Duration.Seconds(): whole seconds plus the fraction, as Go computes it. */
function durationSeconds(nanos: bigint): number {
  const sec = nanos / 1_000_000_000n;
  return Number(sec) + Number(nanos - sec * 1_000_000_000n) / 1e9;
}

/** model.Time's String(): ms as seconds in Go's 'f' format. */
function formatTime(ms: number): string {
  return formatFloatF(ms / 1000);
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration (kingpin's Duration flag), in ms; throws `time: invalid duration "x"`. */
function parseGoDuration(text: string): number {
  const invalid = () => new UsageError(`time: invalid duration ${goQuote(text)}`);
  const m = /^([+-]?)(.*)$/.exec(text) as RegExpExecArray;
  let rest = m[2] as string;
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  while (rest !== '') {
    const part = /^(\d*\.?\d*)([a-z\u00b5\u03bc]+)/.exec(rest);
    if (!part || part[1] === '' || part[1] === '.') throw invalid();
    const unit = DURATION_UNITS[part[2] as string];
    if (unit === undefined)
      throw new UsageError(`time: unknown unit ${goQuote(part[2] as string)} in duration ${goQuote(text)}`);
    total += Number(part[1]) * unit;
    rest = rest.slice(part[0].length);
  }
  return m[1] === '-' ? -total : total;
}

/** A failed request, as client_golang's Error (`<type>: <msg>`, with the body as detail). */
class ApiClientError extends Error {
  constructor(
    readonly type: string,
    readonly msg: string,
    readonly detail = '',
  ) {
    super(`${type}: ${msg}`);
  }
}

interface ApiAnswer {
  data: string;
  warnings: string[];
}

/** Does one request as client_golang's apiClientImpl.Do does, returning the raw `data`. */
async function doRequest(url: URL, init: HttpInit): Promise<{ status: number; answer: ApiAnswer }> {
  let res: { status: number; body: string };
  try {
    res = await httpRequest(url, init);
  } catch (err) {
    throw new Error(`${init.method === 'POST' ? 'Post' : 'Get'} ${goQuote(url.href)}: ${networkError(err, url)}`);
  }
  const { body } = res;
  const apiError = res.status === 400 || res.status === 422;
  if (Math.trunc(res.status / 100) !== 2 && !apiError) {
    const [type, msg] =
      Math.trunc(res.status / 100) === 4
        ? ['client_error', `client error: ${res.status}`]
        : Math.trunc(res.status / 100) === 5
          ? ['server_error', `server error: ${res.status}`]
          : ['bad_response', `bad response code ${res.status}`];
    throw Object.assign(new ApiClientError(type, msg, body), { status: res.status });
  }
  let parsed: { status?: string; errorType?: string; error?: string; warnings?: string[] } = {};
  let data = '';
  if (res.status !== 204) {
    try {
      parsed = JSON.parse(body);
      data = rawField(body, 'data') ?? '';
    } catch (err) {
      throw new ApiClientError('bad_response', (err as Error).message);
    }
  }
  if (parsed.status === 'error') throw new ApiClientError(parsed.errorType ?? '', parsed.error ?? '');
  if (apiError && parsed.status === 'success') {
    throw new ApiClientError('bad_response', 'inconsistent body for response code');
  }
  return { status: res.status, answer: { data, warnings: parsed.warnings ?? [] } };
}

interface HttpInit {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

/**
 * One request with node:http (not fetch, which refuses some ports outright), under promtool's
 * two-minute timeout; the body is gunzipped when the server compressed it.
 */
function httpRequest(url: URL, init: HttpInit): Promise<{ status: number; body: string }> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new Error(`unsupported protocol scheme ${goQuote(url.protocol.slice(0, -1))}`));
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequestRaw;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: init.method,
        headers: { 'Accept-Encoding': 'gzip', ...init.headers },
        signal: AbortSignal.timeout(2 * 60_000),
      },
      (res) => {
        const chunks: Buffer[] = [];
        const stream = res.headers['content-encoding'] === 'gzip' ? res.pipe(createGunzip()) : res;
        stream.on('data', (d: Buffer) => chunks.push(d));
        stream.on('error', reject);
        stream.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** What Go's net/http says when a connection fails, for the common cases. */
function networkError(err: unknown, url: URL): string {
  const cause = ((err as { code?: string }).code ? err : (err as { cause?: unknown }).cause) as
    | { code?: string; message?: string }
    | undefined;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const address = `${url.hostname.replace(/^\[|\]$/g, '')}:${port}`;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${address}: connect: connection refused`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'ECONNRESET':
      return 'EOF';
  }
  return cause?.message ?? (err as Error).message;
}

/** The raw text of a top-level field of a JSON object (client_golang keeps `data` as json.RawMessage). */
function rawField(json: string, field: string): string | undefined {
  let i = json.indexOf('{') + 1;
  const skipSpace = () => {
    while (/\s/.test(json[i] ?? '')) i++;
  };
  const skipValue = () => {
    skipSpace();
    const start = i;
    let depth = 0;
    for (; i < json.length; i++) {
      const c = json[i];
      if (c === '"') {
        for (i++; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i++;
        if (depth === 0) {
          i++;
          break;
        }
      } else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (depth === 0) break;
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      } else if (depth === 0 && (c === ',' || /\s/.test(c as string))) break;
    }
    return json.slice(start, i);
  };
  while (i < json.length) {
    skipSpace();
    if (json[i] !== '"') return undefined;
    const key = JSON.parse(skipValue()) as string;
    skipSpace();
    i++; // ':'
    const value = skipValue();
    if (key === field) return value;
    skipSpace();
    if (json[i] !== ',') return undefined;
    i++;
  }
  return undefined;
}

/** client_golang's DoGetFallback: a form POST, and a GET with the same query when that is refused. */
async function postWithFallback(url: URL, params: URLSearchParams): Promise<ApiAnswer> {
  // Go's url.Values.Encode writes the keys sorted.
  params.sort();
  try {
    const { answer } = await doRequest(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: params.toString(),
    });
    return answer;
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status !== 405 && status !== 501) throw err;
    const get = new URL(url);
    get.search = params.toString();
    return (await doRequest(get, { method: 'GET' })).answer;
  }
}

function endpoint(server: URL, path: string): URL {
  const url = new URL(server);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  return url;
}

/** promtool's handleAPIError: one line on stderr, exit 1. */
function handleAPIError(err: unknown): number {
  if (err instanceof ApiClientError && err.detail !== '') {
    process.stderr.write(`query error: ${err.message} (detail: ${err.detail.trim()})\n`);
  } else {
    process.stderr.write(`query error: ${(err as Error).message}\n`);
  }
  return FAILURE;
}

// The values, as prometheus/common's model decodes and prints them.

type Metric = Record<string, string>;
interface SamplePair {
  t: number;
  v: string;
}

function pair(raw: [number | string, string]): SamplePair {
  return { t: Math.round(Number(raw[0]) * 1000), v: raw[1] };
}

/** SampleValue.String(): Go's 'f' format of the float the server sent. */
function valueString(v: string): string {
  const f =
    v === 'NaN'
      ? Number.NaN
      : v === '+Inf'
        ? Number.POSITIVE_INFINITY
        : v === '-Inf'
          ? Number.NEGATIVE_INFINITY
          : Number(v);
  return formatFloatF(f);
}

/** Metric.String(): the name, then `{a="b", c="d"}` with the pairs sorted as text. */
function metricString(m: Metric): string {
  const name = m.__name__;
  const pairs = Object.entries(m)
    .filter(([k]) => k !== '__name__')
    .map(([k, v]) => `${k}=${goQuote(v)}`)
    .sort(compareStrings);
  if (pairs.length === 0) return name ?? '{}';
  return `${name ?? ''}{${pairs.join(', ')}}`;
}

/** LabelSet.String(): every pair, `__name__` included, sorted by name. */
function labelSetString(m: Metric): string {
  const names = Object.keys(m).sort(compareStrings);
  return `{${names.map((n) => `${n}=${goQuote(m[n] as string)}`).join(', ')}}`;
}

/** LabelSet.Before: fewer labels first, then by the first differing name or value. */
function labelSetBefore(a: Metric, b: Metric): number {
  const na = Object.keys(a);
  const nb = Object.keys(b);
  if (na.length !== nb.length) return na.length - nb.length;
  for (const name of [...na, ...nb].sort(compareStrings)) {
    const x = a[name];
    const y = b[name];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x !== y) return compareStrings(x, y);
  }
  return 0;
}

/** A Go map as encoding/json writes it: keys sorted, strings escaped as Go does. */
function jsonMap(m: Metric): string {
  const names = Object.keys(m).sort(compareStrings);
  return `{${names.map((n) => `${goJsonString(n)}:${goJsonString(m[n] as string)}`).join(',')}}`;
}

function jsonPair(p: SamplePair): string {
  return `[${formatTime(p.t)},${goJsonString(valueString(p.v))}]`;
}

interface QueryData {
  resultType: string;
  result: unknown;
}

/** queryResult.UnmarshalJSON's refusal of a string result, with jsoniter's context of the raw `data`. */
function unexpectedType(data: string, type: string): Error {
  const bytes = Buffer.from(data);
  const head = bytes.length;
  const peek = bytes.subarray(Math.max(0, head - 10)).toString();
  const context = bytes.subarray(Math.max(0, head - 50)).toString();
  return new Error(
    `unmarshalerDecoder: unexpected value type ${goQuote(type)}, error found in #${Math.min(10, head)} byte of ...|${peek}|..., bigger context ...|${context}|...`,
  );
}

function printValue(data: string, format: Format): void {
  const value = JSON.parse(data) as QueryData;
  switch (value.resultType) {
    case 'scalar': {
      const p = pair(value.result as [number, string]);
      console.log(format === 'json' ? jsonPair(p) : `scalar: ${valueString(p.v)} @[${formatTime(p.t)}]`);
      return;
    }
    case 'vector': {
      const samples = (value.result as Array<{ metric: Metric; value: [number, string] }>).map((s) => ({
        metric: s.metric,
        p: pair(s.value),
      }));
      if (format === 'json') {
        console.log(`[${samples.map((s) => `{"metric":${jsonMap(s.metric)},"value":${jsonPair(s.p)}}`).join(',')}]`);
      } else {
        console.log(
          samples.map((s) => `${metricString(s.metric)} => ${valueString(s.p.v)} @[${formatTime(s.p.t)}]`).join('\n'),
        );
      }
      return;
    }
    case 'matrix': {
      const series = (value.result as Array<{ metric: Metric; values?: Array<[number, string]> }>).map((s) => ({
        metric: s.metric,
        values: (s.values ?? []).map(pair),
      }));
      if (format === 'json') {
        console.log(
          `[${series.map((s) => `{"metric":${jsonMap(s.metric)},"values":[${s.values.map(jsonPair).join(',')}]}`).join(',')}]`,
        );
      } else {
        // Matrix.String() sorts a copy by label set.
        const sorted = [...series].sort((a, b) => labelSetBefore(a.metric, b.metric));
        console.log(
          sorted
            .map(
              (s) =>
                `${metricString(s.metric)} =>\n${s.values.map((p) => `${valueString(p.v)} @[${formatTime(p.t)}]`).join('\n')}`,
            )
            .join('\n'),
        );
      }
      return;
    }
    default:
      throw unexpectedType(data, value.resultType);
  }
}

async function queryInstant(server: URL, expr: string, time: string | undefined, format: Format): Promise<number> {
  let evalTime = now();
  if (time !== undefined && time !== '') {
    try {
      evalTime = parseTime(time);
    } catch (err) {
      process.stderr.write(`error parsing evaluation time: ${(err as Error).message}\n`);
      return FAILURE;
    }
  }
  let answer: ApiAnswer;
  try {
    answer = await postWithFallback(
      endpoint(server, '/api/v1/query'),
      new URLSearchParams({ query: expr, time: formatRequestTime(evalTime) }),
    );
    printValue(answer.data, format);
  } catch (err) {
    return handleAPIError(err);
  }
  return SUCCESS;
}

async function queryRange(
  server: URL,
  expr: string,
  opts: { start?: string; end?: string; step?: string; headers: string[] },
  format: Format,
): Promise<number> {
  const headers: Record<string, string> = {};
  for (const h of opts.headers) {
    // kingpin's StringMap splits at the first ':' or '='.
    const at = h.search(/[:=]/);
    if (at < 0) throw new UsageError(`expected KEY=VALUE got '${h}'`);
    headers[h.slice(0, at)] = h.slice(at + 1);
  }
  const stepNanos = opts.step === undefined ? 0n : BigInt(Math.round(parseGoDuration(opts.step) * 1e6));
  let end = now();
  if (opts.end) {
    try {
      end = parseTime(opts.end);
    } catch (err) {
      process.stderr.write(`error parsing end time: ${(err as Error).message}\n`);
      return FAILURE;
    }
  }
  let start = end - 5n * 60n * 1_000_000_000n;
  if (opts.start) {
    try {
      start = parseTime(opts.start);
    } catch (err) {
      process.stderr.write(`error parsing start time: ${(err as Error).message}\n`);
      return FAILURE;
    }
  }
  if (!(start < end)) {
    process.stderr.write('start time is not before end time\n');
    return FAILURE;
  }
  // Without --step, about 250 points, at least 1s apart.
  const step =
    stepNanos === 0n ? BigInt(Math.max(Math.floor(durationSeconds(end - start) / 250), 1)) * 1_000_000_000n : stepNanos;
  try {
    const url = endpoint(server, '/api/v1/query_range');
    const params = new URLSearchParams({
      query: expr,
      start: formatRequestTime(start),
      end: formatRequestTime(end),
      step: formatFloatF(durationSeconds(step)),
    });
    params.sort();
    const { answer } = await doRequest(url, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: params.toString(),
    }).catch(async (err: unknown) => {
      const status = (err as { status?: number }).status;
      if (status !== 405 && status !== 501) throw err;
      const get = new URL(url);
      get.search = params.toString();
      return doRequest(get, { method: 'GET', headers });
    });
    printValue(answer.data, format);
  } catch (err) {
    return handleAPIError(err);
  }
  return SUCCESS;
}

/** parseStartTimeAndEndTime: 9999h either side of now unless given. */
function seriesRange(start: string | undefined, end: string | undefined): { start: bigint; end: bigint } {
  const wide = 9999n * 3600n * 1_000_000_000n;
  const range = { start: now() - wide, end: now() + wide };
  if (start) {
    try {
      range.start = parseTime(start);
    } catch (err) {
      throw new Error(`error parsing start time: ${(err as Error).message}`);
    }
  }
  if (end) {
    try {
      range.end = parseTime(end);
    } catch (err) {
      throw new Error(`error parsing end time: ${(err as Error).message}`);
    }
  }
  return range;
}

async function querySeries(
  server: URL,
  matchers: string[],
  start: string | undefined,
  end: string | undefined,
  format: Format,
): Promise<number> {
  let range: { start: bigint; end: bigint };
  try {
    range = seriesRange(start, end);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return FAILURE;
  }
  const params = new URLSearchParams();
  for (const m of matchers) params.append('match[]', m);
  params.set('start', formatRequestTime(range.start));
  params.set('end', formatRequestTime(range.end));
  try {
    const answer = await postWithFallback(endpoint(server, '/api/v1/series'), params);
    const sets = JSON.parse(answer.data || '[]') as Metric[];
    if (format === 'json') console.log(`[${sets.map(jsonMap).join(',')}]`);
    else for (const set of sets) console.log(labelSetString(set));
  } catch (err) {
    return handleAPIError(err);
  }
  return SUCCESS;
}

async function queryLabels(
  server: URL,
  name: string,
  matchers: string[],
  start: string | undefined,
  end: string | undefined,
  format: Format,
): Promise<number> {
  let range: { start: bigint; end: bigint };
  try {
    range = seriesRange(start, end);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return FAILURE;
  }
  const url = endpoint(server, `/api/v1/label/${encodeURIComponent(name)}/values`);
  url.searchParams.set('start', formatRequestTime(range.start));
  url.searchParams.set('end', formatRequestTime(range.end));
  for (const m of matchers) url.searchParams.append('match[]', m);
  let answer: ApiAnswer;
  try {
    ({ answer } = await doRequest(url, { method: 'GET' }));
  } catch (err) {
    return handleAPIError(err);
  }
  for (const w of answer.warnings) process.stderr.write(`query warning: ${w}\n`);
  const values = JSON.parse(answer.data || '[]') as string[];
  if (format === 'json') console.log(`[${values.map(goJsonString).join(',')}]`);
  else for (const v of values) console.log(v);
  return SUCCESS;
}

/** Runs `promtool query …` (argv after `query`); resolves to the exit code. */
export async function runQuery(argv: readonly string[]): Promise<number> {
  try {
    const { command, args, flags } = parseArgs(argv);
    const format = (flags.get('format')?.[0] ?? 'promql') as Format;
    const one = (name: string) => flags.get(name)?.[0];
    if (flags.has('http.config.file')) {
      throw new UsageError("--http.config.file is not supported by miniprom's promtool");
    }
    const server = parseServerURL(args.server as string);
    switch (command) {
      case 'instant':
        return await queryInstant(server, args.expr as string, one('time'), format);
      case 'range':
        return await queryRange(
          server,
          args.expr as string,
          { start: one('start'), end: one('end'), step: one('step'), headers: flags.get('header') ?? [] },
          format,
        );
      case 'series':
        return await querySeries(server, flags.get('match') ?? [], one('start'), one('end'), format);
      default:
        return await queryLabels(
          server,
          args.name as string,
          flags.get('match') ?? [],
          one('start'),
          one('end'),
          format,
        );
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`promtool: error: ${err.message}, try --help\n`);
    return FAILURE;
  }
}
