/**
 * The series endpoints, as upstream's web/api/v1: /api/v1/series, /api/v1/labels and
 * /api/v1/label/:name/values, each with `match[]`, `start`, `end` and `limit` (and the warning
 * upstream adds when it truncates).
 */
import { compileRegex } from '../../regex/index.js';
import { compareLabels, type Labels, type Matcher, type Querier, type Queryable } from '../../storage/index.js';
import { type GoForm, goQuote } from './go.js';
import type { ApiHandler } from './http.js';
import { compareStrings, RawJSON } from './json.js';
import { MAX_TIME_MS, MIN_TIME_MS, type Parsed, parseLimit, parseTimeParam } from './params.js';
import { invalidParam } from './query.js';
import { ApiError, type ApiResult, encodeLabels } from './response.js';
import { type PromQLParser, StorageNotReadyError } from './types.js';

export interface SeriesApiDeps {
  parser?: PromQLParser;
  queryable: Queryable;
}

const TRUNCATED = 'results truncated due to limit';

/**
 * parseMatchersParam: every `match[]` parsed as a series selector, each of which must have a
 * matcher that does not match the empty string (else it would select every series).
 */
export function parseMatchers(parser: PromQLParser, selectors: readonly string[]): Parsed<Matcher[][]> {
  const sets: Matcher[][] = [];
  for (const selector of selectors) {
    try {
      sets.push(parser.parseMetricSelector(selector));
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
  for (const set of sets) {
    if (!set.some((m) => !matchesEmpty(m))) return { error: 'match[] must contain at least one non-empty matcher' };
  }
  return { value: sets };
}

function matchesEmpty(m: Matcher): boolean {
  switch (m.type) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return compileRegex(m.value).test('');
    case '!~':
      return !compileRegex(m.value).test('');
  }
}

/** A querier, or the error upstream answers when it cannot have one (unavailable before storage opens). */
function querier(queryable: Queryable, mint: number, maxt: number): Querier | ApiResult {
  try {
    return queryable.querier(mint, maxt);
  } catch (err) {
    return storageFailure(err);
  }
}

function storageFailure(err: unknown): ApiResult {
  const type = err instanceof StorageNotReadyError ? 'unavailable' : 'execution';
  return { error: new ApiError(type, (err as Error).message) };
}

function isQuerier(q: Querier | ApiResult): q is Querier {
  return typeof (q as Querier).select === 'function';
}

function parserOf(deps: SeriesApiDeps): PromQLParser {
  if (!deps.parser) throw new Error('no PromQL parser');
  return deps.parser;
}

/** GET/POST /api/v1/series. */
export function series(deps: SeriesApiDeps): ApiHandler {
  return ({ form }) => {
    if (form.error !== undefined) {
      return { error: new ApiError('bad_data', `error parsing form values: ${form.error}`) };
    }
    const selectors = form.all('match[]');
    if (selectors.length === 0) return { error: new ApiError('bad_data', 'no match[] parameter provided') };
    const limit = parseLimit(form.get('limit'));
    if ('error' in limit) return invalidParam('limit', limit.error);
    const start = parseTimeParam(form, 'start', MIN_TIME_MS);
    if ('error' in start) return invalidParam('start', start.error);
    const end = parseTimeParam(form, 'end', MAX_TIME_MS);
    if ('error' in end) return invalidParam('end', end.error);
    const sets = parseMatchers(parserOf(deps), selectors);
    if ('error' in sets) return invalidParam('match[]', sets.error);
    const q = querier(deps.queryable, start.value, end.value);
    if (!isQuerier(q)) return q;

    let found: Labels[];
    try {
      found = selectLabels(q, sets.value);
    } catch (err) {
      return storageFailure(err);
    }
    const warnings: string[] = [];
    if (limit.value > 0 && found.length > limit.value) {
      found = found.slice(0, limit.value);
      warnings.push(TRUNCATED);
    }
    return { data: new RawJSON(`[${found.map(encodeLabels).join(',')}]`), warnings };
  };
}

/** The label sets of the series any of `sets` selects: merged, without duplicates, sorted. */
function selectLabels(q: Querier, sets: Matcher[][]): Labels[] {
  // One selector: unsorted, in the storage's creation order, as upstream asks for it.
  if (sets.length === 1) return q.select(sets[0] as Matcher[], { sorted: false }).map((s) => s.labels);
  const all = sets.flatMap((set) => q.select(set).map((s) => s.labels));
  all.sort(compareLabels);
  return all.filter((labels, i) => i === 0 || compareLabels(all[i - 1] as Labels, labels) !== 0);
}

/** GET/POST /api/v1/labels. */
export function labelNames(deps: SeriesApiDeps): ApiHandler {
  return ({ form }) => {
    const common = labelQuery(deps, form);
    if ('error' in common) return common;
    const { q, sets, limit } = common;
    let names: string[];
    try {
      names = sets.length > 1 ? union(sets.map((set) => q.labelNames(set))) : q.labelNames(sets[0] ?? []);
    } catch (err) {
      return storageFailure(err);
    }
    return limited(names, limit);
  };
}

/** GET /api/v1/label/:name/values. */
export function labelValues(deps: SeriesApiDeps): ApiHandler {
  return ({ form, params }) => {
    let name = params.name ?? '';
    if (name.startsWith('U__')) name = unescapeValueEncoding(name);
    if (name === '' || /\p{Cs}/u.test(name)) {
      return { error: new ApiError('bad_data', `invalid label name: ${goQuote(name)}`) };
    }
    const common = labelQuery(deps, form);
    if ('error' in common) return common;
    const { q, sets, limit } = common;
    let values: string[];
    try {
      // One past the limit, as upstream's toHintLimit: enough to know the answer was cut.
      const hints = { limit: limit > 0 ? limit + 1 : 0 };
      values =
        sets.length > 1
          ? union(sets.map((set) => q.labelValues(name, set, hints)))
          : q.labelValues(name, sets[0] ?? [], hints);
    } catch (err) {
      return storageFailure(err);
    }
    return limited([...values].sort(compareStrings), limit);
  };
}

/** What /labels and /label/…/values read alike: limit, start, end, match[], and the querier. */
function labelQuery(
  deps: SeriesApiDeps,
  form: GoForm,
): { q: Querier; sets: Matcher[][]; limit: number } | { error: ApiError } {
  const limit = parseLimit(form.get('limit'));
  if ('error' in limit) return invalidParam('limit', limit.error) as { error: ApiError };
  const start = parseTimeParam(form, 'start', MIN_TIME_MS);
  if ('error' in start) return invalidParam('start', start.error) as { error: ApiError };
  const end = parseTimeParam(form, 'end', MAX_TIME_MS);
  if ('error' in end) return invalidParam('end', end.error) as { error: ApiError };
  const sets = parseMatchers(parserOf(deps), form.all('match[]'));
  if ('error' in sets) return { error: new ApiError('bad_data', sets.error) };
  const q = querier(deps.queryable, start.value, end.value);
  if (!isQuerier(q)) return q as { error: ApiError };
  return { q, sets: sets.value, limit: limit.value };
}

function union(lists: string[][]): string[] {
  return [...new Set(lists.flat())].sort(compareStrings);
}

function limited(list: string[], limit: number): ApiResult {
  if (limit > 0 && list.length > limit) return { data: list.slice(0, limit), warnings: [TRUNCATED] };
  return { data: list };
}

/**
 * model.UnescapeName(name, ValueEncodingEscaping): `U__` names spell what legacy names cannot
 * (`U__a_2e_b` is `a.b`, `__` an underscore). Anything malformed is taken as it is.
 */
export function unescapeValueEncoding(name: string): string {
  const escaped = name.slice(3);
  let out = '';
  for (let i = 0; i < escaped.length; i++) {
    if (escaped[i] !== '_') {
      out += escaped[i];
      continue;
    }
    i++;
    if (i >= escaped.length) return name;
    if (escaped[i] === '_') {
      out += '_';
      continue;
    }
    let code = 0;
    let digits = 0;
    for (; i < escaped.length && escaped[i] !== '_'; i++, digits++) {
      const d = Number.parseInt(escaped[i] as string, 16);
      if (digits >= 6 || Number.isNaN(d)) return name;
      code = code * 16 + d;
    }
    if (i >= escaped.length || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return name;
    out += String.fromCodePoint(code);
  }
  return out;
}
