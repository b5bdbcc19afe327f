/**
 * The errors a query can end with, each with upstream's errorType and HTTP status as the API
 * reports it (web/api/v1 returnAPIError). Messages are upstream's.
 */

/** upstream's errorType values the query API uses. */
export type ErrorType = 'bad_data' | 'timeout' | 'canceled' | 'execution' | 'internal' | 'unavailable';

export abstract class QueryError extends Error {
  abstract readonly errorType: ErrorType;
  /** The HTTP status upstream's API answers with. */
  abstract readonly status: number;
}

/** One parse error: `1:5: parse error: unexpected end of input` (upstream's ParseErr.Error()). */
export interface ParseErrorDetail {
  /** Offsets into the query (0-based, end exclusive), as upstream's PositionRange. */
  start: number;
  end: number;
  /** The message without position or prefix, e.g. `unexpected end of input`. */
  message: string;
}

/**
 * The query does not parse, or fails a static check (types, arguments). Its message is upstream's
 * ParseErrors.Error(): the first error as `<line>:<col>: parse error: <message>` (col 1-based).
 */
export class ParseError extends QueryError {
  readonly errorType = 'bad_data';
  readonly status = 400;

  constructor(
    readonly query: string,
    readonly errors: ParseErrorDetail[],
  ) {
    super(errors.length ? formatParseError(query, errors[0] as ParseErrorDetail) : 'parse error: unknown');
  }
}

/** `line:col: parse error: message`, lines and columns counted as upstream's posrange does. */
export function formatParseError(query: string, e: ParseErrorDetail): string {
  if (query === '') return `unknown position: parse error: ${e.message}`;
  // Upstream counts lines by '\n' before the position and columns in bytes from the line start, + 1.
  const before = query.slice(0, Math.min(e.start, query.length));
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const col = Buffer.byteLength(before.slice(lineStart)) + 1;
  return `${line}:${col}: parse error: ${e.message}`;
}

/** `query timed out in <where>` (503, errorType timeout). */
export class QueryTimeoutError extends QueryError {
  readonly errorType = 'timeout';
  readonly status = 503;
  constructor(where: string) {
    super(`query timed out in ${where}`);
  }
}

/** `query was canceled in <where>` (503, errorType canceled): the client went away or the server stops. */
export class QueryCanceledError extends QueryError {
  readonly errorType = 'canceled';
  readonly status = 503;
  constructor(where: string) {
    super(`query was canceled in ${where}`);
  }
}

/** An evaluation error (422, errorType execution): too many samples, duplicate series, many-to-many… */
export class ExecutionError extends QueryError {
  readonly errorType = 'execution';
  readonly status = 422;
}

/** upstream's ErrTooManySamples, raised with the place it was hit (`query execution`, …). */
export class TooManySamplesError extends ExecutionError {
  constructor(where: string) {
    super(`query processing would load too many samples into memory in ${where}`);
  }
}

/** The storage failed (500, errorType internal). */
export class StorageError extends QueryError {
  readonly errorType = 'internal';
  readonly status = 500;
}

/**
 * A query the engine refuses before evaluating it, for a reason other than parsing (a range query
 * of a range vector, a zero step, …): 400, errorType bad_data. The message is upstream's error
 * text; the API prefixes `invalid parameter "query": ` as upstream's does.
 */
export class InvalidQueryError extends QueryError {
  readonly errorType = 'bad_data';
  readonly status = 400;
}

/**
 * The query's context ended while it waited for a slot (upstream's active query tracker returns
 * the bare context error): `context canceled` (503, canceled) or `context deadline exceeded`
 * (422, execution), as upstream's API classifies them.
 */
export class QueueWaitError extends QueryError {
  readonly errorType: ErrorType;
  readonly status: number;
  constructor(timedOut: boolean) {
    super(timedOut ? 'context deadline exceeded' : 'context canceled');
    this.errorType = timedOut ? 'execution' : 'canceled';
    this.status = timedOut ? 422 : 503;
  }
}
