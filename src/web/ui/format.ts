/**
 * How the pages write durations, times and series, as upstream's UI writes them
 * (web/ui/mantine-ui/src/lib/formatTime.ts and formatSeries.ts). Pure functions: no DOM.
 */

const UNITS: ReadonlyArray<{ unit: string; mult: number; exact: boolean }> = [
  // Years and weeks only when they divide exactly: 90d reads better than 12w6d.
  { unit: 'y', mult: 365 * 24 * 3600 * 1000, exact: true },
  { unit: 'w', mult: 7 * 24 * 3600 * 1000, exact: true },
  { unit: 'd', mult: 24 * 3600 * 1000, exact: false },
  { unit: 'h', mult: 3600 * 1000, exact: false },
  { unit: 'm', mult: 60 * 1000, exact: false },
  { unit: 's', mult: 1000, exact: false },
  { unit: 'ms', mult: 1, exact: false },
];

function formatDuration(d: number, separator: string, fractionalSeconds: boolean): string {
  if (d === 0) return '0s';
  const sign = d < 0 ? '-' : '';
  let ms = Math.abs(d);
  const parts: string[] = [];
  for (const { unit, mult, exact } of UNITS) {
    if (exact && ms % mult !== 0) continue;
    const v = Math.floor(ms / mult);
    if (v > 0) {
      ms -= v * mult;
      if (fractionalSeconds && unit === 's' && ms > 0) {
        // "2.34s" rather than "2s 340ms".
        parts.push(`${Number.parseFloat((v + ms / 1000).toFixed(3))}s`);
        break;
      }
      parts.push(`${v}${unit}`);
    }
    if (parts.length === 0 && unit === 'ms') parts.push(`${Math.round(ms)}ms`);
  }
  return sign + parts.join(separator);
}

/** A duration in ms as Prometheus writes one: `1d2h3m4s`. */
export function formatPrometheusDuration(ms: number): string {
  return formatDuration(ms, '', false);
}

/** A duration in ms for people: `5d 5m 2.123s`. */
export function humanizeDuration(ms: number): string {
  return formatDuration(ms, ' ', true);
}

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Parses `5m`, `1d2h3m4s` (and a bare `0`) into ms; null when it is not a duration. */
export function parsePrometheusDuration(text: string): number | null {
  if (text === '') return null;
  if (text === '0') return 0;
  const m = DURATION_RE.exec(text);
  if (!m) return null;
  const mults = [365 * 24 * 3600e3, 7 * 24 * 3600e3, 24 * 3600e3, 3600e3, 60e3, 1e3, 1];
  return mults.reduce(
    (sum, mult, i) => sum + (m[i + 1] === undefined ? 0 : Number.parseInt(m[i + 1] as string, 10) * mult),
    0,
  );
}

/** A Unix time in ms as upstream's URLs and inputs write it: `2024-05-01 12:00:00`, UTC. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Reads `YYYY-MM-DD HH:mm:ss` (or an ISO time) as UTC; null when it is not one. */
export function parseTime(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(trimmed)
    ? `${trimmed.replace(' ', 'T')}Z`
    : trimmed;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** How long ago an RFC 3339 time was, or `never` for Go's zero time. */
export function humanizeAgo(rfc3339: string, now: number): string {
  const t = Date.parse(rfc3339);
  if (Number.isNaN(t) || t < 0) return 'never';
  return `${humanizeDuration(Math.max(0, now - t))} ago`;
}

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Escapes `\` and `"` for a double-quoted PromQL string. */
export function escapeString(s: string): string {
  return s.replace(/([\\"])/g, '\\$1');
}

/** A label name as PromQL needs it: quoted when it is outside the classic charset. */
export function maybeQuoteLabelName(name: string): string {
  return LABEL_NAME_RE.test(name) ? name : `"${escapeString(name)}"`;
}

/** Whether a metric name needs quoting (UTF-8 names): then it goes inside the braces. */
export function metricNeedsQuoting(name: string): boolean {
  return name !== '' && !METRIC_NAME_RE.test(name);
}

/** A series as upstream's UI writes it: `name{a="1", b="2"}`. */
export function formatSeries(labels: Readonly<Record<string, string>>): string {
  const name = labels.__name__ ?? '';
  const pairs = Object.entries(labels)
    .filter(([k]) => k !== '__name__')
    .map(([k, v]) => `${maybeQuoteLabelName(k)}="${escapeString(v)}"`);
  if (metricNeedsQuoting(name)) return `{"${escapeString(name)}",${pairs.join(', ')}}`;
  return `${name}{${pairs.join(', ')}}`;
}

/**
 * Milliseconds since process start on the lifecycle chart: `0.25 ms`, `373.3 ms`, `1.5 s`,
 * `12 min`. `step` (a tick spacing) sets the precision; by default the value's own size does.
 * Milliseconds stay milliseconds while the steps are small: startup is read in ms.
 */
export function formatMs(ms: number, step = ms): string {
  const abs = Math.abs(step);
  const round = (v: number, digits: number) => `${Number(v.toFixed(digits))}`;
  if (abs >= 60_000) return `${round(ms / 60_000, abs % 60_000 === 0 ? 0 : 1)} min`;
  if (abs >= 100 && Math.abs(ms) >= 1000) return `${round(ms / 1000, abs % 1000 === 0 ? 0 : 1)} s`;
  if (abs >= 1) return `${round(ms, Number.isInteger(abs) ? 0 : 1)} ms`;
  return `${round(ms, 2)} ms`;
}
