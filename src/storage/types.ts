/**
 * The storage interfaces other modules may depend on. The scrape manager and the rule manager see
 * only `Appendable`; PromQL will see only `Queryable`. Main owns the concrete storage.
 */

/** A label set including `__name__`; keys are label names. Treat as immutable once appended. */
export type Labels = Readonly<Record<string, string>>;

/** A batch of appends that lands whole on `commit()` or not at all on `rollback()`. */
export interface Appender {
  /** `t` in milliseconds since the epoch; `v` may be NaN (and the staleness marker NaN). */
  append(labels: Labels, t: number, v: number): void;
  /** Writes the batch to the WAL, then makes it visible. */
  commit(): Promise<void>;
  rollback(): void;
}

export interface Appendable {
  appender(): Appender;
}

export interface Sample {
  t: number;
  v: number;
}

export interface Series {
  labels: Labels;
  samples: Sample[];
}

/** A label matcher as PromQL has them: `=`, `!=`, `=~`, `!~` (regexes fully anchored). */
export interface Matcher {
  type: '=' | '!=' | '=~' | '!~';
  name: string;
  value: string;
}

export interface Queryable {
  /** Series matching every matcher, with their samples in [mint, maxt] (inclusive), sorted by time. */
  select(matchers: Matcher[], mint: number, maxt: number): Series[];
}

/** What main holds: TSDB in server mode, the agent's WAL storage in agent mode. */
export interface Storage extends Appendable {
  /** Flushes the WAL, releases the lock; appends after close are rejected. Safe to call twice. */
  close(): Promise<void>;
}
