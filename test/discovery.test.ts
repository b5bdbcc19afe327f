import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Mailbox, createDiscoveryManager } from '../src/discovery/index.js';

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
