import { describe, expect, it, vi } from 'vitest';
import { Group, Latch, waitOrAbort } from '../../src/run/index.js';

/** An actor whose execute runs until its interrupt is called; records what happened to it. */
function blocking(log: string[], name: string, opts: { stopDelay?: () => Promise<void> } = {}) {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  return {
    execute: async () => {
      await stopped;
      await opts.stopDelay?.();
      log.push(`${name} returned`);
    },
    interrupt: (err: unknown) => {
      log.push(`${name} interrupted with ${String((err as Error | undefined)?.message)}`);
      stop();
    },
  };
}

describe('Group', () => {
  it('calls every interrupt in add order, each with the first error, and resolves to it', async () => {
    const g = new Group();
    const log: string[] = [];
    const a = blocking(log, 'a');
    const c = blocking(log, 'c');
    const first = new Error('b failed');
    g.add(a.execute, a.interrupt);
    g.add(
      async () => {
        throw first;
      },
      (err) => {
        log.push(`b interrupted with ${(err as Error).message}`);
      },
    );
    g.add(c.execute, c.interrupt);
    await expect(g.run()).resolves.toBe(first);
    expect(log.filter((l) => l.includes('interrupted'))).toEqual([
      'a interrupted with b failed',
      'b interrupted with b failed',
      'c interrupted with b failed',
    ]);
  });

  it('interrupts everyone when the first actor returns cleanly, and resolves to undefined', async () => {
    const g = new Group();
    const log: string[] = [];
    const b = blocking(log, 'b');
    let aInterrupted = 0;
    g.add(
      async () => {},
      () => {
        aInterrupted++;
      },
    );
    g.add(b.execute, b.interrupt);
    await expect(g.run()).resolves.toBeUndefined();
    expect(aInterrupted).toBe(1);
    expect(log).toEqual(['b interrupted with undefined', 'b returned']);
  });

  it('calls each interrupt exactly once even when two actors return together', async () => {
    const g = new Group();
    const counts = [0, 0, 0];
    g.add(
      async () => {
        throw new Error('a');
      },
      () => {
        counts[0] = (counts[0] ?? 0) + 1;
      },
    );
    g.add(
      async () => {
        throw new Error('b');
      },
      () => {
        counts[1] = (counts[1] ?? 0) + 1;
      },
    );
    g.add(
      () => {},
      () => {
        counts[2] = (counts[2] ?? 0) + 1;
      },
    );
    await g.run();
    expect(counts).toEqual([1, 1, 1]);
  });

  it('counts the actor added first as first when several finish in the same tick', async () => {
    const g = new Group();
    const late = new Error('added second, settles first');
    const early = new Error('added first, settles a few microtasks later');
    // Both settle within one tick; the second one's promise settles before the first's.
    g.add(
      async () => {
        await Promise.resolve();
        await Promise.resolve();
        await Promise.resolve();
        throw early;
      },
      () => {},
    );
    g.add(
      async () => {
        throw late;
      },
      () => {},
    );
    await expect(g.run()).resolves.toBe(early);
  });

  it('treats a synchronous throw in execute as that actor returning its error', async () => {
    const g = new Group();
    const err = new Error('sync');
    const log: string[] = [];
    const b = blocking(log, 'b');
    g.add(
      () => {
        throw err;
      },
      () => {},
    );
    g.add(b.execute, b.interrupt);
    await expect(g.run()).resolves.toBe(err);
    expect(log).toContain('b interrupted with sync');
  });

  it('treats a rejecting execute as that actor returning its error', async () => {
    const g = new Group();
    const err = new Error('rejected');
    g.add(
      () => Promise.reject(err),
      () => {},
    );
    await expect(g.run()).resolves.toBe(err);
  });

  it('waits for slow actors to finish after interrupting them', async () => {
    const g = new Group();
    const log: string[] = [];
    let release!: () => void;
    const slowStop = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = blocking(log, 'slow', { stopDelay: () => slowStop });
    g.add(
      async () => {},
      () => {},
    );
    g.add(slow.execute, slow.interrupt);
    let resolved = false;
    const running = g.run().then(() => {
      resolved = true;
    });
    // Observable: the interrupt has been called; the slow actor has not returned, so run() cannot.
    await vi.waitFor(() => expect(log).toEqual(['slow interrupted with undefined']));
    expect(resolved).toBe(false);
    release();
    await running;
    expect(log).toEqual(['slow interrupted with undefined', 'slow returned']);
  });

  it('awaits each interrupt before calling the next one', async () => {
    const g = new Group();
    const log: string[] = [];
    g.add(
      async () => {},
      async () => {
        log.push('first interrupt begins');
        await new Promise((resolve) => setImmediate(resolve));
        log.push('first interrupt ends');
      },
    );
    g.add(
      async () => {},
      () => {
        log.push('second interrupt');
      },
    );
    await g.run();
    expect(log).toEqual(['first interrupt begins', 'first interrupt ends', 'second interrupt']);
  });

  it('keeps calling interrupts when one throws, reports it, and still resolves to the first error', async () => {
    const reported: Array<[string, number]> = [];
    const g = new Group({ onInterruptError: (err, index) => reported.push([(err as Error).message, index]) });
    const first = new Error('first');
    let secondCalled = false;
    g.add(
      async () => {
        throw first;
      },
      () => {
        throw new Error('interrupt broke');
      },
    );
    g.add(
      async () => {},
      () => {
        secondCalled = true;
      },
    );
    await expect(g.run()).resolves.toBe(first);
    expect(secondCalled).toBe(true);
    expect(reported).toEqual([['interrupt broke', 0]]);
  });

  it('first error wins: later errors are not returned', async () => {
    const g = new Group();
    const first = new Error('first');
    let stop!: () => void;
    g.add(
      async () => {
        throw first;
      },
      () => {},
    );
    g.add(
      () =>
        new Promise<void>((_, reject) => {
          stop = () => reject(new Error('second'));
        }),
      () => stop(),
    );
    await expect(g.run()).resolves.toBe(first);
  });

  it('resolves at once to undefined when it has no actors', async () => {
    await expect(new Group().run()).resolves.toBeUndefined();
  });

  it('never rejects, even when execute rejects with a non-Error', async () => {
    const g = new Group();
    g.add(
      () => Promise.reject('plain string'),
      () => {},
    );
    await expect(g.run()).resolves.toBe('plain string');
  });

  it('runs once: a second run() throws, and so does add() after run()', async () => {
    const g = new Group();
    g.add(
      async () => {},
      () => {},
    );
    const first = g.run();
    await expect(g.run()).rejects.toThrow('run.Group: run() called twice');
    expect(() =>
      g.add(
        async () => {},
        () => {},
      ),
    ).toThrow('run.Group: add() after run()');
    await expect(first).resolves.toBeUndefined();
  });

  it('interrupts an actor whose work has not begun, which then never begins it', async () => {
    // The actor waits for a latch (as main's actors wait for dbOpen) or its own cancellation.
    const g = new Group();
    const latch = new Latch();
    const stop = new AbortController();
    let worked = false;
    g.add(
      async () => {
        throw new Error('stop at once');
      },
      () => {},
    );
    g.add(
      async () => {
        if ((await waitOrAbort(latch, stop.signal)) === 'aborted') return;
        worked = true;
      },
      () => stop.abort(),
    );
    expect(((await g.run()) as Error).message).toBe('stop at once');
    latch.open(); // too late: the actor was interrupted first
    await Promise.resolve();
    expect(worked).toBe(false);
  });
});
