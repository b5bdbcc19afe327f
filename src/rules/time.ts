/**
 * Times as the rule manager keeps them: nanoseconds since the epoch as bigints, as Go's time.Time
 * (a group's evaluation slots are offset by a hash in nanoseconds, so sample times and `activeAt`
 * carry sub-millisecond parts upstream has too). Undefined is Go's zero time.
 */

/** Nanoseconds since the epoch. */
export type Nanos = bigint;

export const NS_PER_MS = 1_000_000n;

export const msToNs = (ms: number): Nanos => BigInt(Math.trunc(ms)) * NS_PER_MS;

/** timestamp.FromTime: milliseconds, truncated. */
export const nsToMs = (ns: Nanos): number => Number(ns / NS_PER_MS);

/** The wall clock, in nanoseconds (millisecond resolution is all Node's clock gives). */
export const nowNs = (): Nanos => msToNs(Date.now());

/** Go's time.Time JSON (RFC3339Nano, UTC): fraction without trailing zeros; zero time for undefined. */
export function rfc3339Nano(ns: Nanos | undefined): string {
  if (ns === undefined) return '0001-01-01T00:00:00Z';
  const ms = Number(ns / NS_PER_MS) - (ns % NS_PER_MS < 0n ? 1 : 0);
  const sub = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  const base = new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
  const frac = sub === 0n ? '' : `.${sub.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${frac}Z`;
}

/** strfmt.DateTime as Alertmanager's v2 API reads it: RFC3339 with milliseconds, UTC. */
export function rfc3339Millis(ns: Nanos | undefined): string {
  if (ns === undefined) return '0001-01-01T00:00:00.000Z';
  return new Date(nsToMs(ns)).toISOString();
}
