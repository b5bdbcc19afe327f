/**
 * Phase one of a reload: a scrape config turned into what a pool runs with. Everything that can
 * fail (checks, reading secret files) happens here, so that applying the result cannot fail.
 */
import {
  authorizationHeader,
  type Config,
  type RelabelConfig,
  type ScrapeConfig,
  type TLSSettings,
  tlsSettings,
} from '../config/index.js';
import type { HTTPClient } from '../httpclient/index.js';
import { acceptEncodingHeader, acceptHeader } from './mediatype.js';

/**
 * Applies relabel steps to a label set; returns the new set, or undefined when a step drops it.
 * The scrape module does not implement relabeling: main passes one in (see ScrapeManagerOptions).
 */
export type Relabeler = (
  labels: Readonly<Record<string, string>>,
  steps: readonly RelabelConfig[],
) => Record<string, string> | undefined;

/** One job, ready for a pool. */
export interface PoolSettings {
  cfg: ScrapeConfig;
  /** The Authorization header value, from basic_auth or authorization (secret files read at prepare time). */
  authorization: string | undefined;
  /** Set when the job has relabel_configs or metric_relabel_configs (prepare refuses them otherwise). */
  relabel: Relabeler | undefined;
  /**
   * What decides, on reload, whether the pool's loops restart: the config minus its service
   * discovery sections (target changes arrive through run(), and must not restart every loop),
   * plus the secrets read from files (a rotated password applies on the next reload).
   */
  fingerprint: string;
  /** The pool's HTTP client: its own connections (kept alive, closed with the pool) and tls_config. */
  client: HTTPClient;
  /** The Accept and Accept-Encoding headers of its scrapes (built once per job, not per target). */
  accept: string;
  acceptEncoding: string;
}

/**
 * Checks every scrape config and builds its settings; throws on the first problem, naming the job.
 * `global.externalLabels` are deliberately unused: upstream attaches them only when samples leave
 * the server (remote write, federation, alerts), never at scrape time.
 */
export function buildSettings(
  cfg: Config,
  relabel: Relabeler | undefined,
  makeClient: (tls: TLSSettings | undefined) => HTTPClient,
): Map<string, PoolSettings> {
  const out = new Map<string, PoolSettings>();
  for (const sc of cfg.scrapeConfigs) {
    if (!sc.jobName) throw new Error('scrape config with empty job_name');
    if (out.has(sc.jobName))
      throw new Error(`found multiple scrape configs with job name ${JSON.stringify(sc.jobName)}`);
    try {
      out.set(sc.jobName, buildPool(sc, relabel, makeClient));
    } catch (err) {
      throw new Error(`scrape job ${JSON.stringify(sc.jobName)}: ${(err as Error).message}`);
    }
  }
  return out;
}

function buildPool(
  sc: ScrapeConfig,
  relabel: Relabeler | undefined,
  makeClient: (tls: TLSSettings | undefined) => HTTPClient,
): PoolSettings {
  if (!(sc.scrapeInterval > 0)) throw new Error('scrape interval must be greater than 0');
  if (!(sc.scrapeTimeout > 0)) throw new Error('scrape timeout must be greater than 0');
  if (sc.scrapeTimeout > sc.scrapeInterval) throw new Error('scrape timeout greater than scrape interval');
  if (sc.scheme !== 'http' && sc.scheme !== 'https') throw new Error(`invalid scheme ${JSON.stringify(sc.scheme)}`);
  for (const [name, limit] of [
    ['sample_limit', sc.sampleLimit],
    ['target_limit', sc.targetLimit],
    ['label_limit', sc.labelLimit],
    ['label_name_length_limit', sc.labelNameLengthLimit],
    ['label_value_length_limit', sc.labelValueLengthLimit],
    ['body_size_limit', sc.bodySizeLimit],
  ] as const) {
    if (!Number.isInteger(limit) || limit < 0) throw new Error(`${name} must be a non-negative integer`);
  }
  // Asking for the protobuf format would make every target that has it answer in it, and
  // miniprom has no parser for it: refused rather than failing every scrape.
  if (sc.scrapeProtocols.includes('PrometheusProto') || sc.fallbackScrapeProtocol === 'PrometheusProto') {
    throw new Error(
      'the PrometheusProto scrape protocol is not supported by miniprom (it reads the text formats only)',
    );
  }
  // Relabeling is a step main plugs in. Without it, ignoring the steps would scrape targets the
  // user meant to drop and store series with the wrong labels, so the config is refused instead.
  const needsRelabel = sc.relabelConfigs.length > 0 || sc.metricRelabelConfigs.length > 0;
  if (needsRelabel && !relabel) {
    throw new Error(
      'relabel_configs and metric_relabel_configs are not supported: the scrape manager has no relabel step',
    );
  }
  const authorization = authorizationHeader(sc.httpClient);
  const tls = tlsSettings(sc.httpClient);
  return {
    cfg: sc,
    authorization,
    relabel: needsRelabel ? relabel : undefined,
    // The certificates' content too: a renewed one applies on the next reload.
    fingerprint: JSON.stringify([withoutDiscovery(sc), authorization ?? null, tls ?? null]),
    // Opens nothing until its first request: a client of settings a reload discards costs nothing.
    client: makeClient(tls),
    accept: acceptHeader(sc.scrapeProtocols, sc.metricNameEscapingScheme),
    acceptEncoding: acceptEncodingHeader(sc.enableCompression),
  };
}

/**
 * The config without its service discovery sections (`static_configs`, `*_sd_configs`), which
 * are discovery's business. Selected by name so that sections added later are covered too.
 */
function withoutDiscovery(sc: ScrapeConfig): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(sc)) {
    if (key !== 'staticConfigs' && !key.endsWith('SDConfigs')) rest[key] = value;
  }
  return rest;
}
