import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { selectAll } from '../helpers/storage.js';
import type { StorageConfig } from '../../src/config/index.js';
import {
  fsType,
  goFloat,
  type Labels,
  LockError,
  type Matcher,
  openAgentStorage,
  openTSDB,
  type SeriesRefHolder,
  STALE_NAN,
  type Storage,
} from '../../src/storage/index.js';

const DAY = 24 * 3600 * 1000;

/** A storage section with upstream's defaults, and `tsdb` overriding some of them. */
function storageConfig(tsdb: Partial<StorageConfig['tsdb']>): StorageConfig {
  return {
    tsdb: {
      outOfOrderTimeWindow: 0,
      staleSeriesCompactionThreshold: 0,
      chunkEncoding: { floats: '' },
      retention: { time: 0, size: 0, percentage: 0 },
      ...tsdb,
    },
  };
}
/** Recent timestamps: older ones would fall to the 15d retention applied at open. */
const T = Date.now() - 60_000;
const up = (instance: string): Labels => ({ __name__: 'up', job: 'node', instance });
const ALL: Matcher[] = [];

let root: string;
let dir: string;
let logs: Array<{ level: number; msg: string; [k: string]: unknown }>;
/** Called with each log line as it is written: lets a test act at a precise moment of an open. */
let onLog: (msg: string) => void;
const logger = pino(
  { level: 'info' },
  {
    write(line: string) {
      const record = JSON.parse(line);
      logs.push(record);
      onLog(record.msg);
    },
  },
);
const warnings = () => logs.filter((l) => l.level === 40).map((l) => l.msg);
/** Upstream's warnings while it repairs a WAL (tsdb/db.go, wlog.Repair). */
const REPAIR_WARNINGS = [
  'Encountered WAL read error, attempting repair',
  'Starting corruption repair',
  'Deleting all segments newer than corrupted segment',
  'Rewrite corrupted segment',
];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'miniprom-storage-'));
  dir = join(root, 'data');
  logs = [];
  onLog = () => {};
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const open = (extra: Partial<Parameters<typeof openTSDB>[0]> = {}) =>
  openTSDB({ dir, logger, retentionMs: 15 * DAY, ...extra });

async function write(db: Storage, samples: Array<[Labels, number, number]>): Promise<void> {
  const app = db.appender();
  for (const [labels, t, v] of samples) app.append(labels, t, v);
  await app.commit();
}

const walDir = () => join(dir, 'wal');
const segments = () => readdirSync(walDir()).sort();
const segmentPath = (name: string) => join(walDir(), name);
const walBytes = () => segments().reduce((n, name) => n + statSync(segmentPath(name)).size, 0);

