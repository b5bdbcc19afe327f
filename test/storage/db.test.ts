import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockError, openAgentStorage, openTSDB, type TSDB } from '../../src/storage/index.js';

let dir: string;
const warnings: string[] = [];
const logger = pino(
  { level: 'info' },
  {
    write(line: string) {
      const record = JSON.parse(line);
      if (record.level >= 40) warnings.push(record.msg);
    },
  },
);
const DAY = 24 * 3600 * 1000;
const open = (extra: Partial<Parameters<typeof openTSDB>[0]> = {}) =>
  openTSDB({ dir, logger, retentionMs: 15 * DAY, ...extra });
/** Recent timestamps: older ones would fall to the 15d retention applied at open. */
const T = Date.now() - 60_000;
const up = (instance: string) => ({ __name__: 'up', job: 'node', instance });

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'miniprom-db-')), 'data');
  warnings.length = 0;
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

async function write(db: TSDB, samples: Array<[Record<string, string>, number, number]>) {
  const app = db.appender();
  for (const [labels, t, v] of samples) app.append(labels, t, v);
  await app.commit();
}

describe('TSDB lock', () => {
  it('refuses a second open of a directory a live instance holds, and frees it on close', async () => {
    const db = await open();
    expect(JSON.parse((await import('node:fs')).readFileSync(join(dir, 'lock'), 'utf8')).pid).toBe(process.pid);
    // Our own pid is treated as ours to take; simulate another live process with the parent's pid.
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: process.ppid, startedAt: 0 }));
    await expect(open()).rejects.toThrow(LockError);
    await expect(open()).rejects.toThrow(
      `lock DB directory: resource temporarily unavailable (held by pid ${process.ppid}`,
    );
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: process.pid, startedAt: 0 }));
    await db.close();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('takes over a lock left by a process that is no longer running, with a warning', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: dead, startedAt: 0 }));
    const db = await open();
    expect(warnings).toContain('Taking over a lock left by a process that is no longer running');
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
    const series = db.select([{ type: '=', name: 'instance', value: 'a' }], T, T + 10_000);
    expect(series).toEqual([
      {
        labels: up('a'),
        samples: [
          { t: T + 1000, v: 1 },
          { t: T + 2000, v: 1 },
        ],
      },
    ]);
    await db.close();
  });

  it('cuts a new 8-digit segment when one is full', async () => {
    // Each commit here is one 29-byte samples record: a 64-byte segment holds two.
    const db = await open({ walSegmentSize: 64 });
    for (let t = 1; t <= 10; t++) await write(db, [[up('a'), T + t * 1000, t]]);
    await db.close();
    const segments = readdirSync(join(dir, 'wal'));
    expect(segments.length).toBeGreaterThanOrEqual(5);
    for (const name of segments) expect(name).toMatch(/^\d{8}$/);
  });

  it('repairs a torn tail left by a crash mid-write', async () => {
    let db = await open();
    await write(db, [[up('a'), T + 1000, 1]]);
    await write(db, [[up('a'), T + 2000, 2]]);
    await db.close();
    const last = join(dir, 'wal', readdirSync(join(dir, 'wal')).sort().at(-1) as string);
    truncateSync(last, statSync(last).size - 5);
    db = await open();
    expect(warnings).toContain('WAL tail was corrupt; truncated');
    expect(db.select([{ type: '=', name: '__name__', value: 'up' }], T, T + 10_000)[0]?.samples).toEqual([
      { t: T + 1000, v: 1 },
    ]);
    await db.close();
    // Garbage after the last complete record (the newest segment) is cut away the same way.
    warnings.length = 0;
    const newest = join(dir, 'wal', readdirSync(join(dir, 'wal')).sort().at(-1) as string);
    expect(newest).not.toBe(last);
    appendFileSync(newest, 'garbage');
    db = await open();
    expect(warnings).toContain('WAL tail was corrupt; truncated');
    expect(statSync(newest).size).toBe(0);
    await db.close();
  });

  it('writes nothing on rollback, and rejects commits after close', async () => {
    const db = await open();
    const app = db.appender();
    app.append(up('a'), 1000, 1);
    app.rollback();
    await app.commit();
    expect(db.select([], 0, 10_000)).toEqual([]);
    await db.close();
    const late = db.appender();
    late.append(up('a'), 1000, 1);
    await expect(late.commit()).rejects.toThrow('storage closed');
  });

  it('drops out-of-order samples and counts them', async () => {
    const registry = new Registry();
    const db = await open({ registry });
    await write(db, [[up('a'), 2000, 1]]);
    await write(db, [[up('a'), 1000, 1]]);
    expect(db.select([], 0, 10_000)[0]?.samples).toEqual([{ t: 2000, v: 1 }]);
    expect(await registry.metrics()).toMatch(/^prometheus_tsdb_out_of_order_samples_total 1$/m);
    expect(await registry.metrics()).toMatch(/^prometheus_tsdb_head_series 1$/m);
    await db.close();
  });

  it('stops opening, and leaves no lock, when its signal is aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('shutting down'));
    await expect(open({ signal: ac.signal })).rejects.toThrow('shutting down');
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    const db = await open();
    await write(db, [[up('a'), 1000, 1]]);
    await db.close();
    const late = new AbortController();
    const opening = open({ signal: late.signal });
    late.abort(new Error('late'));
    await expect(opening).rejects.toThrow('late');
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('applies retention at open and selects with every matcher type', async () => {
    const now = 100 * DAY;
    let db = await open({ now: () => now });
    await write(db, [
      [up('old'), now - 20 * DAY, 1],
      [up('a'), now - DAY, 1],
      [up('b'), now - DAY, 0],
      [{ __name__: 'other', job: 'x' }, now - DAY, 5],
    ]);
    await db.close();
    db = await open({ now: () => now });
    const names = (m: Parameters<TSDB['select']>[0]) =>
      db
        .select(m, 0, now)
        .map((s) => s.labels.instance ?? '-')
        .sort();
    expect(names([{ type: '=', name: '__name__', value: 'up' }])).toEqual(['a', 'b']);
    expect(names([{ type: '!=', name: 'instance', value: 'a' }])).toEqual(['-', 'b']);
    expect(names([{ type: '=~', name: 'instance', value: 'a|b' }])).toEqual(['a', 'b']);
    expect(names([{ type: '!~', name: 'instance', value: 'a' }])).toEqual(['-', 'b']);
    expect(names([{ type: '=', name: 'instance', value: '' }])).toEqual(['-']);
    await db.close();
  });

  it('leaves no timers or handles behind after close', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    const db = await open();
    await write(db, [[up('a'), 1000, 1]]);
    await db.close();
    expect(process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length).toBeLessThanOrEqual(before);
  });
});

describe('agent WAL storage', () => {
  it('writes a WAL and replays its series on reopen, keeping no samples in memory', async () => {
    const registry = new Registry();
    let db = await openAgentStorage({ dir, logger, registry });
    const app = db.appender();
    app.append(up('a'), 1000, 1);
    await app.commit();
    await db.close();
    expect(readdirSync(join(dir, 'wal')).length).toBeGreaterThan(0);
    const again = new Registry();
    db = await openAgentStorage({ dir, logger, registry: again });
    expect(await again.metrics()).toMatch(/^prometheus_agent_active_series 1$/m);
    await db.close();
  });
});
