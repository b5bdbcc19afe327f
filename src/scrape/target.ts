/**
 * Targets: from a discovered target (one entry of a target group) to the labels and URL a scrape
 * loop uses, as upstream's scrape/target.go PopulateLabels and Target.URL do.
 */
import { formatDuration, parseDuration, type TargetGroup } from '../config/index.js';
import type { PoolSettings } from './settings.js';

/** A target ready to scrape; immutable once built (a loop keeps its own copy of `discoveredLabels`, which sync refreshes). */
export interface Target {
  /** Identifies the target within its pool: its final label set. Duplicates are scraped once. */
  key: string;
  /** The labels discovery produced plus the job's defaults, before relabeling (for the API). */
  discoveredLabels: Record<string, string>;
  /** The target's labels as attached to its samples: no `__`-prefixed ones. */
  labels: Readonly<Record<string, string>>;
  url: string;
  /** Milliseconds, from the target's own `__scrape_interval__` / `__scrape_timeout__`. */
  interval: number;
  timeout: number;
  /** The same two as Prometheus prints them (`1m`, `10s`), for the API. */
  intervalText: string;
  timeoutText: string;
}

export type PopulateResult =
  | { kind: 'active'; target: Target }
  /** Relabeling dropped the target: it is listed under droppedTargets. */
  | { kind: 'dropped'; discoveredLabels: Record<string, string> }
  /** The target cannot be scraped (no address, bad interval, …): upstream logs it and skips it. */
  | { kind: 'invalid'; error: string };

/**
 * Builds a target from one discovered target of `group`:
 * 1. the target's labels, then the group's labels it does not set, then the job's defaults for
 *    whatever is still unset: `job`, `__scheme__`, `__metrics_path__`, `__scrape_interval__`,
 *    `__scrape_timeout__` and `__param_<name>` (first value of each `params` entry);
 * 2. relabeling (`settings.relabel`, when the job has relabel_configs) — which may drop it;
 * 3. checks: an address is required, the interval and timeout labels must be valid durations;
 * 4. `instance` defaults to `__address__`, and every `__`-prefixed label leaves the final set.
 */
export function populateLabels(
  settings: PoolSettings,
  group: TargetGroup,
  discovered: Readonly<Record<string, string>>,
): PopulateResult {
  const cfg = settings.cfg;
  const lb: Record<string, string> = {};
  // Empty values are skipped throughout: an empty label is the same as an absent one.
  for (const [name, value] of Object.entries(discovered)) if (value !== '') lb[name] = value;
  for (const [name, value] of Object.entries(group.labels)) if (value !== '' && !has(lb, name)) lb[name] = value;
  const defaults: Array<[string, string]> = [
    ['job', cfg.jobName],
    ['__scrape_interval__', formatDuration(cfg.scrapeInterval)],
    ['__scrape_timeout__', formatDuration(cfg.scrapeTimeout)],
    ['__metrics_path__', cfg.metricsPath],
    ['__scheme__', cfg.scheme],
  ];
  for (const [name, value] of defaults) if (!has(lb, name)) lb[name] = value;
  // Query parameters become labels too, so relabeling can change them per target.
  for (const [name, values] of Object.entries(cfg.params)) {
    const first = values[0];
    if (first !== undefined && first !== '' && !has(lb, `__param_${name}`)) lb[`__param_${name}`] = first;
  }
  const discoveredLabels = { ...lb };

  // The relabel step. settings.ts guarantees `relabel` is set whenever there are steps to apply.
  const relabeled = settings.relabel && cfg.relabelConfigs.length > 0 ? settings.relabel(lb, cfg.relabelConfigs) : lb;
  if (!relabeled) return { kind: 'dropped', discoveredLabels };

  const address = get(relabeled, '__address__');
  if (address === '') return { kind: 'invalid', error: 'no address' };
  // As upstream's config.CheckTargetAddress: a path in the address is a mistake, not a URL.
  if (address.includes('/')) return { kind: 'invalid', error: `${JSON.stringify(address)} is not a valid hostname` };

  const intervalText = get(relabeled, '__scrape_interval__');
  const timeoutText = get(relabeled, '__scrape_timeout__');
  let interval: number;
  let timeout: number;
  try {
    interval = parseDuration(intervalText);
  } catch (err) {
    return { kind: 'invalid', error: `error parsing scrape interval: ${(err as Error).message}` };
  }
  try {
    timeout = parseDuration(timeoutText);
  } catch (err) {
    return { kind: 'invalid', error: `error parsing scrape timeout: ${(err as Error).message}` };
  }
  if (interval === 0) return { kind: 'invalid', error: 'scrape interval cannot be 0' };
  if (timeout === 0) return { kind: 'invalid', error: 'scrape timeout cannot be 0' };
  if (timeout > interval) {
    return {
      kind: 'invalid',
      error: `scrape timeout cannot be greater than scrape interval (${JSON.stringify(timeoutText)} > ${JSON.stringify(intervalText)})`,
    };
  }

  // The final label set: `__`-prefixed labels (meta, scheme, path, params, …) are internal.
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(relabeled)) {
    if (!name.startsWith('__') && value !== '') labels[name] = value;
  }
  if (!has(labels, 'instance')) labels.instance = address;

  return {
    kind: 'active',
    target: {
      key: labelsKey(labels),
      discoveredLabels,
      labels,
      url: targetURL(relabeled, cfg.params),
      interval,
      timeout,
      intervalText,
      timeoutText,
    },
  };
}

/**
 * The scrape URL: scheme, address and path from the labels, and the job's `params` with each
 * `__param_<name>` label replacing that parameter's first value (or adding the parameter), keys
 * sorted as Go's url.Values.Encode sorts them.
 */
function targetURL(labels: Readonly<Record<string, string>>, params: Readonly<Record<string, string[]>>): string {
  const values = new Map<string, string[]>();
  for (const [name, list] of Object.entries(params)) values.set(name, [...list]);
  for (const [label, value] of Object.entries(labels)) {
    if (!label.startsWith('__param_')) continue;
    const name = label.slice('__param_'.length);
    const list = values.get(name);
    if (list && list.length > 0) list[0] = value;
    else values.set(name, [value]);
  }
  const query = new URLSearchParams();
  for (const name of [...values.keys()].sort()) for (const v of values.get(name) ?? []) query.append(name, v);
  const qs = query.toString();
  let path = get(labels, '__metrics_path__');
  // Like Go's url.URL.String: a path without its leading slash still gets one after the host.
  if (path !== '' && !path.startsWith('/')) path = `/${path}`;
  return `${get(labels, '__scheme__')}://${get(labels, '__address__')}${path}${qs ? `?${qs}` : ''}`;
}

/**
 * A canonical string for a label set (names sorted, NUL-separated: NUL cannot occur in a label
 * name, and it keeps `a="b,c"` distinct from `a="b",c=""`).
 */
export function labelsKey(labels: Readonly<Record<string, string>>): string {
  let key = '';
  for (const name of Object.keys(labels).sort()) key += `${name}\u0000${labels[name]}\u0000`;
  return key;
}

/** FNV-1a (32 bit) of a string: cheap, stable across runs, good enough to spread offsets. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A label's value, "" when absent. `Object.hasOwn` rather than `labels[name]`: a label may be
 * named like an Object.prototype member (`constructor`, `toString`), which must read as absent.
 */
export function get(labels: Readonly<Record<string, string>>, name: string): string {
  return Object.hasOwn(labels, name) ? (labels[name] ?? '') : '';
}

function has(labels: Readonly<Record<string, string>>, name: string): boolean {
  return Object.hasOwn(labels, name);
}
