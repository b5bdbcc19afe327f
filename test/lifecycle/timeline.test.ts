import { describe, expect, it } from 'vitest';
import { LATEST_RELOADS, Timeline } from '../../src/lifecycle/index.js';

/** Records a startup, `reloads` reloads after the initial one, and a shutdown. */
function lifetime(reloads: number): Timeline {
  let now = 0;
  const timeline = new Timeline(() => now++);
  timeline.declare('Initial configuration');
  timeline.actor('Initial configuration', 'execute started');
  timeline.reload('reload started');
  timeline.reload('reload finished', { result: 'success' });
  timeline.latch('reloadReady', 'opened');
  for (let i = 0; i < reloads; i++) {
    timeline.reload('reload started');
    timeline.reload('reload finished', { result: i % 2 === 0 ? 'success' : 'failure' });
  }
  timeline.actor('Initial configuration', 'interrupted');
  timeline.actor('Initial configuration', 'execute returned');
  return timeline;
}

describe('Timeline', () => {
  it('numbers every event with a unique, increasing seq', () => {
    const seqs = lifetime(3).events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('keeps the startup, the shutdown and the latest reloads, and counts those it let go', () => {
    const timeline = lifetime(LATEST_RELOADS + 25);
    const reloads = [...new Set(timeline.events.filter((e) => e.reload !== undefined).map((e) => e.reload))];
    // The first reload is the initial configuration's; then the latest ones, numbered as they ran.
    expect(reloads).toEqual([1, ...Array.from({ length: LATEST_RELOADS }, (_, i) => 27 + i)]);
    expect(timeline.reloadsOmitted).toBe(25);
    expect(timeline.events.filter((e) => e.actor !== undefined || e.latch !== undefined).map((e) => e.event)).toEqual([
      'execute started',
      'opened',
      'interrupted',
      'execute returned',
    ]);
    // Each kept reload keeps both of its events.
    expect(timeline.events.filter((e) => e.event === 'reload started')).toHaveLength(LATEST_RELOADS + 1);
    expect(timeline.events.filter((e) => e.event === 'reload finished')).toHaveLength(LATEST_RELOADS + 1);
  });

  it('holds as many events after a thousand reloads as after a few more than it keeps', () => {
    expect(lifetime(1000).events).toHaveLength(lifetime(LATEST_RELOADS + 1).events.length);
  });
});
