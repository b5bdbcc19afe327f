/**
 * The data dir's lock. Node has no flock, so the `lock` file is created exclusively and records its
 * owner, `{"pid":…,"startedAt":…,"bootId":…,"startTicks":…}`: the pid, the process start (ms since
 * the epoch, for people), and, where Linux's /proc has them, the boot's id and the kernel's own
 * start time of the process (clock ticks since boot), which together name one process exactly.
 * A live owner means "locked". A lock is taken over, with a warning, when its owner is gone (a
 * SIGKILLed Prometheus), when its pid now belongs to another process (a restarted container's pid
 * 1, a pid reused after a reboot: the start time differs), or when it cannot be read. A clean
 * close removes it.
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
  /** /proc/sys/kernel/random/boot_id when the lock was taken (Linux). */
  bootId?: string;
  /** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot (Linux). */
  startTicks?: number;
}

/**
 * Lock files this process holds. The pid in a lock file cannot tell a second open in this process
 * from a stale lock of an earlier process that had our pid (a restarted container's pid 1).
 */
const held = new Set<string>();

/** Takes the lock of `dir` (which must exist); returns the function that releases it (once). */
export async function acquireLock(dir: string, logger: Logger): Promise<() => void> {
  const file = join(realpathSync(dir), 'lock');
  const self: Owner = { pid: process.pid, startedAt: Math.round(performance.timeOrigin), ...kernelIdentity('self') };
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
    if (owner && owner.pid !== process.pid && alive(owner.pid)) {
      const other = otherProcess(owner);
      if (!other) throw busy(owner);
      logger.warn(
        { pid: owner.pid, file, lock_started: since(owner.startedAt), process_started: since(other.startedAt) },
        'Taking over a lock whose pid now belongs to another process (its start time differs)',
      );
    } else {
      logger.warn({ pid: owner?.pid, file }, 'Taking over a lock left by a process that is no longer running');
    }
    rmSync(file, { force: true });
  }
  throw new LockError('lock DB directory: resource temporarily unavailable (taken by another process meanwhile)');
}

function busy(owner: Owner): LockError {
  return new LockError(
    `lock DB directory: resource temporarily unavailable (held by pid ${owner.pid} since ${since(owner.startedAt)})`,
  );
}

/** A start time for a message; a missing or absurd one would make toISOString throw. */
function since(startedAt: number): string {
  const started = new Date(startedAt);
  return Number.isNaN(started.getTime()) ? 'an unknown time' : started.toISOString();
}

/** Two locks' start times this far apart (wall clock, ms) name different processes. */
const START_TOLERANCE_MS = 5000;

/**
 * The process that has `owner.pid` now, when it is not the one that took the lock; undefined when
 * it is (or when that cannot be told: without /proc a live pid counts as the owner, the safe side).
 * With the kernel's identity in the lock the answer is exact. A lock written without it (by an
 * older miniprom) compares wall-clock start times, with a tolerance for boot-time rounding.
 */
function otherProcess(owner: Owner): { startedAt: number } | undefined {
  const now = kernelIdentity(String(owner.pid));
  if (now.startTicks === undefined) return undefined;
  const startedAt = ticksToEpochMs(now.startTicks) ?? Number.NaN;
  if (owner.startTicks !== undefined && owner.bootId !== undefined && now.bootId !== undefined) {
    return owner.startTicks === now.startTicks && owner.bootId === now.bootId ? undefined : { startedAt };
  }
  if (!Number.isFinite(startedAt) || !Number.isFinite(owner.startedAt)) return undefined;
  return Math.abs(startedAt - owner.startedAt) > START_TOLERANCE_MS ? { startedAt } : undefined;
}

/**
 * What Linux's /proc says of a process (`self` or a pid): the boot it runs in and when it started.
 * Empty where there is no /proc (macOS), or the process is gone.
 */
function kernelIdentity(pid: string): { bootId?: string; startTicks?: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state …`: comm may hold spaces and parentheses, so count fields after the last `)`.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]); // field 22 overall; fields[0] is field 3
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return Number.isSafeInteger(startTicks) ? { bootId, startTicks } : {};
  } catch {
    return {};
  }
}

/** Clock ticks since boot as ms since the epoch (Linux's user-visible clock tick is 100 Hz). */
function ticksToEpochMs(ticks: number): number | undefined {
  try {
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    return btime === undefined ? undefined : Number(btime) * 1000 + ticks * 10;
  } catch {
    return undefined;
  }
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
    const { pid, startedAt, bootId, startTicks } = JSON.parse(text);
    if (!(Number.isInteger(pid) && pid > 0)) return undefined;
    return {
      pid,
      startedAt: Number(startedAt),
      ...(typeof bootId === 'string' && Number.isSafeInteger(startTicks) && { bootId, startTicks }),
    };
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
