/**
 * What a scrape asks for and how it reads the answer, as Prometheus 3.5 does: the Accept header
 * built from scrape_protocols (scrape.go's acceptHeader), the Accept-Encoding that
 * enable_compression chooses, and the parser the answer's Content-Type picks (textparse's
 * extractMediaType and New), with Go's mime.ParseMediaType underneath and upstream's errors.
 */
import { decodeUTF8, goQuote } from '../golang/index.js';
import { SCRAPE_PROTOCOL_HEADERS, type ScrapeProtocol, scrapeProtocolMediaType } from '../config/index.js';

/**
 * The metric name escaping scheme the Accept header offers for the 1.0.0 formats. Upstream takes
 * it from metric_name_escaping_scheme, which with UTF-8 name validation (3.5's default) is
 * `allow-utf-8`; miniprom reads quoted UTF-8 names in both formats.
 */
export const DEFAULT_ESCAPING_SCHEME = 'allow-utf-8';

/**
 * The Accept header: each protocol's media type in order of preference, weighted from
 * `q=0.<number of protocols upstream knows + 1>` down, the 1.0.0 formats with the escaping
 * scheme, and `*\/*` last.
 */
export function acceptHeader(protocols: readonly ScrapeProtocol[], escaping = DEFAULT_ESCAPING_SCHEME): string {
  let weight = Object.keys(SCRAPE_PROTOCOL_HEADERS).length + 1;
  const values = protocols.map((protocol) => {
    let value = SCRAPE_PROTOCOL_HEADERS[protocol];
    if (protocol === 'PrometheusText1.0.0' || protocol === 'OpenMetricsText1.0.0') value += `;escaping=${escaping}`;
    return `${value};q=0.${weight--}`;
  });
  values.push(`*/*;q=0.${weight}`);
  return values.join(',');
}

/** enable_compression's Accept-Encoding: gzip, or identity when it is off. */
export function acceptEncodingHeader(enableCompression: boolean): string {
  return enableCompression ? 'gzip' : 'identity';
}

/** The formats a scrape can read a body in. */
export type ExpositionFormat = 'text' | 'openmetrics' | 'protobuf';

/** What the body of a scrape is read as; `warning` says why the fallback was used, as upstream logs it. */
export type ParserChoice = { format: ExpositionFormat; warning?: string };

const FORMATS: Readonly<Record<string, ExpositionFormat>> = {
  'application/openmetrics-text': 'openmetrics',
  'application/vnd.google.protobuf': 'protobuf',
  'text/plain': 'text',
};

/**
 * The format to read a body in, from its Content-Type and the job's fallback_scrape_protocol
 * (upstream's extractMediaType): a blank, unparseable or unknown Content-Type fails the scrape
 * with upstream's message unless there is a fallback, which is then used (and the reason kept).
 */
export function chooseParser(contentType: string, fallback: ScrapeProtocol | undefined): ParserChoice {
  const fallbackType = fallback === undefined ? '' : scrapeProtocolMediaType(fallback);
  const fallbackFormat = (warning: string): ParserChoice => ({
    format: FORMATS[fallbackType] as ExpositionFormat,
    warning,
  });
  if (contentType === '') {
    if (fallbackType === '') {
      throw new Error(
        'non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target',
      );
    }
    return fallbackFormat(
      `non-compliant scrape target sending blank Content-Type, using fallback_scrape_protocol ${JSON.stringify(fallbackType)}`,
    );
  }
  let mediaType: string;
  try {
    mediaType = parseMediaType(contentType);
  } catch (err) {
    const why = (err as Error).message;
    // Go's errors.Join: the messages on lines of their own.
    if (fallbackType === '') {
      throw new Error(
        `cannot parse Content-Type ${goQuoteASCII(contentType)} and no fallback_scrape_protocol for target\n${why}`,
      );
    }
    return fallbackFormat(
      `could not parse received Content-Type ${goQuoteASCII(contentType)}, using fallback_scrape_protocol ${JSON.stringify(fallbackType)}\n${why}`,
    );
  }
  const format = Object.hasOwn(FORMATS, mediaType) ? FORMATS[mediaType] : undefined;
  if (format !== undefined) return { format };
  if (fallbackType === '') {
    throw new Error(
      `received unsupported Content-Type ${goQuoteASCII(contentType)} and no fallback_scrape_protocol specified for target`,
    );
  }
  return fallbackFormat(
    `received unsupported Content-Type ${goQuoteASCII(contentType)}, using fallback_scrape_protocol ${JSON.stringify(fallbackType)}`,
  );
}

