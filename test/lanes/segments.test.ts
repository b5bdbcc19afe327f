import { describe, expect, it } from 'vitest';
import { type LaneEvent, laneSegments, lifecyclePhases } from '../../src/lanes/index.js';

/** A run: storage opens dbOpen at 20, the config opens reloadReady at 25, shutdown from 100. */
const run: LaneEvent[] = [
  { t: 10, actor: 'Scrape manager', event: 'execute started' },
  { t: 10.2, actor: 'Scrape manager', event: 'waiting', latch: 'reloadReady' },
  { t: 11, actor: 'TSDB', event: 'execute started' },
  { t: 11, actor: 'TSDB', event: 'running' },
  { t: 20, latch: 'dbOpen', event: 'opened' },
  { t: 21, event: 'reload started' },
  { t: 25, event: 'reload finished', result: 'success' } as LaneEvent,
  { t: 25, latch: 'reloadReady', event: 'opened' },
  { t: 25.1, actor: 'Scrape manager', event: 'running' },
  { t: 100, actor: 'Scrape manager', event: 'interrupted' },
  { t: 101, actor: 'Scrape manager', event: 'execute returned' },
  { t: 102, actor: 'TSDB', event: 'interrupted' },
  { t: 105, actor: 'TSDB', event: 'execute returned' },
];

describe('laneSegments', () => {
  it('covers the lane from process start: not started, waiting on its latch, running, interrupted, returned', () => {
    expect(laneSegments('Scrape manager', run, 120)).toEqual([
      { state: 'not started', from: 0, to: 10, last: false },
      { state: 'running', from: 10, to: 10.2, last: false },
      { state: 'waiting', from: 10.2, to: 25.1, last: false, latch: 'reloadReady' },
      { state: 'running', from: 25.1, to: 100, last: false },
      { state: 'interrupted', from: 100, to: 101, last: false },
      { state: 'returned', from: 101, to: 120, last: true },
    ]);
  });

  it('runs the last state up to the end given (an actor still running now)', () => {
    const segments = laneSegments('TSDB', run.slice(0, 4), 50);
    expect(segments.at(-1)).toEqual({ state: 'running', from: 11, to: 50, last: true });
  });

  it('is one not-started segment for an actor without events', () => {
    expect(laneSegments('Notifier', run, 30)).toEqual([{ state: 'not started', from: 0, to: 30, last: true }]);
  });
});

describe('lifecyclePhases', () => {
  it('splits a finished run into startup (to reloadReady), running (to the first interrupt) and shutdown', () => {
    expect(lifecyclePhases(run)).toEqual({
      first: 10,
      last: 105,
      startup: { from: 10, to: 25, open: false },
      running: { from: 25, to: 100, open: false },
      shutdown: { from: 100, to: 105, open: false },
    });
  });

  it('keeps running open up to now while nothing was interrupted', () => {
    const phases = lifecyclePhases(run.slice(0, 9), 60);
    expect(phases?.running).toEqual({ from: 25, to: 60, open: true });
    expect(phases?.shutdown).toBeUndefined();
  });

  it('ends startup at the first interrupt when the server never got ready', () => {
    const never: LaneEvent[] = [
      { t: 5, actor: 'TSDB', event: 'execute started' },
      { t: 9, actor: 'TSDB', event: 'interrupted' },
    ];
    const phases = lifecyclePhases(never, 12);
    expect(phases?.startup).toEqual({ from: 5, to: 9, open: false });
    expect(phases?.running).toBeUndefined();
    expect(phases?.shutdown).toEqual({ from: 9, to: 12, open: true });
  });

  it('is undefined before the first event', () => {
    expect(lifecyclePhases([])).toBeUndefined();
  });
});
