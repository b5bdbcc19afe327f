import { describe, expect, it } from 'vitest';
import { Latch, waitOrAbort } from '../../src/run/index.js';

describe('Latch', () => {
  it('starts closed', () => {
    expect(new Latch().isOpen).toBe(false);
  });

  it('stays open when opened twice, and resolves waiters from before and after opening', async () => {
    const latch = new Latch();
    let before = false;
    const waiting = latch.wait().then(() => {
      before = true;
    });
    await Promise.resolve();
    expect(before).toBe(false);
    latch.open();
    latch.open();
    await waiting;
    expect(before).toBe(true);
    expect(latch.isOpen).toBe(true);
    await expect(latch.wait()).resolves.toBeUndefined();
  });
});

describe('waitOrAbort', () => {
  it('resolves open when the latch opens first', async () => {
    const latch = new Latch();
    const result = waitOrAbort(latch, new AbortController().signal);
    latch.open();
    await expect(result).resolves.toBe('open');
  });

  it('resolves aborted when the signal aborts first, without waiting for the latch', async () => {
    const ac = new AbortController();
    const result = waitOrAbort(new Latch(), ac.signal);
    ac.abort();
    await expect(result).resolves.toBe('aborted');
  });

  it('prefers aborted when both have already happened, so interrupted work never starts', async () => {
    const latch = new Latch();
    latch.open();
    const ac = new AbortController();
    ac.abort();
    await expect(waitOrAbort(latch, ac.signal)).resolves.toBe('aborted');
  });
});