/** `%q` of a header value, which arrives one character per byte (latin1), as Go sees its bytes. */
function goQuoteASCII(s: string): string {
  return goQuote(decodeUTF8(Buffer.from(s, 'latin1')).text);
}

/**
 * Go's mime.ParseMediaType, as far as its verdict and media type go: the type (lower case) before
 * the first `;` must be `token` or `token/token`; the parameters after it must be well formed and
 * unique. Returns the media type; throws Go's error.
 */
export function parseMediaType(value: string): string {
  const semicolon = value.indexOf(';');
  const base = semicolon < 0 ? value : value.slice(0, semicolon);
  const mediaType = base.toLowerCase().trim();
  const [type, afterType] = consumeToken(mediaType);
  if (type === '') throw new Error('mime: no media type');
  if (afterType !== '') {
    if (!afterType.startsWith('/')) throw new Error('mime: expected slash after first token');
    const [subtype, rest] = consumeToken(afterType.slice(1));
    if (subtype === '') throw new Error('mime: expected token after slash');
    if (rest !== '') throw new Error('mime: unexpected content after media subtype');
  }
  const seen = new Set<string>();
  let v = value.slice(base.length);
  for (;;) {
    v = v.trimStart();
    if (v === '') break;
    const param = consumeMediaParam(v);
    if (param === undefined) {
      if (v.trim() === ';') break; // a trailing semicolon is allowed
      throw new Error('mime: invalid media parameter');
    }
    if (seen.has(param.key)) throw new Error('mime: duplicate parameter name');
    seen.add(param.key);
    v = param.rest;
  }
  return mediaType;
}

/** Go's isTokenChar: a printable ASCII character other than a tspecial. */
function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 0x20 && code < 0x7f && !'()<>@,;:\\"/[]?='.includes(c);
}

/** Go's consumeToken: the leading run of token characters, and the rest. */
function consumeToken(v: string): [string, string] {
  let i = 0;
  while (i < v.length && isTokenChar(v[i] as string)) i++;
  return [v.slice(0, i), v.slice(i)];
}

/** Go's consumeMediaParam: `; key=value` (value a token or a quoted string), or undefined. */
function consumeMediaParam(v: string): { key: string; rest: string } | undefined {
  let rest = v.trimStart();
  if (!rest.startsWith(';')) return undefined;
  rest = rest.slice(1).trimStart();
  const [key, afterKey] = consumeToken(rest);
  if (key === '') return undefined;
  rest = afterKey.trimStart();
  if (!rest.startsWith('=')) return undefined;
  rest = rest.slice(1).trimStart();
  const [value, afterValue] = consumeValue(rest);
  if (value === '' && afterValue === rest) return undefined;
  return { key: key.toLowerCase(), rest: afterValue };
}

/** Go's consumeValue: a token, or a quoted string (no raw line breaks). */
function consumeValue(v: string): [string, string] {
  if (v === '') return ['', ''];
  if (v[0] !== '"') return consumeToken(v);
  let out = '';
  for (let i = 1; i < v.length; i++) {
    const c = v[i] as string;
    if (c === '"') return [out, v.slice(i + 1)];
    if (c === '\\' && i + 1 < v.length && '()<>@,;:\\"/[]?='.includes(v[i + 1] as string)) {
      out += v[++i];
      continue;
    }
    if (c === '\r' || c === '\n') return ['', v];
    out += c;
  }
  return ['', v];
}
