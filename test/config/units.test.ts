import { describe, expect, it } from 'vitest';
import { formatDuration, formatSize, parseDuration, parseSize } from '../../src/config/index.js';

describe('parseDuration', () => {
  it.each([
    ['15d', 15 * 86_400_000],
    ['1h30m', 5_400_000],
    ['50ms', 50],
    ['1m', 60_000],
    ['2w', 14 * 86_400_000],
    ['1y', 365 * 86_400_000],
    ['0', 0],
    ['0s', 0],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['', 'empty duration string'],
    ['1', 'not a valid duration string: "1"'],
    ['30m1h', 'not a valid duration string: "30m1h"'],
    ['-1s', 'not a valid duration string: "-1s"'],
    ['1.5s', 'unknown unit "." in duration "1.5s"'],
    ['1 h', 'unknown unit " h" in duration "1 h"'],
    ['5sec', 'unknown unit "sec" in duration "5sec"'],
  ])("rejects %j with model.ParseDuration's message", (text, message) => {
    expect(() => parseDuration(text)).toThrow(message);
  });

  it('prints durations back as Prometheus does', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(15_000)).toBe('15s');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(14 * 86_400_000)).toBe('2w');
    expect(formatDuration(15 * 86_400_000)).toBe('15d');
  });
});

describe('parseSize', () => {
  it('reads base-2 units like Prometheus flags', () => {
    expect(parseSize('64MB')).toBe(64 * 2 ** 20);
    expect(parseSize('10MiB')).toBe(10 * 2 ** 20);
    expect(parseSize('512B')).toBe(512);
    expect(parseSize('0')).toBe(0);
  });

  it('rejects sizes without a known unit', () => {
    expect(() => parseSize('64')).toThrow('units: unknown unit  in 64');
    expect(() => parseSize('64XB')).toThrow('invalid size "64XB"');
    expect(() => parseSize('-64')).toThrow('units: unknown unit  in -64');
  });

  it('takes a sign as Go does, leaving negative sizes to whoever reads them', () => {
    // storage.tsdb.retention.size must parse `-1GB` to give upstream's "must be greater than or
    // equal to 0"; body_size_limit reads a negative size as no limit.
    expect(parseSize('-1GB')).toBe(-(2 ** 30));
    expect(parseSize('+1KB')).toBe(1024);
    expect(parseSize('-0')).toBe(0);
    expect(formatSize(-(2 ** 30))).toBe('-1GiB');
  });

  it("prints sizes as Prometheus 3.5's /api/v1/status/config does (Base2Bytes.String)", () => {
    // Both read off the real 3.5.3 for body_size_limit: 10MB and 1536B.
    expect(formatSize(64 * 2 ** 20)).toBe('64MiB');
    expect(formatSize(10 * 2 ** 20)).toBe('10MiB');
    expect(formatSize(1536)).toBe('1KiB512B');
    expect(formatSize(0)).toBe('0B');
    expect(formatSize(-1536)).toBe('-1KiB-512B');
  });
});
