/**
 * Hot-path benchmarks: `npx vitest bench test/storage`. One "scrape" appends 10,000 samples with
 * fresh label objects (as the scrape manager builds them) and commits them as one WAL write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, bench, describe } from 'vitest';
import { openTSDB, type TSDB } from '../../src/storage/index.js';
import { selectAll } from '../helpers/storage.js';

const SERIES = 10_000;
const root = mkdtempSync(join(tmpdir(), 'miniprom-bench-'));
const targets = Array.from({ length: SERIES }, (_, i) => ({
  __name__: `metric_${i % 100}`,
  job: 'node',
  instance: 'host:9100',
  idx: String(i),
}));
let db: TSDB | undefined;
let t = Date.now() - 3_600_000;

async function scrape(): Promise<void> {
  db ??= await openTSDB({ dir: join(root, 'data'), logger: pino({ level: 'silent' }), retentionMs: 0 });
  t += 1000;
  const app = db.appender();
  for (let i = 0; i < SERIES; i++) app.append({ ...targets[i] }, t, i);
  await app.commit();
}

describe('storage', () => {
  afterAll(async () => {
    await db?.close();
    rmSync(root, { recursive: true, force: true });
  });

  bench(`append + commit a ${SERIES}-sample scrape`, scrape, { time: 2000 });

  bench('select one metric name (100 series)', () => {
    if (db) selectAll(db, [{ type: '=', name: '__name__', value: 'metric_5' }], 0, Number.MAX_SAFE_INTEGER);
  });
});
