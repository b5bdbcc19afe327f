/** snappy: what we compress decodes to the input, and known encodings from the format's spec decode. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { snappyCompress, snappyDecompress } from '../../src/remote/index.js';

const roundTrip = (input: Uint8Array) => Buffer.from(snappyDecompress(snappyCompress(input)));

describe('snappy', () => {
  it.each([
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from('a')],
    ['short text', Buffer.from('hello, world')],
    ['a long run (overlapping copies)', Buffer.alloc(100_000, 'x')],
    ['repetitive text', Buffer.from('up{job="node",instance="a:9100"} 1\n'.repeat(2_000))],
    ['random bytes (literals only)', randomBytes(70_000)],
    ['a literal longer than 65536 bytes', randomBytes(300_000)],
  ])('round-trips %s', (_, input) => {
    expect(roundTrip(input).equals(input)).toBe(true);
  });

  it('actually compresses repetitive input, as a remote write body is', () => {
    const input = Buffer.from('http_requests_total{code="200",method="GET"} 1\n'.repeat(1_000));
    expect(snappyCompress(input).length).toBeLessThan(input.length / 10);
  });

  it('decodes the format description’s own element kinds (literal, copy-1, copy-2, copy-4)', () => {
    // "abcd" as a literal, then copies of it at offset 4 in each copy encoding.
    const literal = [0x03 << 2, ...Buffer.from('abcd')];
    const copy1 = [((4 - 4) << 2) | 1, 4]; // length 4, offset 4
    const copy2 = [((4 - 1) << 2) | 2, 4, 0];
    const copy4 = [((4 - 1) << 2) | 3, 4, 0, 0, 0];
    const block = Uint8Array.from([16, ...literal, ...copy1, ...copy2, ...copy4]);
    expect(Buffer.from(snappyDecompress(block)).toString()).toBe('abcd'.repeat(4));
  });

  it('refuses corrupt input instead of returning garbage', () => {
    expect(() => snappyDecompress(Uint8Array.from([10, 0x03 << 2, 97]))).toThrow('snappy: corrupt input');
    expect(() => snappyDecompress(Uint8Array.from([4, (3 << 2) | 2, 9, 0]))).toThrow('snappy: corrupt input');
  });
});
