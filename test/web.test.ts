import { describe, expect, it } from 'vitest';
import { ReloadQueue } from '../src/lifecycle/index.js';
import { splitHostPort } from '../src/web/index.js';

describe('ReloadQueue', () => {
  it('hands a request made before the handler runs to the handler, and returns its outcome', async () => {
    const q = new ReloadQueue();
    const outcome = q.request();
    const request = await q.next(new AbortController().signal);
    request?.settle({ ok: true });
    await expect(outcome).resolves.toEqual({ ok: true });
  });

  it('refuses waiting and later requests with 503 once closed', async () => {
    const q = new ReloadQueue();
    const waiting = q.request();
    q.close('shutting down');
    await expect(waiting).resolves.toEqual({ ok: false, status: 503, message: 'shutting down' });
    await expect(q.request()).resolves.toEqual({ ok: false, status: 503, message: 'shutting down' });
  });

  it('gives the handler undefined when its signal aborts', async () => {
    const q = new ReloadQueue();
    const ac = new AbortController();
    const next = q.next(ac.signal);
    ac.abort();
    await expect(next).resolves.toBeUndefined();
    // A request after that waits for the next reader instead of vanishing.
    const outcome = q.request();
    const request = await q.next(new AbortController().signal);
    request?.settle({ ok: false, status: 500, message: 'x' });
    await expect(outcome).resolves.toMatchObject({ status: 500 });
  });
});

describe('splitHostPort', () => {
  it.each([
    ['0.0.0.0:9090', { host: '0.0.0.0', port: 9090 }],
    [':9090', { host: '0.0.0.0', port: 9090 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
  ])('splits %s', (address, expected) => {
    expect(splitHostPort(address)).toEqual(expected);
  });

  it('rejects an address without a port', () => {
    expect(() => splitHostPort('localhost')).toThrow('missing port in address');
  });
});
