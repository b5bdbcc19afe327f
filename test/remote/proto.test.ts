/** The WriteRequest encoder, read back by the test receiver's independent decoder. */
import { describe, expect, it } from 'vitest';
import { encodeWriteRequest } from '../../src/remote/index.js';
import { decodeWriteRequest } from '../helpers/remote.js';

describe('encodeWriteRequest', () => {
  it('encodes labels sorted by name, values, and timestamps before 1970 and beyond 2^53', () => {
    const labels = { job: 'ü-app', __name__: 'm', a: 'x'.repeat(300) };
    const samples = [
      { labels, t: 1_700_000_000_000, v: 1.5 },
      { labels, t: -1, v: -2 },
      { labels, t: 2 ** 53 + 2, v: 0 },
    ];
    const decoded = decodeWriteRequest(encodeWriteRequest(samples));
    expect(decoded.map((d) => [Object.keys(d.labels), d.labels.job, d.t, d.v])).toEqual([
      [['__name__', 'a', 'job'], 'ü-app', 1_700_000_000_000, 1.5],
      [['__name__', 'a', 'job'], 'ü-app', -1, -2],
      [['__name__', 'a', 'job'], 'ü-app', 2 ** 53 + 2, 0],
    ]);
    expect(decoded[0]?.labels.a).toHaveLength(300);
  });

  it('encodes an empty batch as an empty message', () => {
    expect(encodeWriteRequest([])).toHaveLength(0);
  });
});
