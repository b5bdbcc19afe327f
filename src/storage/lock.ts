/**
 * The data dir's lock. Node has no flock, so the `lock` file is created exclusively and records
 * its owner's PID and start time. A live owner means "locked"; a lock left by a dead process (a
 * SIGKILLed Prometheus) is taken over with a warning. A clean close removes it.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';

export class LockError extends Error {
  override readonly name = 'LockError';
}

const processStartedAt = Date.now() - Math.round(process.uptime() * 1000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of `dir` (which must exist); returns the function that releases it. */
export function acquireLock(dir: string, logger: Logger): () => void {
  const file = join(dir, 'lock');
  const content = JSON.stringify({ pid: process.pid, startedAt: processStartedAt });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, content, { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new LockError(`lock DB directory: ${(err as Error).message}`);
    }
    let owner: { pid?: unknown; startedAt?: unknown } = {};
    try {
      owner = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // unreadable or garbage: nobody can prove they hold it
    }
    const pid = typeof owner.pid === 'number' ? owner.pid : undefined;
    if (pid !== undefined && pid !== process.pid && alive(pid)) {
      const since = typeof owner.startedAt === 'number' ? new Date(owner.startedAt).toISOString() : 'an unknown time';
      throw new LockError(`lock DB directory: resource temporarily unavailable (held by pid ${pid} since ${since})`);
    }
    logger.warn({ pid, file }, 'Taking over a lock left by a process that is no longer running');
    rmSync(file, { force: true });
  }
  throw new LockError('lock DB directory: another process took the lock while we took over a stale one');
}
