/**
 * The remote write receiver (upstream's storage/remote/write_handler.go at v3.5.3, behind
 * `--web.enable-remote-write-receiver`): decodes remote write 1.0 and 2.0 requests and appends
 * their samples to the same Appendable the scrape manager uses, so they reach the WAL (and
 * replay), local queries and remote_write queues alike. It answers exactly as upstream's handler,
 * quirks included:
 *
 * - Content-Type `application/x-protobuf[;proto=<message>]` (none means 1.0); Content-Encoding
 *   `snappy` or none. A 415 for an unaccepted message or encoding is written *without stopping*,
 *   as upstream forgets to return there: the request is still processed, the status stays 415
 *   and later error texts are appended to the body, as Go's ResponseWriter does.
 * - 1.0 is all or nothing: the first refused sample rolls the batch back and answers 400 with
 *   storage's error text; series with invalid labels are skipped (and counted), not refused.
 * - 2.0 writes what it can: refused samples and invalid series are listed in a 400 after the rest
 *   is committed, and `X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written` say how
 *   much was written.
 * - With exemplar storage and native histograms off (miniprom has neither, upstream's defaults):
 *   exemplars are accepted and dropped (2.0 counts them as written, as upstream's head reports
 *   no error for them); a native histogram fails the request with 500 `native histograms are
 *   disabled`; metadata is not stored (1.0's is not even read upstream; 2.0's goes into upstream's
 *   head for WAL metadata records, which nothing in miniprom reads).
 *
 * Decompression bombs: the snappy length header is read first and a body claiming more than
 * 32MiB decoded is refused before anything is allocated (upstream's decodeWriteLimit, so a
 * request upstream takes is taken here and one it refuses is refused with its words).
 *
 * One deliberate difference: a 2.0 label reference outside the symbols table makes upstream's
 * handler panic (Go's HTTP server then drops the connection without an answer); here it is a 400
 * naming the same runtime error, so the sender gets an answer that says what is wrong.
 */
import { isUtf8 } from 'node:buffer';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Appendable, AppendError, Appender, Labels } from '../storage/index.js';
import type { Int64, V1Request, V2Request } from './schema.js';
import { SNAPPY_CORRUPT, snappyDecodedLength, snappyDecompress } from './snappy.js';
import { checkWire } from './wirecheck.js';

const PROTO_V1 = 'prometheus.WriteRequest';
const PROTO_V2 = 'io.prometheus.write.v2.Request';
const APP_PROTOBUF = 'application/x-protobuf';
/** Upstream's decodeWriteLimit: the largest decoded body it takes, 32MiB. */
export const DECODE_WRITE_LIMIT = 32 * 1024 * 1024;
/** Upstream's maxAheadTime: samples more than 10 minutes in the future are out of bounds. */
const MAX_AHEAD_MS = 10 * 60 * 1000;

export interface RemoteWriteReceiverOptions {
  /** Where samples go: the same fanout storage the scrape manager appends to. */
  appendable: Appendable;
  logger: Logger;
  registry?: Registry;
  /**
   * `--web.remote-write-receiver.accepted-protobuf-messages`: the messages taken. Default: both,
   * as upstream's flag.
   */
  acceptedProtoMsgs?: readonly string[];
  /** The clock for the 10-minute future limit; injected by tests. */
  now?: () => number;
}

/** One POST to the receiver, as the web route hands it over. */
export interface RemoteWriteRequest {
  contentType?: string;
  contentEncoding?: string;
  body: Buffer;
  headers?: Readonly<Record<string, string | string[] | undefined>>;
}

