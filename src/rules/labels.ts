/** Label sets as the rule manager builds them: plain records with their names in sorted order. */
import type { Labels } from '../storage/index.js';

export const METRIC_NAME = '__name__';
export const ALERT_NAME = 'alertname';

/** A copy of `l` with its names sorted (JSON and iteration then follow upstream's label order). */
export function sorted(l: Readonly<Record<string, string>>): Labels {
  const out: Record<string, string> = {};
  for (const name of Object.keys(l).sort()) out[name] = l[name] as string;
  return out;
}

/** rules.FromMaps: the maps merged, later ones winning, names sorted. */
export function fromMaps(...maps: Array<Readonly<Record<string, string>>>): Labels {
  return sorted(Object.assign({}, ...maps));
}

/** A string identifying a label set (upstream keys its maps by the labels' hash or bytes). */
export function labelsKey(l: Labels): string {
  return Object.keys(l)
    .sort()
    .map((k) => `${k}\xff${l[k]}`)
    .join('\xff');
}

/** A label set without its empty values (upstream's label builder drops them). */
export function withoutEmpty(l: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(l)) if (v !== '') out[k] = v;
  return out;
}
