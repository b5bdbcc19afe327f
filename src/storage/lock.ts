/**
 * The data dir's lock. Node has no flock, so the `lock` file is created exclusively and records its
 * owner, `{"pid":…,"startedAt":…}` (the owner's process start, ms since the epoch). A live owner
 * means "locked"; a lock whose owner is gone (a SIGKILLed Prometheus), or that cannot be read, is
 * taken over with a warning. A clean close removes it.
 *
 * Known gap: two processes taking over the same stale lock at the same instant can both succeed
 * (read, remove and create are separate steps); flock would close it, Node cannot.
 */
import { readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

export class LockError extends Error {
  override readonly name = 'LockError';
}

interface Owner {
  pid: number;
  startedAt: number;
}

/**
 * Lock files this process holds. The pid in a lock file cannot tell a second open in this process
 * from a stale lock of an earlier process that had our pid (a restarted container's pid 1).
 */
const held = new Set<string>();

/** Takes the lock of `dir` (which must exist); returns the function that releases it (once). */
export async function acquireLock(dir: string, logger: Logger): Promise<() => void> {
  const file = join(realpathSync(dir), 'lock');
  const self: Owner = { pid: process.pid, startedAt: Math.round(performance.timeOrigin) };
  if (held.has(file)) throw busy(self);
  // Retried after a stale lock is removed or the owner removed its own; a racer winning every round is "busy".
  for (let round = 0; round < 3; round++) {
    try {
      writeFileSync(file, JSON.stringify(self), { flag: 'wx' });
      held.add(file);
      return () => release(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new LockError(`lock DB directory: ${(err as Error).message}`);
    }
    // An unreadable lock may be one another process has created but not yet written: look twice.
    let owner = readOwner(file);
    if (owner === undefined) owner = await sleep(100).then(() => readOwner(file));
    if (owner === 'gone') continue; // released by its owner meanwhile: just try again
    if (owner && owner.pid !== process.pid && alive(owner.pid)) throw busy(owner);
    logger.warn({ pid: owner?.pid, file }, 'Taking over a lock left by a process that is no longer running');
    rmSync(file, { force: true });
  }
  throw new LockError('lock DB directory: resource temporarily unavailable (taken by another process meanwhile)');
}

function busy(owner: Owner): LockError {
  const started = new Date(owner.startedAt); // invalid for a missing or absurd startedAt: toISOString would throw
  const since = Number.isNaN(started.getTime()) ? 'an unknown time' : started.toISOString();
  return new LockError(`lock DB directory: resource temporarily unavailable (held by pid ${owner.pid} since ${since})`);
}

/** Removes the lock if it is still ours: never someone else's that took over a lock we lost. */
function release(file: string): void {
  if (!held.delete(file)) return;
  const owner = readOwner(file);
  if (typeof owner === 'object' && owner.pid === process.pid) rmSync(file, { force: true });
}

/** The lock's owner; undefined if the file holds no valid owner, `gone` if there is no file any more. */
function readOwner(file: string): Owner | undefined | 'gone' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : undefined;
  }
  try {
    const { pid, startedAt } = JSON.parse(text);
    return Number.isInteger(pid) && pid > 0 ? { pid, startedAt: Number(startedAt) } : undefined;
  } catch {
    return undefined;
  }
}

/** Signal 0 checks existence only; EPERM means the process exists but belongs to someone else. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
