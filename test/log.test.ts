import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type LogTap, ownedLogger } from '../src/log/index.js';
import { Timeline } from '../src/lifecycle/index.js';

// Every capture's directory, removed after each test (a test may capture more than once).
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function capture(
  format: 'logfmt' | 'json',
  log: (logger: ReturnType<typeof createLogger>) => void,
  tap?: LogTap,
): string {
  const dir = mkdtempSync(join(tmpdir(), 'miniprom-log-'));
  dirs.push(dir);
  const file = join(dir, 'out');
  const fd = openSync(file, 'w');
  log(createLogger({ level: 'info', format, fd, ...(tap && { tap }) }));
  closeSync(fd);
  return readFileSync(file, 'utf8');
}

describe('createLogger', () => {
  it("writes logfmt in Prometheus 3's shape: time, level, source, msg, then fields", () => {
    const out = capture('logfmt', (l) =>
      l.child({ source: 'main' }).info({ mode: 'server' }, 'Starting Prometheus Server'),
    );
    expect(out).toMatch(
      /^time=\d{4}-\d\d-\d\dT[\d:.]+Z level=INFO source=main msg="Starting Prometheus Server" mode=server\n$/,
    );
  });

  it('writes one JSON object per line with msg and an upper-case level', () => {
    const out = capture('json', (l) => l.warn({ signal: 'SIGTERM' }, 'Received an OS signal, exiting gracefully...'));
    const record = JSON.parse(out);
    expect(record).toMatchObject({
      level: 'WARN',
      msg: 'Received an OS signal, exiting gracefully...',
      signal: 'SIGTERM',
    });
    expect(record.time).toMatch(/Z$/);
  });

  it('logs errors as a one-line message, never a stack', () => {
    const out = capture('json', (l) => l.error({ err: new Error('bad\nthing') }, 'Error loading config'));
    const record = JSON.parse(out);
    expect(record.err).toBe('bad thing');
    expect(out).not.toContain('stack');
  });

  it('drops lines below its level', () => {
    expect(capture('logfmt', (l) => l.debug('hidden'))).toBe('');
  });
});

describe('ownedLogger', () => {
  it('reports the lines of an owned logger and of its children to the tap, and writes them unchanged', () => {
    const tapped: Array<[string, string, string]> = [];
    const tap: LogTap = (owner, level, msg) => tapped.push([owner, level, msg]);
    const write = (l: ReturnType<typeof createLogger>, owned: boolean) => {
      const main = l.child({ source: 'main' });
      const log = owned ? ownedLogger(main, 'TSDB') : main;
      log.info('Starting TSDB ...');
      log.child({ component: 'tsdb' }).warn({ segment: 3 }, 'WAL tail was corrupt; truncated');
      log.debug('below the level: neither written nor reported');
      main.info('Not owned: written, not reported');
    };
    const strip = (out: string) => out.replace(/time=\S+ /g, '');
    const plain = strip(capture('logfmt', (l) => write(l, false)));
    const owned = strip(capture('logfmt', (l) => write(l, true), tap));
    expect(owned).toBe(plain);
    expect(tapped).toEqual([
      ['TSDB', 'INFO', 'Starting TSDB ...'],
      ['TSDB', 'WARN', 'WAL tail was corrupt; truncated'],
    ]);
  });
});

describe('Timeline log lines', () => {
  it("keeps an actor's first and latest lines, counts those dropped between, and says it changed", () => {
    let now = 0;
    const timeline = new Timeline(() => now);
    let changes = 0;
    timeline.onChange(() => changes++);
    for (let i = 0; i < 45; i++) {
      now = i;
      timeline.logLine('Scrape manager', 'ERROR', `line ${i}`);
    }
    const log = timeline.logs['Scrape manager'];
    expect(log?.omitted).toBe(15);
    expect(log?.lines.map((l) => l.msg)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `line ${i}`),
      ...Array.from({ length: 20 }, (_, i) => `line ${i + 25}`),
    ]);
    expect(log?.lines[0]).toEqual({ t: 0, level: 'ERROR', msg: 'line 0' });
    expect(changes).toBe(45);
    timeline.latch('dbOpen', 'opened');
    expect(changes).toBe(46);
  });
});