describe('lock', () => {
  it('records our pid and process start in the lock file, and removes it on close', async () => {
    const db = await open();
    const lock = JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'));
    expect(lock.pid).toBe(process.pid);
    // The kernel's own identity of this process, where /proc has it.
    expect(lock.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    expect(lock.startTicks).toBeGreaterThan(0);
    expect(Math.abs(lock.startedAt - (Date.now() - process.uptime() * 1000))).toBeLessThan(1000);
    await db.close();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('refuses a second open of a directory this process already holds', async () => {
    const db = await open();
    const second = open();
    await expect(second).rejects.toThrow(LockError);
    await expect(second).rejects.toThrow(
      new RegExp(
        `^lock DB directory: resource temporarily unavailable \\(held by pid ${process.pid} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)$`,
      ),
    );
    await db.close();
    // The failed open must not have released the first one's lock.
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    await (await open()).close();
  });

  describe('held by another live process', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      child?.kill();
      child = undefined;
    });

    /** What the kernel says of a live process: its boot and its start, in ticks since boot. */
    const identity = (pid: number) => ({
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      startTicks: Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19]),
    });

    it('refuses to open, naming the holder and its start time', async () => {
      child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      const startedAt = Date.UTC(2025, 0, 2, 3, 4, 5);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: child.pid, startedAt, ...identity(child.pid as number) }));
      await expect(open()).rejects.toThrow(
        new LockError(
          `lock DB directory: resource temporarily unavailable (held by pid ${child.pid} since 2025-01-02T03:04:05.000Z)`,
        ),
      );
      // Theirs, not ours: left in place.
      expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')).pid).toBe(child.pid);
    });

    it('takes over a lock whose pid is alive but belongs to a process that started at another time, saying so', async () => {
      child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      const pid = child.pid as number;
      const { bootId, startTicks } = identity(pid);
      mkdirSync(dir, { recursive: true });
      // The lock of an earlier process that had this pid (a restarted container's pid 1).
      writeFileSync(join(dir, 'lock'), JSON.stringify({ pid, startedAt: 0, bootId, startTicks: startTicks - 100 }));
      const db = await open();
      const warning = logs.find(
        (l) => l.msg === 'Taking over a lock whose pid now belongs to another process (its start time differs)',
      );
      expect(warning).toMatchObject({ level: 40, pid, lock_started: '1970-01-01T00:00:00.000Z' });
      expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')).pid).toBe(process.pid);
      await db.close();
    });

    it('takes over such a lock from before a reboot, and one written without the kernel identity', async () => {
      child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      const pid = child.pid as number;
      mkdirSync(dir, { recursive: true });
      const otherBoot = { pid, startedAt: 0, ...identity(pid), bootId: '00000000-0000-0000-0000-000000000000' };
      writeFileSync(join(dir, 'lock'), JSON.stringify(otherBoot));
      await (await open()).close();
      // An older lock format: only the wall-clock start, a day away from the process's.
      writeFileSync(join(dir, 'lock'), JSON.stringify({ pid, startedAt: Date.now() - DAY }));
      await (await open()).close();
      expect(warnings()).toEqual([
        'Taking over a lock whose pid now belongs to another process (its start time differs)',
        'Taking over a lock whose pid now belongs to another process (its start time differs)',
      ]);
    });

    it('still refuses a lock in the older format whose start time matches the live process', async () => {
      child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      const pid = child.pid as number;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'lock'), JSON.stringify({ pid, startedAt: Date.now() }));
      await expect(open()).rejects.toThrow(LockError);
    });
  });

  it('takes over a lock left by a process that is no longer running, with a warning', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: dead, startedAt: 0 }));
    const db = await open();
    const warning = logs.find((l) => l.msg === 'Taking over a lock left by a process that is no longer running');
    expect(warning?.pid).toBe(dead);
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')).pid).toBe(process.pid);
    await db.close();
  });

  it('treats an unreadable lock file as stale', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'lock'), 'not json');
    const db = await open();
    expect(warnings()).toContain('Taking over a lock left by a process that is no longer running');
    await db.close();
  });

  it('creates a missing data dir, parents included', async () => {
    dir = join(root, 'a', 'b', 'data');
    const db = await open();
    expect(existsSync(join(dir, 'wal'))).toBe(true);
    await db.close();
  });
});

