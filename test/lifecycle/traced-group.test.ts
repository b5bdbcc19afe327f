import { describe, expect, it } from 'vitest';
import { parseActorMoves, Timeline, TracedGroup } from '../../src/lifecycle/index.js';
import { Latch } from '../../src/run/index.js';

const A = { name: 'A', why: 'first' };
const B = { name: 'B', why: 'second' };
const C = { name: 'C', why: 'third' };

describe('TracedGroup', () => {
  it("records each actor's life on the timeline, declared in add order with its why", async () => {
    const timeline = new Timeline(() => 0);
    const g = new TracedGroup({ timeline });
    const latch = new Latch();
    g.add(
      A,
      async ({ running }) => {
        running();
        latch.open();
      },
      () => {},
    );
    g.add(
      B,
      async ({ gate, untilCancelled }) => {
        if (await gate(latch, 'latch')) await untilCancelled();
      },
      (_err, { cancel }) => cancel(),
    );
    await g.run();
    expect(timeline.actors).toEqual([
      { index: 0, name: 'A', why: 'first' },
      { index: 1, name: 'B', why: 'second' },
    ]);
    const of = (actor: string) => timeline.events.filter((e) => e.actor === actor).map((e) => e.event);
    expect(of('A')).toEqual(['execute started', 'running', 'execute returned', 'interrupted']);
    expect(of('B')).toEqual(['execute started', 'running', 'interrupted', 'execute returned']);
  });

  it('gate: an actor interrupted before its latch opens never begins its work', async () => {
    const timeline = new Timeline(() => 0);
    const g = new TracedGroup({ timeline });
    const latch = new Latch();
    let worked = false;
    g.add(
      A,
      async () => {
        throw new Error('stop');
      },
      () => {},
    );
    g.add(
      B,
      async ({ gate }) => {
        if (await gate(latch, 'latch')) worked = true;
      },
      () => {},
    );
    expect(((await g.run()) as Error).message).toBe('stop');
    latch.open();
    expect(worked).toBe(false);
    expect(timeline.events.find((e) => e.actor === 'B' && e.event === 'waiting')).toMatchObject({ latch: 'latch' });
  });

  it("cancels an actor's execute after its interrupt has done what it does", async () => {
    const timeline = new Timeline(() => 0);
    const g = new TracedGroup({ timeline });
    const order: string[] = [];
    g.add(
      A,
      async () => {},
      () => {},
    );
    g.add(
      B,
      async ({ untilCancelled }) => {
        await untilCancelled();
        order.push('B returned');
      },
      async () => {
        await new Promise((resolve) => setImmediate(resolve));
        order.push('B interrupt done'); // like storage closing before its execute may return
      },
    );
    await g.run();
    expect(order).toEqual(['B interrupt done', 'B returned']);
  });

  it('--debug.actor-order: moves actors in the add order, and so in the order they stop', async () => {
    const timeline = new Timeline(() => 0);
    const g = new TracedGroup({ timeline, moves: parseActorMoves('C before A') });
    const stopped: string[] = [];
    for (const actor of [A, B, C]) {
      g.add(
        actor,
        async ({ untilCancelled }) => untilCancelled(),
        () => {
          stopped.push(actor.name);
        },
      );
    }
    expect(g.order()).toEqual(['C', 'A', 'B']);
    g.add(
      { name: 'D', why: '' },
      async () => {},
      () => {},
    );
    await g.run();
    expect(stopped).toEqual(['C', 'A', 'B']);
    expect(timeline.actors.map((a) => a.name)).toEqual(['C', 'A', 'B', 'D']);
  });

  it('refuses a move naming an actor the group does not have', () => {
    const g = new TracedGroup({ timeline: new Timeline(), moves: parseActorMoves('X before A') });
    g.add(
      A,
      async () => {},
      () => {},
    );
    expect(() => g.order()).toThrow('no actor named "X"');
  });
});
