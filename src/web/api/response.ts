/**
 * The API's envelope (upstream's Response: status, data, errorType, error, warnings, infos), its
 * error types with the HTTP status each is answered with (respondError), and how query values
 * are written (json_codec.go for vectors and matrices, promql/value.go for scalars and strings).
 */
import type { QueryValue } from '../../promql/index.js';
import type { Labels } from '../../storage/index.js';
import {
  compareStrings,
  encodeJSON,
  formatFloatF,
  formatSampleValue,
  formatTimestamp,
  goJsonString,
  jsonNumber,
  labelString,
  RawJSON,
} from './json.js';

/** upstream's errorType values. */
export type ApiErrorType =
  | 'timeout'
  | 'canceled'
  | 'execution'
  | 'bad_data'
  | 'internal'
  | 'unavailable'
  | 'not_found'
  | 'not_acceptable';

export class ApiError extends Error {
  constructor(
    readonly type: ApiErrorType,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The HTTP status of each error type, as upstream's respondError has them. `canceled` is 499
 * (nginx's "client closed request": the client went away); `unavailable` has no case of its own
 * there and falls to the default, 500.
 */
export function statusOf(type: ApiErrorType): number {
  switch (type) {
    case 'bad_data':
      return 400;
    case 'execution':
      return 422;
    case 'canceled':
      return 499;
    case 'timeout':
      return 503;
    case 'not_found':
      return 404;
    case 'not_acceptable':
      return 406;
    default:
      return 500;
  }
}

/** What a handler returns: data (undefined answers 204 No Content), or an error; and annotations. */
export interface ApiResult {
  data?: unknown;
  error?: ApiError;
  warnings?: string[];
  infos?: string[];
}

/** Annotations beyond ten of a kind are summarised, as upstream's AsStrings(query, 10, 10) does. */
const MAX_ANNOTATIONS = 10;

function limitAnnotations(list: readonly string[] | undefined, kind: string): string[] | undefined {
  if (!list || list.length === 0) return undefined;
  // Upstream keeps annotations in a map keyed by their text: each appears once.
  const unique = [...new Set(list)];
  if (unique.length <= MAX_ANNOTATIONS) return unique;
  const skipped = unique.length - MAX_ANNOTATIONS;
  return [...unique.slice(0, MAX_ANNOTATIONS), `${skipped} more ${kind} annotations omitted`];
}

/** A success body: `{"status":"success","data":…,"warnings":[…],"infos":[…]}`. */
export function successBody(result: ApiResult): string {
  return encodeJSON({
    status: 'success',
    data: result.data,
    warnings: limitAnnotations(result.warnings, 'warning'),
    infos: limitAnnotations(result.infos, 'info'),
  });
}

/** An error body: `{"status":"error","errorType":"bad_data","error":"…"}`. */
export function errorBody(error: ApiError): string {
  return encodeJSON({ status: 'error', errorType: error.type, error: error.message });
}

/** A label set as upstream's label encoder writes it: names sorted bytewise, no HTML escaping. */
export function encodeLabels(labels: Labels): string {
  const names = Object.keys(labels).sort(compareStrings);
  return `{${names.map((n) => `${labelString(n)}:${labelString(labels[n] as string)}`).join(',')}}`;
}

/** A query's value, `{"resultType":…,"result":…}` (and `stats` when asked for), as upstream writes it. */
export function encodeQueryData(value: QueryValue, stats?: unknown): RawJSON {
  const parts = [`"resultType":"${value.resultType}"`, `"result":${encodeResult(value)}`];
  if (stats !== undefined) parts.push(`"stats":${encodeJSON(stats)}`);
  return new RawJSON(`{${parts.join(',')}}`);
}

function encodeResult(value: QueryValue): string {
  switch (value.resultType) {
    case 'vector':
      return `[${value.result
        .map(
          (s) => `{"metric":${encodeLabels(s.metric)},"value":[${formatTimestamp(s.t)},"${formatSampleValue(s.f)}"]}`,
        )
        .join(',')}]`;
    case 'matrix':
      return `[${value.result
        .map((series) => {
          const metric = `"metric":${encodeLabels(series.metric)}`;
          // A series without points has no "values" field (upstream's encoder writes it with the first point).
          if (series.floats.length === 0) return `{${metric}}`;
          const points = series.floats.map((p) => `[${formatTimestamp(p.t)},"${formatSampleValue(p.f)}"]`);
          return `{${metric},"values":[${points.join(',')}]}`;
        })
        .join(',')}]`;
    // Scalars and strings go through encoding/json upstream: the time is a float64 of seconds,
    // the scalar's value Go's 'f' format (never an exponent).
    case 'scalar':
      return `[${jsonNumber(value.result.t / 1000)},${goJsonString(formatFloatF(value.result.v))}]`;
    case 'string':
      return `[${jsonNumber(value.result.t / 1000)},${goJsonString(value.result.v)}]`;
  }
}
