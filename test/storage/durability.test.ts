/**
 * What the WAL promises when the machine misbehaves: a failed write (a full disk) leaves the log as
 * it was and the commit fails loudly; writing resumes once space is back, and a restart finds every
 * acknowledged sample.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { type FileHandle, open as openFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Labels, openAgentStorage, openTSDB, type Storage } from '../../src/storage/index.js';
import { selectAll } from '../helpers/storage.js';

const DAY = 24 * 3600 * 1000;
const T = Date.now() - 60_000;
const up = (instance: string): Labels => ({ __name__: 'up', job: 'node', instance });

let root: string;
let dir: string;
let logs: Array<{ level: number; msg: string; [k: string]: unknown }>;
const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
const warningsAndErrors = () => logs.filter((l) => l.level >= 40).map((l) => l.msg);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'miniprom-durability-'));
  dir = join(root, 'data');
  logs = [];
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

const open = (registry?: Registry) => openTSDB({ dir, logger, retentionMs: 15 * DAY, registry });

async function write(db: Storage, samples: Array<[Labels, number, number]>): Promise<void> {
  const app = db.appender();
  for (const [labels, t, v] of samples) app.append(labels, t, v);
  await app.commit();
}

/** Node's error for a full disk, as fs.write rejects with it. */
function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
  });
}

/**
 * Makes the next `failures` writes to any file fail as a full disk fails them: the first of them
 * after writing half of its bytes (a short write, as the kernel does when the last blocks run
 * out), the others writing nothing.
 */
