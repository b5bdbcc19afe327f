/**
 * The storage interfaces other modules may depend on. The scrape manager and the rule manager see
 * only `Appendable`; PromQL sees only `Queryable` (upstream's storage.Queryable/Querier). Main owns
 * the concrete storage.
 */

/** A label set including `__name__`; keys are label names. Treat as immutable once appended. */
export type Labels = Readonly<Record<string, string>>;

/**
 * Why storage refused one sample, as upstream's appender reports it from `Append`: its error
 * text is `message` (upstream's wording). Returned, not thrown: a scrape ignores it and goes on,
 * as it always did; the remote write receiver answers 400 with it.
 */
export interface AppendError {
  readonly kind: 'out-of-order' | 'out-of-bounds' | 'duplicate';
  readonly message: string;
}

/** A batch of appends that lands whole on `commit()` or not at all on `rollback()`. */
export interface Appender {
  /**
   * `t` in milliseconds since the epoch; `v` may be NaN (and the staleness marker NaN). Returns
   * undefined when the sample joins the batch, or why storage refused it (then it does not): a
   * time older than the series' newest committed sample, older than storage accepts at all, or
   * equal to it with a different value. An exact resend of the newest sample is accepted (and
   * stored once). The check is against what is committed; a batch's own samples out of order
   * among themselves are dropped at commit, as upstream's Commit drops them.
   */
  //
  // `ref`, when given, is where storage keeps what it found `labels` to be (upstream's SeriesRef,
  // which Append returns and the scrape cache hands back next time): the next append with the same
  // holder finds its series without hashing or comparing the labels. The holder's fields are
  // storage's to read and write; a caller passes one holder with one label set, always.
  // `void` too: an appender that never refuses (a test double) need not say `return undefined`.
  // biome-ignore lint/suspicious/noConfusingVoidType: that is exactly the point of it here
  append(labels: Labels, t: number, v: number, ref?: SeriesRefHolder): AppendError | undefined | void;
  /** Writes the batch to the WAL, then makes it visible. */
  commit(): Promise<void>;
  rollback(): void;
}

/** Where an appender may keep a series reference for its caller (see Appender.append). */
export interface SeriesRefHolder {
  /** The series, as the storage that wrote it knows it. */
  seriesRef: unknown;
  /** Which storage wrote `seriesRef`: another one's is ignored. */
  seriesRefOwner: unknown;
  /**
   * The label set appended with this holder, when the caller keeps it there (null otherwise).
   * Storage may replace it with an equal label set it holds anyway (the head's, its strings
   * interned), so the caller does not keep a second copy of every series' labels.
   */
  labels: Labels | null;
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

/**
 * Walks one series' samples in time order without copying them (upstream's chunkenc.Iterator).
 * Starts before the first sample: call `next()` or `seek()` before reading `t` and `v`.
 */
export interface SampleIterator {
  /** Moves to the next sample; false when there is none (then `t` and `v` are meaningless). */
  next(): boolean;
  /**
   * Moves to the first sample at or after `t`, or stays where it is if the current sample is
   * already there (it never moves back); false when there is none.
   */
  seek(t: number): boolean;
  /** The current sample's time (ms since the epoch). */
  readonly t: number;
  /** The current sample's value; a staleness marker is a NaN for which `isStaleNaN` is true. */
  readonly v: number;
}

/** A series a querier selected: its labels, and its samples within the querier's [mint, maxt]. */
export interface SelectedSeries {
  readonly labels: Labels;
  /** A new iterator over the samples in [mint, maxt], each call starting again from the first. */
  iterator(): SampleIterator;
}

/**
 * Reads the series of one time range [mint, maxt] (ms, inclusive). Each `select` sees the storage
 * as it is when `select` is called, and its iterators keep seeing exactly that: samples committed
 * later are not seen. (Upstream's head isolates per querier; the engine selects every series of a
 * query in one synchronous pass, which gives it the same consistency.) Empty label values never
 * appear.
 */
export interface Querier {
  /**
   * Series matching every matcher (a missing label reads as `""`) that have at least one sample
   * in the range, each label set once (the engine relies on it). Sorted by label set unless `sorted: false`: then in the order the storage
   * created them, as upstream's head answers `Select(sortSeries=false)` — which the engine asks
   * for, and which decides ties in topk and who limitk keeps. Throws for an invalid regex.
   */
  select(matchers: readonly Matcher[], hints?: { sorted?: boolean }): SelectedSeries[];
  /**
   * Label names of the series matching `matchers` (all series when empty), sorted. As upstream's
   * head answers: every series counts when the storage's time range meets [mint, maxt] at all,
   * whether or not its own samples fall in the range; none when it does not.
   */
  labelNames(matchers: readonly Matcher[]): string[];
  /**
   * Values of label `name` on the series matching `matchers`, sorted; the same rule as
   * `labelNames`. With `limit` and no matchers, only the first `limit` values the storage saw are
   * considered (upstream's LabelHints.Limit on the head's postings), then sorted.
   */
  labelValues(name: string, matchers: readonly Matcher[], hints?: { limit?: number }): string[];
}

export interface Queryable {
  /** A querier over [mint, maxt] (ms, inclusive). */
  querier(mint: number, maxt: number): Querier;
}

/** What main holds: TSDB in server mode, the agent's WAL storage in agent mode. */
export interface Storage extends Appendable {
  /** Flushes the WAL, releases the lock; appends after close are rejected. Safe to call twice. */
  close(): Promise<void>;
}
