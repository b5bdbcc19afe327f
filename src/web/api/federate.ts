/**
 * GET /federate, as upstream's web/federate.go: for every series a `match[]` selects, its latest
 * sample within --query.lookback-delta (staleness markers dropped), sorted by metric name, with
 * the external labels added, in the text exposition format (every family `untyped`, as
 * upstream's federation writes it), names escaped as the client's Accept header asks.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { Logger } from 'pino';
import { compareLabels, isStaleNaN, type Labels, type Matcher, type Queryable } from '../../storage/index.js';
import { goSortFunc } from './go.js';
import { readForm, sendCompressed, sendText } from './http.js';
import { compareStrings, formatFloatG } from './json.js';
import { type PromQLParser, StorageNotReadyError } from './types.js';

export interface FederateDeps {
  parser?: PromQLParser;
  queryable: Queryable;
  lookbackDeltaMs: number;
  externalLabels(): Labels;
  now: () => number;
  agent: boolean;
  logger: Logger;
  errors: Counter;
}

/** Series handled between two yields to the event loop. */
const SLICE = 1000;

type Escaping = 'underscores' | 'dots' | 'values' | 'allow-utf-8';

interface FederatedSample {
  labels: Labels;
  t: number;
  v: number;
}

export function federate(deps: FederateDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const form = readForm(request);
    if (form.error !== undefined) return sendText(reply, 400, `error parsing form values: ${form.error}\n`);
    const sets: Matcher[][] = [];
    try {
      for (const selector of form.all('match[]')) sets.push(deps.parser?.parseMetricSelector(selector) ?? []);
    } catch (err) {
      return sendText(reply, 400, `${(err as Error).message}\n`);
    }
    const escaping = negotiateEscaping(String(request.headers.accept ?? ''));
    const contentType = `text/plain; version=0.0.4; charset=utf-8; escaping=${escaping}`;

    const maxt = deps.now();
    const mint = maxt - deps.lookbackDeltaMs;
    if (deps.agent) {
      deps.errors.inc();
      return sendText(reply, 500, 'unsupported operation with WAL-only storage\n');
    }
    let samples: FederatedSample[];
    try {
      samples = await latestSamples(deps.queryable, mint, maxt, sets);
    } catch (err) {
      deps.errors.inc();
      return sendText(reply, err instanceof StorageNotReadyError ? 503 : 500, `${(err as Error).message}\n`);
    }
    // Upstream sorts by the metric name only, with Go's unstable pdqsort: series of one name end
    // in the order it leaves them, reproduced by the same algorithm.
    goSortFunc(samples, (a, b) => compareStrings(a.labels.__name__ ?? '', b.labels.__name__ ?? ''));

    const external: Record<string, string> = { ...deps.externalLabels() };
    external.instance ??= '';
    const externalNames = Object.keys(external).sort(compareStrings);

    let out = '';
    let lastName: string | undefined;
    for (const s of samples) {
      const name = s.labels.__name__;
      if (!name) {
        deps.logger.warn({ metric: JSON.stringify(s.labels) }, 'Ignoring nameless metric during federation');
        continue;
      }
      const pairs: Array<[string, string]> = [];
      for (const labelName of Object.keys(s.labels).sort(compareStrings)) {
        const value = s.labels[labelName] as string;
        if (labelName === '__name__' || value === '') continue;
        pairs.push([labelName, value]);
      }
      // External labels the series does not have (an empty `instance` if the config has none).
      for (const labelName of externalNames) {
        if (s.labels[labelName] === undefined || s.labels[labelName] === '') {
          pairs.push([labelName, external[labelName] as string]);
        }
      }
      const escapedName = escapeName(name, escaping);
      if (name !== lastName) {
        out += `# TYPE ${writeName(escapedName)} untyped\n`;
        lastName = name;
      }
      out += `${writeSeries(escapedName, pairs, escaping)} ${textFloat(s.v)} ${s.t}\n`;
    }
    return sendCompressed(request, reply, 200, contentType, out);
  };
}

/**
 * The latest sample at or before `maxt` (and not before `mint`) of every series the sets select,
 * each series once, sorted by labels; series whose latest sample is a staleness marker are left
 * out (the exposition format cannot carry one).
 */