/** The answer to send: the status, headers, and the body (Go's http.Error text, or empty). */
export interface RemoteWriteResponse {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface RemoteWriteReceiver {
  handle(req: RemoteWriteRequest): Promise<RemoteWriteResponse>;
}

export function createRemoteWriteReceiver(opts: RemoteWriteReceiverOptions): RemoteWriteReceiver {
  const { appendable, logger } = opts;
  const now = opts.now ?? Date.now;
  const accepted = opts.acceptedProtoMsgs ?? [PROTO_V1, PROTO_V2];
  const metrics = receiverMetrics(opts.registry);

  return {
    async handle(req) {
      const w = new GoResponse();
      let contentType = (req.contentType ?? '').trim() === '' ? APP_PROTOBUF : (req.contentType as string);
      contentType = contentType.trim();
      const parsed = parseProtoMsg(contentType);
      if ('error' in parsed) {
        logger.error({ err: parsed.error }, 'Error decoding remote write request');
        w.error(parsed.error, 415);
        return w.result();
      }
      const msgType = parsed.msg;
      if (!accepted.includes(msgType)) {
        const error = `${msgType} protobuf message is not accepted by this server; accepted [${accepted.join(' ')}]`;
        logger.error({ err: error }, 'Error decoding remote write request');
        w.error(error, 415); // and on, as upstream: it does not return here
      }
      const enc = req.contentEncoding ?? '';
      if (enc !== '' && enc.toLowerCase() !== 'snappy') {
        const error = `${enc} encoding (compression) is not accepted by this server; only snappy is acceptable`;
        logger.error({ err: error }, 'Error decoding remote write request');
        w.error(error, 415); // likewise
      }

      const decoded = decompress(req.body);
      if (typeof decoded === 'string') {
        logger.error({ err: decoded }, 'Error decoding remote write request');
        w.error(decoded, 400);
        return w.result();
      }

      // protobufjs and the message types load on the first request, not at startup.
      const schema = await import('./schema.js');
      const type = msgType === PROTO_V1 ? schema.writeRequestV1() : schema.writeRequestV2();
      const malformed = checkWire(type, decoded);
      if (malformed !== undefined) {
        const version = msgType === PROTO_V1 ? 'v1' : 'v2';
        logger.error({ protobuf_message: msgType, err: malformed }, `Error decoding ${version} remote write request`);
        w.error(malformed, 400);
        return w.result();
      }

      const ctx: WriteContext = { appendable, logger, metrics, maxTime: now() + MAX_AHEAD_MS };
      if (msgType === PROTO_V1) {
        const err = await writeV1(ctx, type.decode(decoded) as unknown as V1Request);
        if (err === undefined) w.writeHeader(204);
        else if (err.kind !== 'other') w.error(err.message, 400);
        else {
          logger.error({ err: err.message }, 'Error while remote writing the v1 request');
          w.error(err.message, 500);
        }
        return w.result();
      }

      const { stats, status, error } = await writeV2(ctx, type.decode(decoded) as unknown as V2Request);
      // Set in every case, as upstream's respStats.SetHeaders (ignored if a 415 went out already).
      w.setHeader('X-Prometheus-Remote-Write-Samples-Written', String(stats.samples));
      w.setHeader('X-Prometheus-Remote-Write-Histograms-Written', String(stats.histograms));
      w.setHeader('X-Prometheus-Remote-Write-Exemplars-Written', String(stats.exemplars));
      if (error !== undefined) {
        if (status >= 500) logger.error({ err: error }, 'Error while remote writing the v2 request');
        w.error(error, status);
      } else w.writeHeader(204);
      return w.result();
    },
  };
}

/**
 * Go's http.ResponseWriter as upstream's handler uses it: the first status written wins, later
 * ones are ignored, headers set after it are ignored, and every http.Error appends its line.
 */
class GoResponse {
  #status: number | undefined;
  #headers: Record<string, string> = {};
  #body = '';

