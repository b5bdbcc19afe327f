import { describe, expect, it } from 'vitest';
import { criticalChains, type LaneEvent, renderTimeline } from '../../src/lanes/index.js';

const actors = [
  { name: 'Termination handler' },
  { name: 'Scrape manager' },
  { name: 'Initial configuration' },
  { name: 'TSDB' },
];
const events: LaneEvent[] = [
  { t: 0, actor: 'Termination handler', event: 'execute started' },
  { t: 0, actor: 'Scrape manager', event: 'execute started' },
  { t: 0, actor: 'Scrape manager', event: 'waiting', latch: 'reloadReady' },
  { t: 0, actor: 'Initial configuration', event: 'execute started' },
  { t: 0, actor: 'Initial configuration', event: 'waiting', latch: 'dbOpen' },
  { t: 0, actor: 'TSDB', event: 'execute started' },
  { t: 1, actor: 'TSDB', event: 'running' },
  { t: 101, latch: 'dbOpen', event: 'opened' },
  { t: 101, actor: 'Initial configuration', event: 'running' },
  { t: 119, latch: 'reloadReady', event: 'opened' },
  { t: 119, actor: 'Scrape manager', event: 'running' },
  { t: 200, actor: 'Termination handler', event: 'execute returned' },
  { t: 200, actor: 'Termination handler', event: 'interrupted' },
  { t: 201, actor: 'Scrape manager', event: 'interrupted' },
  { t: 230, actor: 'Initial configuration', event: 'interrupted' },
  { t: 231, actor: 'TSDB', event: 'interrupted' },
  { t: 240, actor: 'TSDB', event: 'execute returned' },
];

describe('renderTimeline', () => {
  it('draws one lane per actor in add order and both latch markers', () => {
    const text = renderTimeline(actors, events, 48);
    const lanes = text.split('\n');
    expect(lanes[1]?.startsWith('Termination handler')).toBe(true);
    expect(lanes[4]?.startsWith('TSDB')).toBe(true);
    expect(text).toMatch(/^Scrape manager\s+-+=+x+/m);
    expect(text).toContain('dbOpen');
    expect(text).toMatch(/^dbOpen\s+\|\s+opened at 101\.0 ms$/m);
    expect(text).toMatch(/^reloadReady\s+\|\s+opened at 119\.0 ms$/m);
  });
});

describe('criticalChains', () => {
  it('names what decided the time to ready, and which interrupt held the exit longest', () => {
    const text = criticalChains(actors, events);
    expect(text).toContain('startup: reloadReady at 119.0 ms');
    expect(text).toContain('← Initial configuration applied the config in 18.0 ms');
    expect(text).toContain('← dbOpen at 101.0 ms');
    expect(text).toContain('← TSDB opened storage in 100.0 ms (from 1.0 ms)');
    expect(text).toMatch(/\* Scrape manager\s+29\.0 ms/);
    expect(text).toContain('shutdown: 40.0 ms from the first interrupt to the last return');
  });

  it('says plainly when the server never became ready', () => {
    expect(
      criticalChains(
        actors,
        events.filter((e) => e.latch !== 'reloadReady'),
      ),
    ).toContain('startup: never ready');
  });
});
