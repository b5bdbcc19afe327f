/**
 * Scrape protocols, as upstream's config package defines them (config.ScrapeProtocol at v3.5.3):
 * their names, the media type each asks for in the Accept header, the default preference order,
 * and the checks `scrape_protocols` and `fallback_scrape_protocol` get, with upstream's wording.
 */
import type { ScrapeProtocol } from './types.js';

/** Each protocol's Accept header value (upstream's ScrapeProtocolsHeaders). */
export const SCRAPE_PROTOCOL_HEADERS: Readonly<Record<ScrapeProtocol, string>> = {
  PrometheusProto: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited',
  'PrometheusText0.0.4': 'text/plain;version=0.0.4',
  'PrometheusText1.0.0': 'text/plain;version=1.0.0',
  'OpenMetricsText0.0.1': 'application/openmetrics-text;version=0.0.1',
  'OpenMetricsText1.0.0': 'application/openmetrics-text;version=1.0.0',
};

/** What a scrape asks for when nothing says otherwise, by preference (DefaultScrapeProtocols). */
export const DEFAULT_SCRAPE_PROTOCOLS: readonly ScrapeProtocol[] = [
  'OpenMetricsText1.0.0',
  'OpenMetricsText0.0.1',
  'PrometheusText1.0.0',
  'PrometheusText0.0.4',
];

function isScrapeProtocol(name: string): name is ScrapeProtocol {
  return Object.hasOwn(SCRAPE_PROTOCOL_HEADERS, name);
}

/**
 * ScrapeProtocol.Validate: the name must be one of upstream's, exactly (case matters). The
 * supported list is printed as Go prints a sorted []string.
 */
export function checkScrapeProtocol(name: string): ScrapeProtocol {
  if (isScrapeProtocol(name)) return name;
  const supported = Object.keys(SCRAPE_PROTOCOL_HEADERS).sort();
  throw new Error(`unknown scrape protocol ${name}, supported: [${supported.join(' ')}]`);
}

/**
 * validateAcceptScrapeProtocols: not empty, no protocol twice (compared case-insensitively, as
 * upstream does, before the name itself is checked), each one known. The caller appends where
 * (`for global config`, `for scrape config with job name "x"`).
 */
export function checkScrapeProtocols(names: readonly string[]): ScrapeProtocol[] {
  if (names.length === 0) throw new Error('scrape_protocols cannot be empty');
  const seen = new Set<string>();
  return names.map((name) => {
    if (seen.has(name.toLowerCase()))
      throw new Error(`duplicated protocol in scrape_protocols, got [${names.join(' ')}]`);
    seen.add(name.toLowerCase());
    try {
      return checkScrapeProtocol(name);
    } catch (err) {
      throw new Error(`scrape_protocols: ${(err as Error).message}`);
    }
  });
}

/** The media type of a protocol's header (HeaderMediaType: the header without its parameters). */
export function scrapeProtocolMediaType(protocol: ScrapeProtocol): string {
  return SCRAPE_PROTOCOL_HEADERS[protocol].split(';')[0] as string;
}
