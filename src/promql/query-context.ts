/**
 * What one query's evaluation shares across its evaluators: the abort signal (timeout or
 * cancellation), the time budget after which it yields to the event loop, the annotations it
 * collects, the series its selectors selected, and its sample statistics.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Queryable, SelectedSeries } from '../storage/index.js';
import { Annotations } from './annotations.js';
import type { VectorSelector } from './ast.js';
import { QueryCanceledError, QueryTimeoutError } from './errors.js';

/** Why a query's controller aborted: the engine's own timeout, or the caller's signal. */
export const TIMEOUT = Symbol('timeout');
export const CANCELED = Symbol('canceled');

/** How long evaluation runs before it lets the event loop have a turn. */
const SLICE_MS = 5;

/** Upstream's stats.QuerySamples, the parts miniprom keeps: total samples and peak. */
export class SampleStats {
  totalSamples = 0;
  peakSamples = 0;

  child(): SampleStats {
    return new SampleStats();
  }

  updatePeak(samples: number): void {
    if (samples > this.peakSamples) this.peakSamples = samples;
  }

  updatePeakFromSubquery(other: SampleStats): void {
    if (other.peakSamples > this.peakSamples) this.peakSamples = other.peakSamples;
  }
}

export class QueryContext {
  readonly annotations = new Annotations();
  /** Series per selector, selected before evaluation (upstream's populateSeries). */
  readonly series = new Map<VectorSelector, readonly SelectedSeries[]>();
  #sliceStart = performance.now();

  constructor(
    readonly queryable: Queryable,
    readonly signal: AbortSignal,
    readonly maxSamples: number,
    readonly lookbackDelta: number,
    readonly noStepSubqueryInterval: (rangeMs: number) => number,
    readonly enableDelayedNameRemoval: boolean,
  ) {}

  /** Throws the timeout or cancellation error if the query was aborted (upstream's contextDone). */
  check(env: string): void {
    if (!this.signal.aborted) return;
    if (this.signal.reason === TIMEOUT) throw new QueryTimeoutError(env);
    throw new QueryCanceledError(env);
  }

  /** Whether this slice of work has used its time: the caller should `await pause()`. */
  due(): boolean {
    return performance.now() - this.#sliceStart >= SLICE_MS;
  }

  /** Lets the event loop run (timers, sockets), then checks for abort. */
  async pause(env = 'expression evaluation'): Promise<void> {
    await nextTurn();
    this.#sliceStart = performance.now();
    this.check(env);
  }

  /**
   * Gives the event loop its turn if this slice is used up, without checking for abort: for work
   * where upstream has no check point (selecting series), so that an abort is reported where
   * upstream reports it.
   */
  async relax(): Promise<void> {
    if (!this.due()) return;
    await nextTurn();
    this.#sliceStart = performance.now();
  }

  /** A check point of evaluation: abort is noticed here, and the event loop gets its turn. */
  async checkpoint(env = 'expression evaluation'): Promise<void> {
    this.check(env);
    if (this.due()) await this.pause(env);
  }
}
