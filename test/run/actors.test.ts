import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortHandler, Group, Handoff, SignalChannel, SignalError, signalHandler } from '../../src/run/index.js';

describe('signalHandler', () => {
  it('returns a SignalError naming the first of its signals', async () => {
    const source = new EventEmitter();
    const actor = signalHandler(['SIGINT', 'SIGTERM'], source);
    const returned = Promise.resolve(actor.execute());
    source.emit('SIGTERM', 'SIGTERM');
    const err = await returned.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignalError);
    expect((err as SignalError).signal).toBe('SIGTERM');
    expect((err as SignalError).message).toBe('received signal SIGTERM');
  });

  it('returns cleanly when interrupted and removes its listeners', async () => {
    const source = new EventEmitter();
    const actor = signalHandler(['SIGINT', 'SIGTERM'], source);
    expect(source.listenerCount('SIGINT')).toBe(1);
    const returned = Promise.resolve(actor.execute());
    actor.interrupt(undefined);
    await expect(returned).resolves.toBeUndefined();
    expect(source.listenerCount('SIGINT')).toBe(0);
    expect(source.listenerCount('SIGTERM')).toBe(0);
  });

  it('ends a whole group with its SignalError', async () => {
    const source = new EventEmitter();
    const g = new Group();
    const sig = signalHandler(['SIGINT'], source);
    g.add(sig.execute, sig.interrupt);
    const other = abortHandler(new AbortController().signal);
    g.add(other.execute, other.interrupt);
    const result = g.run();
    source.emit('SIGINT', 'SIGINT');
    const err = await result;
    expect(err).toBeInstanceOf(SignalError);
  });
});

describe('abortHandler', () => {
  it("returns the signal's reason when it aborts", async () => {
    const ac = new AbortController();
    const actor = abortHandler(ac.signal);
    const returned = Promise.resolve(actor.execute());
    const reason = new Error('cancelled');
    ac.abort(reason);
    await expect(returned).rejects.toBe(reason);
  });

  it('returns cleanly when interrupted', async () => {
    const actor = abortHandler(new AbortController().signal);
    const returned = Promise.resolve(actor.execute());
    actor.interrupt(undefined);
    await expect(returned).resolves.toBeUndefined();
  });
});

describe('SignalChannel', () => {
  it('buffers one signal that arrives before anyone reads, and drops the rest like a Go channel of 1', async () => {
    const source = new EventEmitter();
    const ch = new SignalChannel(['SIGHUP'], source);
    source.emit('SIGHUP', 'SIGHUP');
    source.emit('SIGHUP', 'SIGHUP');
    const never = new AbortController();
    await expect(ch.next(never.signal)).resolves.toBe('SIGHUP');
    const second = ch.next(never.signal);
    const ac = new AbortController();
    ac.abort();
    // The second emit was dropped: nothing is buffered any more.
    await expect(ch.next(ac.signal)).resolves.toBeUndefined();
    source.emit('SIGHUP', 'SIGHUP');
    await expect(second).resolves.toBe('SIGHUP');
    ch.stop();
    expect(source.listenerCount('SIGHUP')).toBe(0);
  });

  it('returns undefined when the reader is cancelled', async () => {
    const ch = new SignalChannel(['SIGTERM'], new EventEmitter());
    const ac = new AbortController();
    const next = ch.next(ac.signal);
    ac.abort();
    await expect(next).resolves.toBeUndefined();
    ch.stop();
  });
});

describe('Handoff', () => {
  it('gives a value only to a waiting reader', async () => {
    const h = new Handoff<number>();
    expect(h.give(1)).toBe(false);
    const waiting = h.wait(new AbortController().signal);
    expect(h.give(2)).toBe(true);
    await expect(waiting).resolves.toBe(2);
    expect(h.give(3)).toBe(false);
  });

  it('resolves undefined when the reader is cancelled, and then takes nothing', async () => {
    const h = new Handoff<number>();
    const ac = new AbortController();
    const waiting = h.wait(ac.signal);
    ac.abort();
    await expect(waiting).resolves.toBeUndefined();
    expect(h.give(1)).toBe(false);
  });
});