describe('TSDB WAL', () => {
  it('brings back committed samples after a close and reopen', async () => {
    let db = await open();
    await write(db, [
      [up('a'), T + 1000, 1],
      [up('b'), T + 1000, 0],
      [up('a'), T + 2000, 1],
    ]);
    await db.close();
    db = await open();
    expect(selectAll(db, [{ type: '=', name: 'instance', value: 'a' }], T, T + 10_000)).toEqual([
      {
        labels: up('a'),
        samples: [
          { t: T + 1000, v: 1 },
          { t: T + 2000, v: 1 },
        ],
      },
    ]);
    expect(db.stats()).toEqual({ series: 2, samples: 3 });
    await db.close();
  });

  it('writes framed records: a series record for new series, then a samples record', async () => {
    const db = await open();
    await write(db, [[up('a'), T, 1.5]]);
    await write(db, [[up('a'), T + 1, Number.NaN]]);
    await db.close();
    const data = readFileSync(segmentPath('00000000'));
    const records: Array<{ type: number; payload: Buffer }> = [];
    for (let off = 0; off < data.length; ) {
      const length = data.readUInt32BE(off + 1);
      const payload = data.subarray(off + 9, off + 9 + length);
      expect(data.readUInt32BE(off + 5)).toBe(crc32(payload));
      records.push({ type: data.readUInt8(off), payload });
      off += 9 + length;
    }
    expect(records.map((r) => [r.type, r.payload.length])).toEqual([
      [1, expect.any(Number)],
      [2, 20],
      [2, 20],
    ]);
    expect(JSON.parse(records[0]?.payload.toString() ?? '')).toEqual([[0, up('a')]]);
    const sample = records[1]?.payload as Buffer;
    expect([sample.readUInt32BE(0), sample.readDoubleBE(4), sample.readDoubleBE(12)]).toEqual([0, T, 1.5]);
    expect(records[2]?.payload.readDoubleBE(12)).toBeNaN();
  });

  it('cuts a new 8-digit segment when the next write would overflow, and replays them all', async () => {
    // Each commit after the first is one 29-byte samples record: a 64-byte segment holds two. The
    // first (series record too) is larger than a segment, so it gets one of its own.
    let db = await open({ walSegmentSize: 64 });
    for (let t = 1; t <= 10; t++) await write(db, [[up('a'), T + t * 1000, t]]);
    await db.close();
    const names = segments();
    expect(names.length).toBeGreaterThanOrEqual(5);
    expect(names).toEqual(names.map((_, i) => String(i).padStart(8, '0')));
    for (const name of names.slice(1)) expect(statSync(segmentPath(name)).size).toBeLessThanOrEqual(64);
    db = await open({ walSegmentSize: 64 });
    expect(selectAll(db, ALL, 0, Number.MAX_SAFE_INTEGER)[0]?.samples.map((s) => s.v)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    await db.close();
  });

  it('starts a new segment at every open, leaving replayed ones untouched', async () => {
    let db = await open();
    await write(db, [[up('a'), T, 1]]);
    await db.close();
    const size = statSync(segmentPath('00000000')).size;
    db = await open();
    await write(db, [[up('a'), T + 1, 1]]);
    await db.close();
    expect(segments()).toEqual(['00000000', '00000001']);
    expect(statSync(segmentPath('00000000')).size).toBe(size);
  });

  it('repairs a record torn by a crash mid-write', async () => {
    let db = await open();
    await write(db, [[up('a'), T + 1000, 1]]);
    await write(db, [[up('a'), T + 2000, 2]]);
    await db.close();
    const last = segmentPath('00000000');
    const whole = statSync(last).size;
    truncateSync(last, whole - 5);
    db = await open();
    expect(warnings()).toEqual(REPAIR_WARNINGS);
    expect(statSync(last).size).toBe(whole - 29); // cut back to the end of the last whole record
    expect(selectAll(db, ALL, T, T + 10_000)[0]?.samples).toEqual([{ t: T + 1000, v: 1 }]);
    await db.close();
  });

  it('cuts garbage after the last whole record, even with empty segments after it', async () => {
    let db = await open();
    await write(db, [[up('a'), T, 1]]);
    await db.close();
    const size = statSync(segmentPath('00000000')).size;
    appendFileSync(segmentPath('00000000'), 'garbage');
    await (await open()).close(); // leaves an empty 00000001 behind the damaged segment
    expect(statSync(segmentPath('00000000')).size).toBe(size);
    appendFileSync(segmentPath('00000000'), 'more garbage');
    logs = [];
    db = await open();
    expect(warnings()).toEqual(REPAIR_WARNINGS);
    expect(statSync(segmentPath('00000000')).size).toBe(size);
    expect(selectAll(db, ALL, T, T)).toHaveLength(1);
    await db.close();
  });

  it('repairs corruption in the middle of an older segment as upstream does: later segments go, the damaged one is cut', async () => {
    let db = await open();
    await write(db, [[up('a'), T, 1]]);
    await write(db, [[up('a'), T + 1, 2]]);
    await write(db, [[up('a'), T + 2, 3]]);
    await db.close();
    db = await open();
    await write(db, [[up('a'), T + 3, 4]]);
    await db.close();
    const first = segmentPath('00000000');
    const data = readFileSync(first);
    const damaged = data.length - 29 * 2; // the second of the three samples records
    data[damaged + 9] = (data[damaged + 9] as number) ^ 0xff;
    writeFileSync(first, data);
    logs = [];
    db = await open();
    expect(warnings()).toEqual(REPAIR_WARNINGS);
    const err = logs.find((l) => l.msg === 'Encountered WAL read error, attempting repair')?.err;
    expect(err).toMatch(
      new RegExp(`^corruption in segment ${first} at ${damaged}: unexpected checksum [0-9a-f]+, expected [0-9a-f]+$`),
    );
    expect(logs.find((l) => l.msg === 'Starting corruption repair')).toMatchObject({ segment: 0, offset: damaged });
    // Two records of the damaged segment (the damaged one and the one after it), and 00000001 with its one.
    expect(logs.find((l) => l.msg === 'Successfully repaired WAL')).toMatchObject({
      level: 30,
      dropped_records: 3,
      deleted_segments: 1,
    });
    expect(statSync(first).size).toBe(damaged);
    expect(selectAll(db, ALL, 0, Number.MAX_SAFE_INTEGER)[0]?.samples).toEqual([{ t: T, v: 1 }]);
    // Writing continues after the repaired segment; a second open finds nothing to repair.
    expect(segments()).toEqual(['00000000', '00000001']);
    await write(db, [[up('a'), T + 10, 5]]);
    await db.close();
    logs = [];
    db = await open();
    expect(warnings()).toEqual([]);
    expect(db.stats()).toEqual({ series: 1, samples: 2 });
    await db.close();
  });

  it('counts a repaired corruption as prometheus_tsdb_wal_corruptions_total', async () => {
    let db = await open();
    await write(db, [[up('a'), T, 1]]);
    await db.close();
    appendFileSync(segmentPath('00000000'), 'garbage');
    const registry = new Registry();
    db = await open({ registry });
    const metric = await registry.getSingleMetric('prometheus_tsdb_wal_corruptions_total')?.get();
    expect(metric?.values[0]?.value).toBe(1);
    await db.close();
  });

  it('writes nothing on rollback', async () => {
    const db = await open();
    const before = walBytes();
    const app = db.appender();
    app.append(up('a'), T, 1);
    app.rollback();
    await app.commit();
    expect(walBytes()).toBe(before);
    expect(selectAll(db, ALL, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(db.stats().series).toBe(0);
    // The appender stays usable after a rollback.
    app.append(up('b'), T, 1);
    await app.commit();
    expect(selectAll(db, ALL, T, T).map((s) => s.labels.instance)).toEqual(['b']);
    await db.close();
  });

  it('rejects commits after close, and closes only once', async () => {
    const db = await open();
    await db.close();
    await db.close();
    const late = db.appender();
    late.append(up('a'), T, 1);
    await expect(late.commit()).rejects.toThrow('storage closed');
    await expect(db.appender().commit()).rejects.toThrow('storage closed');
  });

  it('lets commits already under way land before close flushes', async () => {
    let db = await open();
    const commits = Array.from({ length: 20 }, (_, i) => write(db, [[up(`i${i}`), T, i]]));
    await db.close();
    await Promise.all(commits);
    db = await open();
    expect(db.stats()).toEqual({ series: 20, samples: 20 });
    await db.close();
  });

  it('keeps concurrent commits of the same new series in one series', async () => {
    let db = await open();
    const a = db.appender();
    const b = db.appender();
    a.append(up('x'), T, 1);
    b.append(up('x'), T + 1, 2);
    await Promise.all([a.commit(), b.commit()]);
    const expected = [
      { t: T, v: 1 },
      { t: T + 1, v: 2 },
    ];
    expect(selectAll(db, ALL, T, T + 1)).toEqual([{ labels: up('x'), samples: expected }]);
    await db.close();
    db = await open();
    expect(selectAll(db, ALL, T, T + 1)).toEqual([{ labels: up('x'), samples: expected }]);
    await db.close();
  });

  it('gives series created after a reopen fresh refs', async () => {
    let db = await open();
    await write(db, [[up('a'), T, 1]]);
    await db.close();
    db = await open();
    await write(db, [[up('b'), T, 2]]);
    await db.close();
    db = await open();
    expect(selectAll(db, ALL, T, T).map((s) => [s.labels.instance, s.samples])).toEqual([
      ['a', [{ t: T, v: 1 }]],
      ['b', [{ t: T, v: 2 }]],
    ]);
    await db.close();
  });

  it('treats label sets equal but for order or empty values as one series', async () => {
    const db = await open();
    await write(db, [
      [{ job: 'node', __name__: 'up' }, T, 1],
      [{ __name__: 'up', job: 'node', instance: '' }, T + 1, 2],
    ]);
    expect(selectAll(db, ALL, T, T + 1)).toEqual([
      {
        labels: { job: 'node', __name__: 'up' },
        samples: [
          { t: T, v: 1 },
          { t: T + 1, v: 2 },
        ],
      },
    ]);
    await db.close();
  });

  it('drops out-of-order samples, also within one batch, and counts them (duplicates are not)', async () => {
    const registry = new Registry();
    const db = await open({ registry });
    await write(db, [[up('a'), T + 2, 1]]);
    await write(db, [
      [up('a'), T + 1, 9], // older than the head's last: out of order
      [up('a'), T + 2, 9], // same time: a duplicate, dropped silently
      [up('a'), T + 3, 3],
      [up('a'), T + 2.5, 9], // older than the batch's own previous sample
    ]);
    expect(selectAll(db, ALL, T, T + 10)[0]?.samples).toEqual([
      { t: T + 2, v: 1 },
      { t: T + 3, v: 3 },
    ]);
    const text = await registry.metrics();
    expect(text).toMatch(/^prometheus_tsdb_out_of_order_samples_total 2$/m);
    expect(text).toMatch(/^prometheus_tsdb_head_samples_appended_total\{type="float"\} 2$/m);
    expect(text).toMatch(/^prometheus_tsdb_head_series 1$/m);
    expect(text).toMatch(/^prometheus_tsdb_wal_segment_current 0$/m);
    await db.close();
  });

  it('shares one registry between several open databases', async () => {
    const registry = new Registry();
    const first = await open({ registry });
    const second = await openTSDB({ dir: join(root, 'other'), logger, retentionMs: DAY, registry });
    await write(first, [[up('a'), T, 1]]);
    await write(second, [[up('a'), T, 1]]);
    expect(await registry.metrics()).toMatch(/^prometheus_tsdb_head_samples_appended_total\{type="float"\} 2$/m);
    await Promise.all([first.close(), second.close()]);
  });
});

describe('abortable open', () => {
  it('rejects at once with the reason of an already aborted signal, touching nothing', async () => {
    const ac = new AbortController();
    ac.abort(new Error('shutting down'));
    await expect(open({ signal: ac.signal })).rejects.toThrow('shutting down');
    expect(existsSync(dir)).toBe(false);
  });

  it('stops a long WAL replay when aborted, and leaves no lock', async () => {
    let db = await open({ walSegmentSize: 2 ** 20 });
    for (let batch = 0; batch < 20; batch++) {
      const app = db.appender();
      for (let i = 0; i < 10_000; i++) app.append(up(`i${i}`), T + batch, i);
      await app.commit();
    }
    await db.close();
    expect(segments().length).toBeGreaterThan(3);

    const ac = new AbortController();
    onLog = (msg) => {
      if (msg === 'WAL segment loaded') ac.abort(new Error('shutting down'));
    };
    await expect(open({ signal: ac.signal })).rejects.toThrow('shutting down');
    expect(logs.filter((l) => l.msg === 'WAL segment loaded')).toHaveLength(1);
    expect(existsSync(join(dir, 'lock'))).toBe(false);

    onLog = () => {};
    db = await open();
    expect(db.stats()).toEqual({ series: 10_000, samples: 200_000 });
    await db.close();
  });
});

describe('head: retention and select', () => {
  it('drops samples older than the retention at open, and series left empty', async () => {
    const now = 100 * DAY;
    let db = await open({ now: () => now });
    await write(db, [
      [up('old'), now - 20 * DAY, 1],
      [up('a'), now - 20 * DAY, 1],
      [up('a'), now - DAY, 2],
    ]);
    await db.close();
    db = await open({ now: () => now });
    expect(selectAll(db, ALL, 0, now).map((s) => [s.labels.instance, s.samples])).toEqual([
      ['a', [{ t: now - DAY, v: 2 }]],
    ]);
    expect(db.stats()).toEqual({ series: 1, samples: 1 });
    await db.close();
  });

  it('applies retention every minute while open', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      let now = 100 * DAY;
      const registry = new Registry();
      const db = await open({ now: () => now, retentionMs: DAY, registry });
      await write(db, [
        [up('a'), now - 1000, 1],
        [up('b'), now, 2],
      ]);
      now += DAY; // a's sample is now just past the retention, b's just inside
      vi.advanceTimersByTime(60_000);
      await vi.waitFor(() => expect(db.stats()).toEqual({ series: 1, samples: 1 }));
      expect(await registry.metrics()).toMatch(/^prometheus_tsdb_head_series 1$/m);
      // A series dropped by retention comes back when it is appended again.
      await write(db, [[up('a'), now, 3]]);
      expect(selectAll(db, ALL, 0, now).map((s) => s.labels.instance)).toEqual(['a', 'b']); // sorted by label set, as upstream's Select
      // The timer is unref()ed, so getActiveResourcesInfo() cannot see it: count it here instead.
      expect(vi.getTimerCount()).toBe(1);
      await db.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps a series reference in the caller's holder, and finds the series again after retention removed it", async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      let now = 100 * DAY;
      const db = await open({ now: () => now, retentionMs: DAY });
      // The scrape cache passes each entry as the holder of storage's reference, every scrape.
      const holder: SeriesRefHolder = { seriesRef: undefined, seriesRefOwner: undefined, labels: null };
      const append = async (labels: Labels, t: number, v: number, ref: SeriesRefHolder = holder) => {
        const app = db.appender();
        expect(app.append(labels, t, v, ref)).toBeUndefined();
        await app.commit();
      };
      await append(up('a'), now - 2000, 1);
      // A series new to the head is remembered once an append finds it adopted.
      expect(holder.seriesRef).toBeUndefined();
      await append(up('a'), now - 1000, 2);
      const found = holder.seriesRef;
      expect(found).toBeDefined();
      await append(up('a'), now - 500, 3);
      expect(holder.seriesRef).toBe(found);
      expect(db.stats()).toEqual({ series: 1, samples: 3 });
      // Another storage's reference is not taken for one of ours.
      const foreign: SeriesRefHolder = { seriesRef: found, seriesRefOwner: {}, labels: null };
      await append(up('b'), now - 500, 9, foreign);
      expect(db.stats()).toEqual({ series: 2, samples: 4 });
      now += 2 * DAY;
      vi.advanceTimersByTime(60_000);
      await vi.waitFor(() => expect(db.stats()).toEqual({ series: 0, samples: 0 }));
      // The holder still names the removed series: the append must make a new one instead.
      await append(up('a'), now, 4);
      expect(db.stats()).toEqual({ series: 1, samples: 1 });
      expect(selectAll(db, ALL, 0, now)).toEqual([{ labels: up('a'), samples: [{ t: now, v: 4 }] }]);
      await db.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("gives the caller the head's equal label set to keep instead of its own copy", async () => {
    const db = await open();
    const mine = Object.freeze(up('a'));
    const holder: SeriesRefHolder = { seriesRef: undefined, seriesRefOwner: undefined, labels: mine };
    for (const t of [1000, 2000]) {
      const app = db.appender();
      app.append(holder.labels as Labels, t, 1, holder);
      await app.commit();
    }
    expect(holder.labels).not.toBe(mine);
    expect(holder.labels).toEqual(mine);
    // The label set it now keeps finds the same series.
    const app = db.appender();
    expect(app.append(holder.labels as Labels, 3000, 1, holder)).toBeUndefined();
    await app.commit();
    expect(db.stats()).toEqual({ series: 1, samples: 3 });
    await db.close();
  });

  it('takes a new retention time from the config at runtime, and refuses settings it cannot honour', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const now = 100 * DAY;
      const registry = new Registry();
      const db = await open({ now: () => now, retentionMs: 15 * DAY, registry });
      expect(db.retentionMs).toBe(15 * DAY);
      expect(await registry.metrics()).toMatch(/^prometheus_tsdb_retention_limit_seconds 1296000$/m);
      await write(db, [
        [up('a'), now - 2 * DAY, 1],
        [up('b'), now - 1000, 2],
      ]);

      // Preparing changes nothing; the commit applies it, at once and then every minute.
      const apply = db.prepareConfig(storageConfig({ retention: { time: DAY, size: 0, percentage: 0 } }));
      expect(db.stats()).toEqual({ series: 2, samples: 2 });
      apply();
      await vi.waitFor(() => expect(db.stats()).toEqual({ series: 1, samples: 1 }));
      expect(db.retentionMs).toBe(DAY);
      expect(await registry.metrics()).toMatch(/^prometheus_tsdb_retention_limit_seconds 86400$/m);
      expect(vi.getTimerCount()).toBe(1); // the old interval was replaced, not added to

      // Retention 0 keeps everything: no timer at all.
      db.prepareConfig(storageConfig({ retention: { time: 0, size: 0, percentage: 0 } }))();
      expect(vi.getTimerCount()).toBe(0);

      const refusals: Array<[Partial<StorageConfig['tsdb']>, string]> = [
        [{ outOfOrderTimeWindow: 60_000 }, 'storage.tsdb.out_of_order_time_window is not supported by miniprom'],
        [{ staleSeriesCompactionThreshold: 0.5 }, 'storage.tsdb.stale_series_compaction_threshold is not supported'],
        [{ chunkEncoding: { floats: 'xor2' } }, 'storage.tsdb.chunk_encoding.floats: xor2 is not supported'],
        [{ retention: { time: DAY, size: 2 ** 30, percentage: 0 } }, 'storage.tsdb.retention.size is not supported'],
        [{ retention: { time: 0, size: 0, percentage: Number.NaN } }, 'retention.percentage is not supported'],
      ];
      for (const [tsdb, message] of refusals) expect(() => db.prepareConfig(storageConfig(tsdb))).toThrow(message);
      // xor is upstream's default encoding: naming it asks for nothing this head does not do.
      expect(() => db.prepareConfig(storageConfig({ chunkEncoding: { floats: 'xor' } }))).not.toThrow();
      expect(db.retentionMs).toBe(0);
      await db.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('selects with every matcher type, PromQL style', async () => {
    const db = await open();
    await write(db, [
      [up('a'), T, 1],
      [up('ab'), T, 1],
      [up('b'), T, 0],
      [{ __name__: 'other', job: 'x' }, T, 5],
    ]);
    const names = (...matchers: Matcher[]) =>
      selectAll(db, matchers, T, T)
        .map((s) => s.labels.instance ?? '-')
        .sort();
    expect(names({ type: '=', name: '__name__', value: 'up' })).toEqual(['a', 'ab', 'b']);
    expect(names({ type: '!=', name: 'instance', value: 'a' })).toEqual(['-', 'ab', 'b']);
    // Regexes are fully anchored: `a` does not match `ab`.
    expect(names({ type: '=~', name: 'instance', value: 'a' })).toEqual(['a']);
    expect(names({ type: '=~', name: 'instance', value: 'a|b' })).toEqual(['a', 'b']);
    expect(names({ type: '!~', name: 'instance', value: 'a.*' })).toEqual(['-', 'b']);
    // A missing label reads as empty.
    expect(names({ type: '=', name: 'instance', value: '' })).toEqual(['-']);
    expect(names({ type: '!=', name: 'instance', value: '' })).toEqual(['a', 'ab', 'b']);
    expect(names({ type: '=~', name: 'instance', value: '.*' })).toEqual(['-', 'a', 'ab', 'b']);
    expect(names({ type: '=', name: '__name__', value: 'up' }, { type: '=~', name: 'instance', value: 'a.+' })).toEqual(
      ['ab'],
    );
    expect(names({ type: '=', name: '__name__', value: 'missing' })).toEqual([]);
    expect(() => selectAll(db, [{ type: '=~', name: 'x', value: '(' }], T, T)).toThrow(
      'error parsing regexp: missing closing ): `(`',
    );
    await db.close();
  });

  it('returns the samples in [mint, maxt], inclusive, and only series that have some', async () => {
    const db = await open();
    await write(db, [
      [up('a'), T + 10, 1],
      [up('a'), T + 20, 2],
      [up('a'), T + 30, 3],
      [up('b'), T + 40, 4],
    ]);
    expect(selectAll(db, ALL, T + 10, T + 20)).toEqual([
      {
        labels: up('a'),
        samples: [
          { t: T + 10, v: 1 },
          { t: T + 20, v: 2 },
        ],
      },
    ]);
    expect(selectAll(db, ALL, T + 11, T + 19)).toEqual([]);
    await db.close();
  });
});

describe('agent WAL storage', () => {
  it('writes samples to the WAL and replays only the series table on reopen', async () => {
    const registry = new Registry();
    let db = await openAgentStorage({ dir, logger, registry });
    await write(db, [
      [up('a'), T, 1],
      [up('a'), T + 1, 2],
    ]);
    expect(db.stats()).toMatchObject({ series: 1 });
    expect('select' in db).toBe(false);
    expect(await registry.metrics()).toMatch(/^prometheus_agent_samples_appended_total\{type="float"\} 2$/m);
    await db.close();
    expect(walBytes()).toBeGreaterThan(2 * 20);
    expect(existsSync(join(dir, 'lock'))).toBe(false);

    const again = new Registry();
    db = await openAgentStorage({ dir, logger, registry: again });
    expect(await again.metrics()).toMatch(/^prometheus_agent_active_series 1$/m);
    expect(db.stats()).toEqual({ series: 1, samples: 0 });
    // Series known from the WAL keep their ref; new ones get fresh refs.
    await write(db, [
      [up('a'), T + 2, 3],
      [up('b'), T + 2, 3],
    ]);
    await db.close();
    db = await openAgentStorage({ dir, logger });
    expect(db.stats().series).toBe(2);
    await db.close();
  });

  it('refuses an out-of-order window and, like upstream, ignores the TSDB-only settings', async () => {
    const db = await openAgentStorage({ dir, logger });
    expect(() => db.prepareConfig(storageConfig({ outOfOrderTimeWindow: 60_000 }))).toThrow(
      'storage.tsdb.out_of_order_time_window is not supported by miniprom',
    );
    expect(() =>
      db.prepareConfig(storageConfig({ chunkEncoding: { floats: 'xor2' }, staleSeriesCompactionThreshold: 1 })),
    ).not.toThrow();
    await db.close();
  });

  it('uses the same lock as the TSDB', async () => {
    const db = await openAgentStorage({ dir, logger });
    await expect(openAgentStorage({ dir, logger })).rejects.toThrow(LockError);
    await db.close();
  });
});

describe('resources', () => {
  it('leaves no file requests, timers or immediates behind after close', async () => {
    // Only the kinds storage could leave: the test runner's own pipes and timers come and go.
    const ours = () => {
      const counts: Record<string, number> = {};
      for (const r of process.getActiveResourcesInfo())
        if (/^(FSReq|FileHandle|CloseReq|Timeout|Immediate)/.test(r)) counts[r] = (counts[r] ?? 0) + 1;
      return counts;
    };
    const before = ours();
    const db = await open({ walSegmentSize: 64 });
    for (let t = 0; t < 5; t++) await write(db, [[up('a'), T + t, t]]);
    await db.close();
    const agent = await openAgentStorage({ dir: join(root, 'agent'), logger });
    await write(agent, [[up('a'), T, 1]]);
    await agent.close();
    for (const [kind, n] of Object.entries(ours())) expect(n, kind).toBeLessThanOrEqual(before[kind] ?? 0);
  });
});

describe('fsType', () => {
  it('names the filesystem as upstream does, or gives its magic in hex', () => {
    expect(fsType(tmpdir())).toMatch(/^(?:[A-Z0-9_]+_MAGIC\w*|[0-9a-f]+)$/);
  });

  it('is 0 when the directory cannot be examined', () => {
    expect(fsType(join(root, 'missing'))).toBe('0');
  });
});

describe('append errors', () => {
  it("refuses a sample older than its series' newest, naming upstream's error, and counts it", async () => {
    const registry = new Registry();
    const db = await open({ registry });
    await write(db, [[up('a'), T + 10, 1]]);
    const app = db.appender();
    expect(app.append(up('a'), T + 5, 2)).toEqual({ kind: 'out-of-order', message: 'out of order sample' });
    // A series new to the head has nothing to be out of order with.
    expect(app.append(up('b'), T + 5, 2)).toBeUndefined();
    await app.commit();
    expect(selectAll(db, ALL, 0, T + 100).map((s) => [s.labels.instance, s.samples.length])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(await registry.metrics()).toMatch(/^prometheus_tsdb_out_of_order_samples_total 1$/m);
    await db.close();
  });

  it('refuses a different value at the newest time, and takes an exact resend once', async () => {
    const db = await open();
    await write(db, [[up('a'), T, 1.5]]);
    const app = db.appender();
    expect(app.append(up('a'), T, 2e6)).toEqual({
      kind: 'duplicate',
      message: `duplicate sample for timestamp ${T}; overrides not allowed: existing 1.5, new value 2e+06`,
    });
    expect(app.append(up('a'), T, 1.5)).toBeUndefined();
    await app.commit();
    expect(selectAll(db, ALL, 0, T + 100)[0]?.samples).toEqual([{ t: T, v: 1.5 }]);
    // The staleness marker resent is the same value, though V8 may have changed its quiet bit.
    await write(db, [[up('a'), T + 1, STALE_NAN]]);
    expect(db.appender().append(up('a'), T + 1, STALE_NAN)).toBeUndefined();
    await db.close();
  });

  it("refuses samples older than the head's newest time minus an hour, as upstream's head", async () => {
    const registry = new Registry();
    const db = await open({ registry });
    await write(db, [[up('a'), T, 1]]);
    const app = db.appender();
    expect(app.append(up('b'), T - 3_600_001, 1)).toEqual({ kind: 'out-of-bounds', message: 'out of bounds' });
    expect(app.append(up('b'), T - 3_600_000, 1)).toBeUndefined();
    await app.commit();
    expect(await registry.metrics()).toMatch(/^prometheus_tsdb_out_of_bound_samples_total\{type="float"\} 1$/m);
    await db.close();
  });

  it('takes the bound from the first sample of a batch into an empty head', async () => {
    const db = await open();
    const app = db.appender();
    expect(app.append(up('a'), T, 1)).toBeUndefined();
    expect(app.append(up('b'), T - 3_600_001, 1)).toMatchObject({ kind: 'out-of-bounds' });
    expect(app.append(up('c'), T + 10 * DAY, 1)).toBeUndefined();
    await app.commit();
    await db.close();
  });

  it("in the agent, refuses anything not newer than the series' newest", async () => {
    const db = await openAgentStorage({ dir, logger });
    await write(db, [[up('a'), T, 1]]);
    const app = db.appender();
    expect(app.append(up('a'), T, 1)).toMatchObject({ kind: 'out-of-order' });
    expect(app.append(up('a'), T - DAY, 1)).toMatchObject({ kind: 'out-of-order' }); // no lower bound
    expect(app.append(up('b'), T - DAY, 1)).toBeUndefined();
    await db.close();
  });
});

describe('goFloat', () => {
  it("prints floats as Go's %g does", () => {
    const cases: Array<[number, string]> = [
      [0, '0'],
      [1, '1'],
      [-2.5, '-2.5'],
      [123456, '123456'],
      [1e6, '1e+06'],
      [1234567, '1.234567e+06'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1.5e-7, '1.5e-07'],
      [1e21, '1e+21'],
      [1e100, '1e+100'],
      [0.1 + 0.2, '0.30000000000000004'],
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, '+Inf'],
      [Number.NEGATIVE_INFINITY, '-Inf'],
    ];
    for (const [v, text] of cases) expect(goFloat(v), String(v)).toBe(text);
  });
});
