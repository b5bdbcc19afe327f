import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createDiscoveryManager, Mailbox, type TargetSets } from '../src/discovery/index.js';

const logger = pino({ level: 'silent' });
const group = (source: string, ...addresses: string[]) => ({
  source,
  labels: { env: 'test' },
  targets: addresses.map((a) => ({ __address__: a })),
});

describe('Mailbox', () => {
  it('hands a waiting consumer the next value', async () => {
    const box = new Mailbox<number>();
    const next = box.next();
    box.publish(1);
    await expect(next).resolves.toBe(1);
  });

  it('keeps only the newest value for a slow consumer', async () => {
    const box = new Mailbox<number>();
    box.publish(1);
    box.publish(2);
    await expect(box.next()).resolves.toBe(2);
  });
});

describe('discovery manager', () => {
  it('publishes the static groups of every set when a config is applied', async () => {
    const registry = new Registry();
    const dm = createDiscoveryManager({ name: 'scrape', logger, registry });
    const commit = dm.prepare(new Map([['node', { staticConfigs: [group('0', 'a:9100', 'b:9100')] }]]));
    const received = dm.syncCh[Symbol.asyncIterator]().next();
    commit();
    const { value } = await received;
    expect(value?.get('node')).toEqual([group('0', 'a:9100', 'b:9100')]);
    expect(await registry.metrics()).toContain('prometheus_sd_discovered_targets{name="scrape",config="node"} 2');
  });

  it('publishes nothing until the prepared config is committed', () => {
    const dm = createDiscoveryManager({ name: 'notify', logger });
    dm.prepare(new Map([['config-0', { staticConfigs: [group('0', 'am:9093')] }]]));
    expect(dm.current().size).toBe(0);
  });

  it('drops sets that a new config no longer has', async () => {
    const dm = createDiscoveryManager({ name: 'scrape', logger });
    dm.prepare(new Map([['a', { staticConfigs: [group('0', 'a:1')] }]]))();
    dm.prepare(new Map([['b', { staticConfigs: [group('0', 'b:1')] }]]))();
    expect([...dm.current().keys()]).toEqual(['b']);
    const { value } = await dm.syncCh[Symbol.asyncIterator]().next();
    expect([...(value?.keys() ?? [])]).toEqual(['b']);
  });

  it('runs until its signal aborts', async () => {
    const dm = createDiscoveryManager({ name: 'scrape', logger });
    const ac = new AbortController();
    let done = false;
    const running = dm.run(ac.signal).then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    ac.abort();
    await running;
    expect(done).toBe(true);
  });
});

describe('file_sd', () => {
  it('publishes the groups of matching files, with __meta_filepath, and again when a file changes', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'miniprom-filesd-'));
    const ac = new AbortController();
    try {
      writeFileSync(join(dir, 'a.json'), JSON.stringify([{ targets: ['a:1'], labels: { team: 'x' } }]));
      writeFileSync(join(dir, 'b.yml'), '- targets: [b:1]\n');
      writeFileSync(join(dir, 'ignored.txt'), 'nope');
      const dm = createDiscoveryManager({ name: 'scrape', logger });
      const updates = dm.syncCh[Symbol.asyncIterator]();
      void dm.run(ac.signal);
      dm.prepare(
        new Map([
          [
            'node',
            {
              staticConfigs: [],
              fileSDConfigs: [{ files: [join(dir, '*.json'), join(dir, '*.yml')], refreshInterval: 60_000 }],
            },
          ],
        ]),
      )();
      const first = (await updates.next()).value?.get('node');
      expect(first).toEqual([
        {
          source: `${join(dir, 'a.json')}:0`,
          labels: { __meta_filepath: join(dir, 'a.json'), team: 'x' },
          targets: [{ __address__: 'a:1' }],
        },
        {
          source: `${join(dir, 'b.yml')}:0`,
          labels: { __meta_filepath: join(dir, 'b.yml') },
          targets: [{ __address__: 'b:1' }],
        },
      ]);
      // A change is seen through the directory watch, without waiting for the refresh interval.
      writeFileSync(join(dir, 'a.json'), JSON.stringify([{ targets: ['a:1', 'a:2'] }]));
      let targets: string[] = [];
      while (!targets.includes('a:2')) {
        const sets: TargetSets | undefined = (await updates.next()).value;
        targets = (sets?.get('node') ?? []).flatMap((g) => g.targets.map((t) => t.__address__ ?? ''));
      }
      expect(targets.sort()).toEqual(['a:1', 'a:2', 'b:1']);
    } finally {
      ac.abort();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the last good groups of a file that stops parsing', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'miniprom-filesd-'));
    const ac = new AbortController();
    try {
      writeFileSync(join(dir, 'a.json'), JSON.stringify([{ targets: ['a:1'] }]));
      const dm = createDiscoveryManager({ name: 'scrape', logger });
      const updates = dm.syncCh[Symbol.asyncIterator]();
      void dm.run(ac.signal);
      dm.prepare(
        new Map([
          ['node', { staticConfigs: [], fileSDConfigs: [{ files: [join(dir, 'a.json')], refreshInterval: 60_000 }] }],
        ]),
      )();
      const good: TargetSets | undefined = (await updates.next()).value;
      writeFileSync(join(dir, 'a.json'), '[{"targets": [');
      const after: TargetSets | undefined = (await updates.next()).value;
      expect(after?.get('node')).toEqual(good?.get('node'));
    } finally {
      ac.abort();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