  setHeader(name: string, value: string): void {
    if (this.#status === undefined) this.#headers[name] = value;
  }

  writeHeader(status: number): void {
    this.#status ??= status;
  }

  /** Go's http.Error: plain text headers, the status, the message and a newline. */
  error(message: string, status: number): void {
    this.setHeader('Content-Type', 'text/plain; charset=utf-8');
    this.setHeader('X-Content-Type-Options', 'nosniff');
    this.writeHeader(status);
    this.#body += `${message}\n`;
  }

  result(): RemoteWriteResponse {
    return { status: this.#status ?? 200, headers: this.#headers, body: this.#body };
  }
}

/** Upstream's parseProtoMsg: the media type, then `proto=` among `;`-separated parameters. */
function parseProtoMsg(contentType: string): { msg: string } | { error: string } {
  const parts = contentType.split(';');
  if (parts[0] !== APP_PROTOBUF) {
    return { error: `expected ${APP_PROTOBUF} as the first (media) part, got ${contentType} content-type` };
  }
  for (const p of parts.slice(1)) {
    const pair = p.split('=');
    if (pair.length !== 2) {
      return {
        error: `as per https://www.rfc-editor.org/rfc/rfc9110#parameter expected parameters to be key-values, got ${p} in ${contentType} content-type`,
      };
    }
    // Not trimmed, as upstream: `; proto=…` (with a space) is not the proto parameter.
    if (pair[0] === 'proto') {
      const msg = pair[1] as string;
      if (msg !== PROTO_V1 && msg !== PROTO_V2) {
        return {
          error: `got ${contentType} content type; unknown remote write protobuf message ${msg}, supported: ${PROTO_V1}, ${PROTO_V2}`,
        };
      }
      return { msg };
    }
  }
  return { msg: PROTO_V1 };
}

/**
 * The snappy block in `body`, decoded, or Go's error text. The length header is checked against
 * the limit before anything is allocated.
 */
function decompress(body: Uint8Array): Uint8Array | string {
  const length = snappyDecodedLength(body);
  if (length === undefined) return SNAPPY_CORRUPT;
  if (length > DECODE_WRITE_LIMIT) return `snappy: decoded length ${length} exceeds limit ${DECODE_WRITE_LIMIT}`;
  try {
    return snappyDecompress(body);
  } catch (err) {
    return (err as Error).message;
  }
}

interface ReceiverMetrics {
  invalidLabels: Counter;
  withoutMetadata: Counter;
}

/** Upstream's two handler counters; reused if the registry has them (a receiver made twice). */
function receiverMetrics(registry: Registry | undefined): ReceiverMetrics {
  const counter = (name: string, help: string) => {
    const existing = registry?.getSingleMetric(name);
    return existing instanceof Counter ? existing : new Counter({ name, help, registers: registry ? [registry] : [] });
  };
  return {
    invalidLabels: counter(
      'prometheus_api_remote_write_invalid_labels_samples_total',
      'The total number of received remote write samples and histogram samples which were rejected due to invalid labels.',
    ),
    withoutMetadata: counter(
      'prometheus_api_remote_write_without_metadata_appended_samples_total',
      'The total number of received remote write samples (and histogram samples) which were ingested without corresponding metadata.',
    ),
  };
}

interface WriteContext {
  appendable: Appendable;
  logger: Logger;
  metrics: ReceiverMetrics;
  /** Upstream's timeLimitAppender bound: now + 10 minutes. */
  maxTime: number;
}

/** A refused append, as the handler sorts them: storage's kinds answer 400, anything else 500. */
interface WriteError {
  kind: AppendError['kind'] | 'other';
  message: string;
}

const TOO_FAR: WriteError = { kind: 'out-of-bounds', message: 'out of bounds: timestamp is too far in the future' };
const HISTOGRAMS_DISABLED: WriteError = { kind: 'other', message: 'native histograms are disabled' };

/** upstream's timeLimitAppender.Append over our appender. */
function appendLimited(ctx: WriteContext, app: Appender, labels: Labels, t: number, v: number): WriteError | undefined {
  if (t > ctx.maxTime) return TOO_FAR;
  return app.append(labels, t, v) || undefined;
}

/** AppendHistogram: the time limit, then native histograms being off. */
function appendHistogram(ctx: WriteContext, t: Int64): WriteError {
  return toNumber(t) > ctx.maxTime ? TOO_FAR : HISTOGRAMS_DISABLED;
}

/** A series' labels, sorted by name, duplicates kept: what upstream's ScratchBuilder gives. */
type LabelPairs = Array<[string, string]>;

/** Remote write 1.0: upstream's write(). Resolves to the error that decides the answer, if any. */
async function writeV1(ctx: WriteContext, req: V1Request): Promise<WriteError | undefined> {
  const app = ctx.appendable.appender();
  let invalid = 0;
  let appended = 0;
  const fail = (err: WriteError) => {
    app.rollback();
    return err;
  };
  for (const ts of req.timeseries) {
    const pairs = sortPairs(ts.labels.map((l) => [bytesText(l.name), bytesText(l.value)]));
    const problem = labelProblem(
      pairs,
      ts.labels.every((l) => isUtf8(l.name) && isUtf8(l.value)),
    );
    if (problem === 'invalid') {
      ctx.logger.warn({ got: labelsString(pairs) }, 'Invalid metric names or labels');
      invalid++;
      continue;
    }
    if (problem !== undefined) {
      ctx.logger.warn(
        { labels: labelsString(pairs), duplicated_label: problem.duplicate },
        'Invalid labels for series.',
      );
      invalid++;
      continue;
    }
    const labels = toLabels(pairs);
    for (const s of ts.samples) {
      const t = toNumber(s.timestamp);
      const err = appendLimited(ctx, app, labels, t, s.value);
      if (err) {
        ctx.logger.error(
          { err: err.message, series: labelsString(pairs), timestamp: t },
          'Out of order sample from remote write',
        );
        return fail(err);
      }
    }
    appended += ts.samples.length;
    // Exemplars: exemplar storage is off, so upstream's head takes and drops them without error.
    for (const h of ts.histograms) {
      const err = appendHistogram(ctx, h.timestamp);
      if (err.kind !== 'other') {
        ctx.logger.error(
          { err: err.message, series: labelsString(pairs), timestamp: toNumber(h.timestamp) },
          'Out of order histogram from remote write',
        );
      }
      return fail(err);
    }
  }
  if (invalid > 0) ctx.metrics.invalidLabels.inc(invalid);
  try {
    await app.commit();
  } catch (err) {
    // Upstream counts these as written without metadata exactly when the commit fails.
    ctx.metrics.withoutMetadata.inc(appended);
    return { kind: 'other', message: err instanceof Error ? err.message : String(err) };
  }
  return undefined;
}

interface WriteStats {
  samples: number;
  histograms: number;
  exemplars: number;
}

/** Remote write 2.0: upstream's writeV2 and appendV2 (partial writes, statistics). */
async function writeV2(
  ctx: WriteContext,
  req: V2Request,
): Promise<{ stats: WriteStats; status: number; error?: string }> {
  const app = ctx.appendable.appender();
  const stats: WriteStats = { samples: 0, histograms: 0, exemplars: 0 };
  const zero: WriteStats = { samples: 0, histograms: 0, exemplars: 0 };
  const badRequest: string[] = [];
  let invalid = 0;
  const symbols = req.symbols.map((b): SymbolEntry => ({ text: bytesText(b), utf8: isUtf8(b) }));

  for (const ts of req.timeseries) {
    const refs = ts.labels_refs;
    const pairs: LabelPairs = [];
    let utf8 = true;
    for (let i = 0; i < refs.length; i += 2) {
      // Go's order of evaluation of symbols[refs[i]], symbols[refs[i+1]], and its panic text.
      const name = symbolAt(symbols, refs, i);
      const value = typeof name === 'number' ? symbolAt(symbols, refs, i + 1) : name;
      if (typeof name !== 'number' || typeof value !== 'number') {
        app.rollback();
        return { stats: zero, status: 400, error: (typeof name === 'string' ? name : value) as string };
      }
      const n = symbols[name] as SymbolEntry;
      const v = symbols[value] as SymbolEntry;
      utf8 &&= n.utf8 && v.utf8;
      pairs.push([n.text, v.text]);
    }
    sortPairs(pairs);
    const problem = labelProblem(pairs, utf8);
    if (problem !== undefined) {
      badRequest.push(
        problem === 'invalid'
          ? `invalid metric name or labels, got ${labelsString(pairs)}`
          : `invalid labels for series, labels ${labelsString(pairs)}, duplicated label ${problem.duplicate}`,
      );
      invalid += ts.samples.length + ts.histograms.length;
      continue;
    }
    const labels = toLabels(pairs);
    for (const s of ts.samples) {
      const t = toNumber(s.timestamp);
      const err = appendLimited(ctx, app, labels, t, s.value);
      if (!err) {
        stats.samples++;
        continue;
      }
      ctx.logger.error(
        { err: err.message, series: labelsString(pairs), timestamp: t },
        'Out of order sample from remote write',
      );
      badRequest.push(`${err.message} for series ${labelsString(pairs)}`);
    }
    for (const h of ts.histograms) {
      const err = appendHistogram(ctx, h.timestamp);
      if (err.kind === 'other') {
        // Not a bad request: a 5xx, after which upstream rolls everything back.
        app.rollback();
        return { stats: zero, status: 500, error: err.message };
      }
      ctx.logger.error(
        { err: err.message, series: labelsString(pairs), timestamp: toNumber(h.timestamp) },
        'Out of order histogram from remote write',
      );
      badRequest.push(`${err.message} for series ${labelsString(pairs)}`);
    }
    for (const e of ts.exemplars) {
      // Exemplar storage is off: upstream's head accepts and drops them, so they count as written,
      // unless upstream's time limit refuses them first (logged, not an error for the sender).
      if (toNumber(e.timestamp) > ctx.maxTime) {
        ctx.logger.error(
          { err: TOO_FAR.message, series: labelsString(pairs) },
          'failed to ingest exemplar, emitting error log, but no error for PRW caller',
        );
        continue;
      }
      stats.exemplars++;
    }
    // Metadata: upstream's head takes it for any series it knows, so none goes without.
  }
  ctx.metrics.invalidLabels.inc(invalid);

  try {
    await app.commit();
  } catch (err) {
    return { stats: zero, status: 500, error: err instanceof Error ? err.message : String(err) };
  }
  if (badRequest.length > 0) return { stats, status: 400, error: badRequest.join('\n') };
  return { stats, status: 204 };
}

interface SymbolEntry {
  text: string;
  /** Whether the bytes were valid UTF-8 (upstream refuses a series using one that is not). */
  utf8: boolean;
}

/** The symbol index at `refs[i]`, or Go's runtime error text for an index out of range. */
const toNumber = (v: Int64 | undefined | null): number =>
  v === undefined || v === null ? 0 : typeof v === 'number' ? v : v.toNumber();

function symbolAt(symbols: readonly SymbolEntry[], refs: readonly number[], i: number): number | string {
  if (i >= refs.length) return `runtime error: index out of range [${i}] with length ${refs.length}`;
  const ref = refs[i] as number;
  if (ref >= symbols.length) return `runtime error: index out of range [${ref}] with length ${symbols.length}`;
  return ref;
}

/** Bytes as text (invalid UTF-8 shows as U+FFFD: such labels are refused anyway). */
function bytesText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

const byName = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

function sortPairs(pairs: LabelPairs): LabelPairs {
  return pairs.sort(byName);
}

/**
 * Why upstream refuses a series' labels: `invalid` (no metric name, an empty one, an empty label
 * name, or invalid UTF-8: labels.IsValid under UTF-8 validation), or a name given twice.
 */
function labelProblem(pairs: LabelPairs, utf8: boolean): 'invalid' | { duplicate: string } | undefined {
  const name = pairs.find(([n]) => n === '__name__');
  if (!name || name[1] === '' || !utf8 || pairs.some(([n]) => n === '')) return 'invalid';
  for (let i = 1; i < pairs.length; i++) {
    const n = (pairs[i] as [string, string])[0];
    if (n === (pairs[i - 1] as [string, string])[0]) return { duplicate: n };
  }
  return undefined;
}

/** A label object for the appender (`__proto__` kept as an ordinary label). */
function toLabels(pairs: LabelPairs): Labels {
  const labels: Record<string, string> = {};
  for (const [name, value] of pairs) {
    Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return labels;
}

const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** upstream's labels.String(): `{__name__="up", job="x"}`, names quoted unless legacy-valid. */
export function labelsString(pairs: LabelPairs): string {
  return `{${pairs.map(([n, v]) => `${LEGACY_NAME.test(n) ? n : goQuote(n)}=${goQuote(v)}`).join(', ')}}`;
}

/** Go's strconv.Quote: `\"`, `\\`, the C escapes, and \x/\u escapes for what is not printable. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
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
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c === 0xfffd || !/[\p{C}\p{Z}]/u.test(ch) || ch === ' ') out += ch;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}
