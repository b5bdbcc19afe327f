/**
 * Signals that arrive while the server is still loading its modules: the entry listens for SIGHUP,
 * SIGINT and SIGTERM before anything heavy is imported, holds what arrives and hands it to main.
 * The moment the listener exists is read from the kernel (SigCgt in /proc/<pid>/status: a caught
 * SIGHUP sets bit 0), and the signal is sent at once, long before main has logged a line.
 */
import { readFileSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { removeScratchDirs, type Server, startServer } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

afterEach(() => {
  killAll();
  removeScratchDirs();
});

const CONFIG = 'global:\n  scrape_interval: 1h\n';
const SIGHUP_BIT = 1n << 0n;

/** Resolves once the process catches SIGHUP (nothing else announces it: the kernel is asked). */
async function sighupCaught(server: Server): Promise<void> {
  for (;;) {
    const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
    const caught = BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0'}`);
    if (caught & SIGHUP_BIT) return;
    if (server.child.exitCode !== null) throw new Error('the server exited before it listened');
    await nextTurn();
  }
}

const haveProc = (() => {
  try {
    return /^SigCgt:/m.test(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return false;
  }
})();
if (!haveProc) console.log('early-signals.test.ts: skipped: no /proc/<pid>/status to see when a signal is caught');

describe.skipIf(!haveProc)('a signal while the modules load', () => {
  it('SIGHUP is held and becomes one reload once the server is ready, never fatal', async () => {
    const server = startServer({ config: CONFIG });
    await sighupCaught(server);
    expect(server.stderr()).toBe(''); // main has not even logged its first line
    server.child.kill('SIGHUP');
    await server.untilLog('Server is ready to receive web requests.');
    await server.untilLog('Completed loading of configuration file', 2);
    expect(server.msgs().filter((m) => m === 'Loading configuration file')).toHaveLength(2);
    expect(server.child.exitCode).toBeNull();
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it('SIGTERM is held and shuts the server down gracefully', async () => {
    const server = startServer({ config: CONFIG });
    await sighupCaught(server);
    expect(server.stderr()).toBe('');
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const msgs = server.msgs();
    expect(msgs).toContain('Received an OS signal, exiting gracefully...');
    expect(msgs.at(-1)).toBe('See you next time!');
    expect(msgs).not.toContain('Server is ready to receive web requests.');
  });

  it('several SIGHUPs at once are one reload, as a one-slot channel holds them', async () => {
    const server = startServer({ config: CONFIG });
    await sighupCaught(server);
    for (let i = 0; i < 5; i++) server.child.kill('SIGHUP');
    await server.untilLog('Completed loading of configuration file', 2);
    // Signals are delivered asynchronously; a second reload would have started by the time
    // a request answered through the same event loop comes back.
    const ready = server.logs().find((l) => l.msg === 'Start listening for connections');
    await fetch(`http://${String(ready?.address)}/-/healthy`);
    expect(server.msgs().filter((m) => m === 'Loading configuration file')).toHaveLength(2);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });
});