async function latestSamples(
  queryable: Queryable,
  mint: number,
  maxt: number,
  sets: Matcher[][],
): Promise<FederatedSample[]> {
  if (sets.length === 0) return [];
  const q = queryable.querier(mint, maxt);
  const selected = sets.flatMap((set) => q.select(set));
  selected.sort((a, b) => compareLabels(a.labels, b.labels));
  const out: FederatedSample[] = [];
  let previous: Labels | undefined;
  for (let i = 0; i < selected.length; i++) {
    if (i > 0 && i % SLICE === 0) await nextTurn();
    const series = selected[i] as (typeof selected)[number];
    if (previous && compareLabels(previous, series.labels) === 0) continue;
    previous = series.labels;
    const it = series.iterator();
    let found = false;
    let t = 0;
    let v = 0;
    while (it.next()) {
      if (it.t > maxt) break;
      found = true;
      t = it.t;
      v = it.v;
    }
    if (!found || isStaleNaN(v)) continue;
    out.push({ labels: series.labels, t, v });
  }
  return out;
}

/**
 * expfmt.Negotiate's escaping: the `escaping` parameter of the Accept clauses (by preference)
 * that come before the text format is chosen; upstream's default is `underscores`.
 */
export function negotiateEscaping(accept: string): Escaping {
  const clauses = accept
    .split(',')
    .map((part) => {
      const [range = '', ...params] = part.trim().split(';');
      const values = new Map<string, string>();
      let q = 1;
      for (const param of params) {
        const eq = param.indexOf('=');
        if (eq < 0) continue;
        const key = param.slice(0, eq).trim();
        const value = param.slice(eq + 1).trim();
        if (key === 'q') q = Number(value) || 0;
        else values.set(key, value);
      }
      const [type = '', subtype] = range.split('/').map((s) => s.trim());
      return { type, subtype: subtype ?? (type === '*' ? '*' : undefined), q, params: values };
    })
    .filter((c) => c.subtype !== undefined);
  // goautoneg's order: higher q first, then concrete types before wildcards.
  clauses.sort((a, b) => b.q - a.q || Number(a.type === '*') - Number(b.type === '*'));
  let escaping: Escaping = 'underscores';
  for (const c of clauses) {
    const e = c.params.get('escaping');
    if (e === 'allow-utf-8' || e === 'underscores' || e === 'dots' || e === 'values') escaping = e;
    const version = c.params.get('version');
    if (c.type === 'text' && c.subtype === 'plain' && (version === '0.0.4' || version === undefined)) break;
  }
  return escaping;
}

function isValidLegacyRune(c: string, i: number): boolean {
  return /[a-zA-Z_:]/.test(c) || (i > 0 && c >= '0' && c <= '9');
}

function isValidLegacyName(name: string): boolean {
  return name.length > 0 && [...name].every((c, i) => isValidLegacyRune(c, i));
}

/** model.EscapeName: how a name the legacy character set cannot spell is written under `escaping`. */
export function escapeName(name: string, escaping: Escaping): string {
  if (name === '' || escaping === 'allow-utf-8') return name;
  const chars = [...name];
  switch (escaping) {
    case 'underscores':
      if (isValidLegacyName(name)) return name;
      return chars.map((c, i) => (isValidLegacyRune(c, i) ? c : '_')).join('');
    case 'dots':
      return chars
        .map((c, i) => (c === '_' ? '__' : c === '.' ? '_dot_' : isValidLegacyRune(c, i) ? c : '__'))
        .join('');
    case 'values':
      if (isValidLegacyName(name)) return name;
      return `U__${chars
        .map((c, i) => {
          if (c === '_') return '__';
          if (isValidLegacyRune(c, i)) return c;
          const code = c.codePointAt(0) as number;
          return code >= 0xd800 && code <= 0xdfff ? '_FFFD_' : `_${code.toString(16)}_`;
        })
        .join('')}`;
  }
}

/** A name as the text format writes it: quoted when the legacy character set cannot spell it. */
function writeName(name: string): string {
  return isValidLegacyName(name) ? name : `"${escapeValue(name)}"`;
}

function escapeValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
}

function writeSeries(name: string, pairs: Array<[string, string]>, escaping: Escaping): string {
  let out = '';
  let separator = '{';
  const inside = !isValidLegacyName(name);
  if (inside) {
    out += '{';
    separator = ',';
  }
  out += writeName(name);
  if (pairs.length === 0) return inside ? `${out}}` : out;
  for (const [labelName, value] of pairs) {
    out += `${separator}${writeName(escapeName(labelName, escaping))}="${escapeValue(value)}"`;
    separator = ',';
  }
  return `${out}}`;
}

/** expfmt's writeFloat: 1, 0, -1, NaN, ±Inf spelled out, else Go's 'g' format. */
function textFloat(v: number): string {
  if (v === 0) return '0';
  return formatFloatG(v);
}
