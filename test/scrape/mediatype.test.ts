/**
 * What a scrape asks for and which parser its answer gets, as Prometheus 3.5 decides. The cases
 * are upstream's (scrape_test.go TestAcceptHeader, model/textparse/interface_test.go TestNewParser
 * at v3.5.3, Apache-2.0), with their expected texts.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRAPE_PROTOCOLS, type ScrapeProtocol } from '../../src/config/index.js';
import {
  acceptEncodingHeader,
  acceptHeader,
  chooseParser,
  type ExpositionFormat,
  parseMediaType,
} from '../../src/scrape/mediatype.js';

const PROTO_FIRST: ScrapeProtocol[] = ['PrometheusProto', ...DEFAULT_SCRAPE_PROTOCOLS];

describe('the Accept header (upstream TestAcceptHeader)', () => {
  it('weights the default protocols from q=0.6 down, the 1.0.0 formats with the escaping scheme', () => {
    expect(acceptHeader(DEFAULT_SCRAPE_PROTOCOLS, 'underscores')).toBe(
      'application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    );
    expect(acceptHeader(PROTO_FIRST, 'dots')).toBe(
      'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=dots;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=dots;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1',
    );
  });

  it('offers allow-utf-8 by default, as 3.5 does with UTF-8 name validation', () => {
    expect(acceptHeader(DEFAULT_SCRAPE_PROTOCOLS)).toBe(
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    );
  });

  it('asks for only what scrape_protocols lists, in its order', () => {
    expect(acceptHeader(['PrometheusText0.0.4'])).toBe('text/plain;version=0.0.4;q=0.6,*/*;q=0.5');
  });

  it('asks for gzip, or identity when enable_compression is false', () => {
    expect(acceptEncodingHeader(true)).toBe('gzip');
    expect(acceptEncodingHeader(false)).toBe('identity');
  });
});

describe('the parser a Content-Type picks (upstream TestNewParser)', () => {
  const cases: Array<[string, string, ScrapeProtocol | undefined, ExpositionFormat | undefined, string]> = [
    [
      'empty-string',
      '',
      undefined,
      undefined,
      'non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target',
    ],
    [
      'empty-string-fallback-text-plain',
      '',
      'PrometheusText0.0.4',
      'text',
      'non-compliant scrape target sending blank Content-Type, using fallback_scrape_protocol "text/plain"',
    ],
    ['invalid-content-type-1', 'invalid/', undefined, undefined, 'expected token after slash'],
    [
      'invalid-content-type-1-fallback-text-plain',
      'invalid/',
      'PrometheusText0.0.4',
      'text',
      'expected token after slash',
    ],
    [
      'invalid-content-type-1-fallback-openmetrics',
      'invalid/',
      'OpenMetricsText0.0.1',
      'openmetrics',
      'expected token after slash',
    ],
    [
      'invalid-content-type-1-fallback-protobuf',
      'invalid/',
      'PrometheusProto',
      'protobuf',
      'expected token after slash',
    ],
    [
      'invalid-content-type-2',
      'invalid/invalid/invalid',
      undefined,
      undefined,
      'unexpected content after media subtype',
    ],
    [
      'invalid-content-type-2-fallback-text-plain',
      'invalid/invalid/invalid',
      'PrometheusText1.0.0',
      'text',
      'unexpected content after media subtype',
    ],
    ['invalid-content-type-3', '/', undefined, undefined, 'no media type'],
    ['invalid-content-type-3-fallback-text-plain', '/', 'PrometheusText1.0.0', 'text', 'no media type'],
    [
      'invalid-content-type-4',
      'application/openmetrics-text; charset=UTF-8; charset=utf-8',
      undefined,
      undefined,
      'duplicate parameter name',
    ],
    [
      'invalid-content-type-4-fallback-open-metrics',
      'application/openmetrics-text; charset=UTF-8; charset=utf-8',
      'OpenMetricsText1.0.0',
      'openmetrics',
      'duplicate parameter name',
    ],
    ['openmetrics', 'application/openmetrics-text', undefined, 'openmetrics', ''],
    ['openmetrics-with-charset', 'application/openmetrics-text; charset=utf-8', undefined, 'openmetrics', ''],
    [
      'openmetrics-with-charset-and-version',
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
      undefined,
      'openmetrics',
      '',
    ],
    ['plain-text', 'text/plain', undefined, 'text', ''],
    ['protobuf', 'application/vnd.google.protobuf', undefined, 'protobuf', ''],
    ['plain-text-with-version', 'text/plain; version=0.0.4', undefined, 'text', ''],
    [
      'some-other-valid-content-type',
      'text/html',
      undefined,
      undefined,
      'received unsupported Content-Type "text/html" and no fallback_scrape_protocol specified for target',
    ],
    [
      'some-other-valid-content-type-fallback-text-plain',
      'text/html',
      'PrometheusText0.0.4',
      'text',
      'received unsupported Content-Type "text/html", using fallback_scrape_protocol "text/plain"',
    ],
  ];

  it.each(cases)('%s', (_, contentType, fallback, format, message) => {
    if (format === undefined) {
      expect(() => chooseParser(contentType, fallback)).toThrow(message);
      return;
    }
    const choice = chooseParser(contentType, fallback);
    expect(choice.format).toBe(format);
    if (message === '') expect(choice.warning).toBeUndefined();
    else expect(choice.warning).toContain(message);
  });

  it("words an unparseable Content-Type as upstream's errors.Join does: its message, then mime's", () => {
    expect(() => chooseParser('invalid/', undefined)).toThrow(
      'cannot parse Content-Type "invalid/" and no fallback_scrape_protocol for target\nmime: expected token after slash',
    );
  });

  it("reads the media type case-insensitively and ignores a trailing semicolon, as Go's mime package", () => {
    expect(parseMediaType('Application/OpenMetrics-Text; version=1.0.0;')).toBe('application/openmetrics-text');
    expect(parseMediaType('text/plain; charset="utf-8"')).toBe('text/plain');
    expect(() => parseMediaType('text/plain; charset')).toThrow('mime: invalid media parameter');
  });
});
