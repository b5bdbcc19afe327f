/**
 * The staleness marker survives storage bit for bit. It is a NaN with a payload
 * (0x7ff0000000000002), and V8 may canonicalize a NaN stored into a plain array of doubles, which
 * would turn a marker into an ordinary NaN: a series a rule or scrape stopped producing would then
 * linger in queries for the lookback delta instead of ending at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isStaleNaN, openTSDB, STALE_NAN } from '../../src/storage/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('staleness markers in the TSDB', () => {
  it('reads back a marker appended to series whose values so far were small integers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miniprom-stale-'));
    dirs.push(dir);
    const db = await openTSDB({ dir, logger: pino({ level: 'silent' }), retentionMs: 0 });
    for (let round = 0; round < 50; round++) {
      const app = db.appender();
      for (let s = 0; s < 40; s++) app.append({ __name__: `m${s}` }, round * 1000, round === 49 ? STALE_NAN : 1);
      await app.commit();
    }
    // Checked as read: collecting the values into an array could itself canonicalize them.
    const stale: boolean[] = [];
    for (const series of db.querier(49_000, 49_000).select([{ type: '=~', name: '__name__', value: 'm.*' }])) {
      for (const it = series.iterator(); it.next(); ) stale.push(isStaleNaN(it.v));
    }
    await db.close();
    expect(stale).toEqual(Array(40).fill(true));
  });

  it('reads back a marker replayed from the WAL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miniprom-stale-'));
    dirs.push(dir);
    const logger = pino({ level: 'silent' });
    const first = await openTSDB({ dir, logger, retentionMs: 0 });
    for (let round = 0; round < 50; round++) {
      const app = first.appender();
      for (let s = 0; s < 40; s++) app.append({ __name__: `m${s}` }, round * 1000, round === 49 ? STALE_NAN : round);
      await app.commit();
    }
    await first.close();
    const db = await openTSDB({ dir, logger, retentionMs: 0 });
    const stale: boolean[] = [];
    for (const series of db.querier(48_000, 49_000).select([{ type: '=~', name: '__name__', value: 'm.*' }])) {
      for (const it = series.iterator(); it.next(); ) stale.push(isStaleNaN(it.v));
    }
    await db.close();
    expect(stale).toEqual(Array.from({ length: 40 }, () => [false, true]).flat());
  });
});
