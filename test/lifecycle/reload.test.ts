import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { goDuration, type Reloader, reloadConfig, Timeline } from '../../src/lifecycle/index.js';

/** A logger that keeps what it writes, as JSON objects. */
function recorder() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, msgs: () => lines.map((l) => l.msg), lines };
}

/** A reloader that records what happens to it, and fails to prepare when told to. */
function reloader(name: string, log: string[], fail?: string): Reloader<string> {
  return {
    name,
    prepare(cfg) {
      log.push(`${name} prepares ${cfg}`);
      if (fail) throw new Error(fail);
      return () => log.push(`${name} commits ${cfg}`);
    },
  };
}

describe('reloadConfig: the two-phase reload', () => {
  it('prepares every reloader, then commits every one, in order', async () => {
    const log: string[] = [];
    const { logger } = recorder();
    const cfg = await reloadConfig({
      file: 'p.yml',
      load: () => 'v2',
      reloaders: [reloader('a', log), reloader('b', log)],
      logger,
      timeline: new Timeline(),
    });
    expect(cfg).toBe('v2');
    expect(log).toEqual(['a prepares v2', 'b prepares v2', 'a commits v2', 'b commits v2']);
  });

  it("commits nothing when one reloader fails to prepare, and says which, in upstream's words", async () => {
    const log: string[] = [];
    const { logger, lines } = recorder();
    const outcomes: boolean[] = [];
    await expect(
      reloadConfig({
        file: 'p.yml',
        load: () => 'v2',
        reloaders: [reloader('a', log), reloader('b', log, 'no such thing'), reloader('c', log)],
        logger,
        timeline: new Timeline(),
        onOutcome: (ok) => outcomes.push(ok),
      }),
    ).rejects.toThrow('one or more errors occurred while applying the new configuration (--config.file="p.yml")');
    expect(log).toEqual(['a prepares v2', 'b prepares v2']);
    expect(lines.find((l) => l.msg === 'Failed to apply configuration')).toMatchObject({ reloader: 'b' });
    expect(outcomes).toEqual([false]);
  });

  it("refuses a file that does not load, before any reloader runs, in upstream's words", async () => {
    const log: string[] = [];
    const { logger } = recorder();
    await expect(
      reloadConfig({
        file: 'p.yml',
        load: () => {
          throw new Error('yaml: line 1: mapping values are not allowed');
        },
        reloaders: [reloader('a', log)],
        logger,
        timeline: new Timeline(),
      }),
    ).rejects.toThrow(
      'couldn\'t load configuration (--config.file="p.yml"): yaml: line 1: mapping values are not allowed',
    );
    expect(log).toEqual([]);
  });

  it('awaits an async prepare before the next reloader prepares', async () => {
    const log: string[] = [];
    const slow: Reloader<string> = {
      name: 'slow',
      async prepare() {
        await new Promise((resolve) => setImmediate(resolve));
        log.push('slow prepared');
        return () => log.push('slow commits');
      },
    };
    await reloadConfig({
      file: 'p.yml',
      load: async () => 'v',
      reloaders: [slow, reloader('next', log)],
      logger: recorder().logger,
      timeline: new Timeline(),
    });
    expect(log).toEqual(['slow prepared', 'next prepares v', 'slow commits', 'next commits v']);
  });

  it("logs upstream's two lines, with the total and each reloader's time as Go prints durations", async () => {
    const { logger, lines, msgs } = recorder();
    await reloadConfig({
      file: 'p.yml',
      load: () => 'v',
      reloaders: [reloader('db_storage', []), reloader('scrape', [])],
      logger,
      timeline: new Timeline(),
    });
    expect(msgs()).toEqual(['Loading configuration file', 'Completed loading of configuration file']);
    expect(lines[0]).toMatchObject({ filename: 'p.yml' });
    const done = lines[1] as Record<string, string>;
    expect(done.file).toBe('p.yml');
    for (const field of ['totalDuration', 'db_storage', 'scrape']) expect(done[field]).toMatch(/^[\d.]+(µs|ms|s)$/);
  });

  it('records the reload on the timeline, with its result and timings', async () => {
    const timeline = new Timeline();
    await reloadConfig({
      file: 'p.yml',
      load: () => 'v',
      reloaders: [reloader('a', [])],
      logger: recorder().logger,
      timeline,
    });
    const events = timeline.events.map((e) => [e.event, e.result]);
    expect(events).toEqual([
      ['reload started', undefined],
      ['reload finished', 'success'],
    ]);
    expect(timeline.events[1]?.timingsMs).toHaveProperty('a');
  });
});

describe('goDuration', () => {
  it.each([
    [0.0005, '0.5µs'],
    [0.5123, '512.3µs'],
    [1.2345678, '1.234568ms'],
    [2500, '2.5s'],
  ])('%s ms → %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });
});
