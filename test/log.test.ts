import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/index.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function capture(format: 'logfmt' | 'json', log: (logger: ReturnType<typeof createLogger>) => void): string {
  dir = mkdtempSync(join(tmpdir(), 'miniprom-log-'));
  const file = join(dir, 'out');
  const fd = openSync(file, 'w');
  log(createLogger({ level: 'info', format, fd }));
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