async function failNextWrites(failures: number): Promise<void> {
  const probe: FileHandle = await openFile(join(root, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const real = proto.write;
  let left = failures;
  let first = true;
  vi.spyOn(proto, 'write').mockImplementation(async function (this: FileHandle, ...args: unknown[]) {
    if (left === 0) return (real as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    left--;
    const [buf, offset, length, position] = args as [Buffer, number, number, number];
    if (first) {
      first = false;
      await (real as (...a: unknown[]) => Promise<unknown>).call(this, buf, offset, Math.floor(length / 2), position);
    }
    throw enospc();
  } as typeof proto.write);
}

describe('a failed WAL write (full disk)', () => {
  it('fails the commit with upstream\'s "write to WAL" error and applies none of its samples', async () => {
    const db = await open();
    await write(db, [[up('a'), T, 1]]);
    await failNextWrites(1);
    const failed = write(db, [
      [up('a'), T + 1000, 2],
      [up('b'), T + 1000, 2],
    ]);
    await expect(failed).rejects.toThrow(
      new RegExp(`^write to WAL: write ${join(dir, 'wal', '00000000')}: no space left on device$`),
    );
    expect(selectAll(db, [], 0, Number.MAX_SAFE_INTEGER)).toEqual([{ labels: up('a'), samples: [{ t: T, v: 1 }] }]);
    await db.close();
  });

  it('counts the failure as prometheus_tsdb_wal_writes_failed_total', async () => {
    const registry = new Registry();
    const db = await open(registry);
    await failNextWrites(2);
    await expect(write(db, [[up('a'), T, 1]])).rejects.toThrow(/no space left on device/);
    await expect(write(db, [[up('a'), T, 1]])).rejects.toThrow(/no space left on device/);
    const metric = await registry.getSingleMetric('prometheus_tsdb_wal_writes_failed_total')?.get();
    expect(metric?.values[0]?.value).toBe(2);
    await db.close();
  });

  it('resumes once space is back, and a restart finds every acknowledged sample and nothing else', async () => {
    let db = await open();
    const acknowledged: Array<{ t: number; v: number }> = [];
    for (let i = 0; i < 30; i++) {
      // Every third commit meets a full disk, half of it landing before the failure.
      if (i % 3 === 1) await failNextWrites(1);
      const t = T + i * 1000;
      try {
        await write(db, [
          [up('a'), t, i],
          [up(`new${i}`), t, i],
        ]);
        acknowledged.push({ t, v: i });
      } catch {
        // not acknowledged
      }
      vi.restoreAllMocks();
    }
    expect(acknowledged).toHaveLength(20);
    await db.close();
    logs = [];
    db = await open();
    expect(warningsAndErrors()).toEqual([]);
    const series = selectAll(db, [], 0, Number.MAX_SAFE_INTEGER);
    expect(series.find((s) => s.labels.instance === 'a')?.samples).toEqual(acknowledged);
    // A series whose only commit failed was never acknowledged, so it does not come back.
    expect(series.map((s) => s.labels.instance).sort()).toEqual(
      ['a', ...acknowledged.map(({ v }) => `new${v}`)].sort(),
    );
    await db.close();
  });

  it('fails cleanly in a freshly cut segment too, and the next write goes there', async () => {
    let db = await openTSDB({ dir, logger, retentionMs: 15 * DAY, walSegmentSize: 64 });
    await write(db, [[up('a'), T, 0]]); // larger than a segment: fills 00000000
    await failNextWrites(1);
    await expect(write(db, [[up('a'), T + 1000, 1]])).rejects.toThrow(/no space left on device/);
    vi.restoreAllMocks();
    await write(db, [[up('a'), T + 2000, 2]]);
    await db.close();
    db = await openTSDB({ dir, logger, retentionMs: 15 * DAY, walSegmentSize: 64 });
    expect(selectAll(db, [], 0, Number.MAX_SAFE_INTEGER)[0]?.samples).toEqual([
      { t: T, v: 0 },
      { t: T + 2000, v: 2 },
    ]);
    expect(readdirSync(join(dir, 'wal')).length).toBeGreaterThanOrEqual(2);
    await db.close();
  });
});

describe('replay over a lost segment', () => {
  const segment = (n: number) => join(dir, 'wal', String(n).padStart(8, '0'));
  const unknownRefs = async (registry: Registry) =>
    (await registry.getSingleMetric('prometheus_tsdb_wal_replay_unknown_refs_total')?.get())?.values.map((v) => [
      v.labels.type,
      v.value,
    ]);

  it("reports samples whose series record was in an emptied first segment, as upstream's 'Unknown series references'", async () => {
    let db = await open();
    await write(db, [
      [up('a'), T, 1],
      [up('b'), T, 1],
    ]);
    await db.close();
    db = await open();
    for (let i = 1; i <= 3; i++)
      await write(db, [
        [up('a'), T + i * 1000, i],
        [up('b'), T + i * 1000, i],
      ]);
    await db.close();
    truncateSync(segment(0), 0);
    logs = [];
    const registry = new Registry();
    db = await open(registry);
    expect(db.stats()).toEqual({ series: 0, samples: 0 });
    const warning = logs.find((l) => l.msg === 'Unknown series references');
    expect(warning).toMatchObject({ level: 40, series: 2, samples: 6, exemplars: 0, histograms: 0 });
    // Logged at the end of the segment that held the samples, before it counts as loaded.
    const loaded = logs.findIndex((l) => l.msg === 'WAL segment loaded' && l.segment === 1);
    expect(logs.indexOf(warning as (typeof logs)[number])).toBe(loaded - 1);
    expect(await unknownRefs(registry)).toEqual([
      ['series', 2],
      ['samples', 6],
    ]);
    await db.close();
  });

  it('reports the samples an emptied middle segment orphaned, and keeps the rest', async () => {
    let db = await open();
    await write(db, [[up('a'), T, 0]]);
    await db.close();
    db = await open();
    await write(db, [[up('b'), T, 0]]); // b's series record goes to segment 1
    await db.close();
    db = await open();
    for (let i = 1; i <= 4; i++)
      await write(db, [
        [up('a'), T + i * 1000, i],
        [up('b'), T + i * 1000, i],
      ]);
    await db.close();
    truncateSync(segment(1), 0);
    logs = [];
    db = await open();
    expect(logs.filter((l) => l.msg === 'Unknown series references')).toMatchObject([{ series: 1, samples: 4 }]);
    expect(selectAll(db, [], 0, Number.MAX_SAFE_INTEGER).map((s) => [s.labels.instance, s.samples.length])).toEqual([
      ['a', 5],
    ]);
    await db.close();
  });

  it("in the agent, warns as upstream's agent does", async () => {
    let db = await openAgentStorage({ dir, logger });
    await write(db, [[up('a'), T, 0]]);
    await db.close();
    db = await openAgentStorage({ dir, logger });
    await write(db, [[up('a'), T + 1000, 1]]);
    await write(db, [[up('a'), T + 2000, 2]]);
    await db.close();
    truncateSync(segment(0), 0);
    logs = [];
    db = await openAgentStorage({ dir, logger });
    expect(logs.filter((l) => l.msg === 'found sample referencing non-existing series')).toMatchObject([
      { level: 40, skipped_series: 2 },
    ]);
    await db.close();
  });
});

describe('a large commit', () => {
  it('yields to the event loop while it is prepared and applied, and queries see it whole or not at all', async () => {
    const db = await open();
    const n = 300_000;
    const app = db.appender();
    for (let i = 0; i < n; i++) app.append({ __name__: 'big', i: String(i) }, T, i);
    const seen = new Set<number>();
    let turns = 0;
    let committing = true;
    const watch = () => {
      if (!committing) return;
      turns++;
      const q = db.querier(0, Number.MAX_SAFE_INTEGER);
      let samples = 0;
      for (const s of q.select([{ type: '=', name: '__name__', value: 'big' }], { sorted: false })) {
        const it = s.iterator();
        while (it.next()) samples++;
      }
      seen.add(samples);
      setImmediate(watch);
    };
    setImmediate(watch);
    await app.commit();
    committing = false;
    // Other work ran while the commit was under way, and never saw a part of it.
    expect(turns).toBeGreaterThan(1);
    expect([...seen].every((count) => count === 0 || count === n)).toBe(true);
    expect(db.stats().samples).toBe(n);
    await db.close();
  });
});

describe('a WAL directory someone else touched', () => {
  const walFile = (n: number) => join(dir, 'wal', String(n).padStart(8, '0'));

  it('names the path when a directory stands where a segment should be', async () => {
    let db = await open();
    await write(db, [[up('a'), T, 1]]);
    await db.close();
    mkdirSync(walFile(1));
    await expect(open()).rejects.toThrow(new Error(`read ${walFile(1)}: is a directory`));
    // The failed open took nothing: the lock is free again.
    rmSync(walFile(1), { recursive: true });
    db = await open();
    expect(db.stats().samples).toBe(1);
    await db.close();
  });

  describe('a segment that cannot be written (a read-only bind mount)', () => {
    const mounted: string[] = [];
    afterEach(() => {
      for (const m of mounted.splice(0)) spawnSync('umount', [m]);
    });

    it('says what the repair was doing, and fails with the path, not a claim that it truncated', async (ctx) => {
      const db = await open();
      await write(db, [[up('a'), T, 1]]);
      await db.close();
      appendFileSync(walFile(0), 'garbage');
      const bind = spawnSync('mount', ['--bind', walFile(0), walFile(0)], { encoding: 'utf8' });
      if (bind.status !== 0) {
        console.log(
          `durability.test.ts: read-only segment skipped: mount --bind is not permitted: ${bind.stderr.trim()}`,
        );
        ctx.skip();
      }
      mounted.push(walFile(0));
      expect(spawnSync('mount', ['-o', 'remount,ro,bind', walFile(0)]).status).toBe(0);
      logs = [];
      await expect(open()).rejects.toThrow(
        new Error(`repair corrupted WAL: open ${walFile(0)}: read-only file system`),
      );
      const msgs = logs.map((l) => l.msg);
      expect(msgs).toContain('Rewrite corrupted segment');
      expect(msgs).not.toContain('Successfully repaired WAL');
    });
  });
});
