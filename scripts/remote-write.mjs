// A remote write 1.0 client for the differential test and `npm run bench`: WriteRequest encoded
// with protobufjs from the message definitions of upstream's prompb/remote.proto and types.proto
// (the float-sample subset that 1.0 senders use), compressed with snappyjs's block format, and sent
// with the headers upstream's remote write client sends.
import protobuf from 'protobufjs';
import snappy from 'snappyjs';

const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
          },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
      },
    },
  },
});
const WriteRequest = root.lookupType('prometheus.WriteRequest');

/** The staleness marker: the NaN whose bits are 0x7ff0000000000002 (upstream's value.StaleNaN). */
export const STALE_NAN = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0];

/**
 * One request's body: `series` ({ labels, samples: [{ value, timestamp }] }) as a WriteRequest,
 * labels sorted by name as the protocol requires, snappy-compressed.
 */
export function encodeWriteRequest(series) {
  const timeseries = series.map(({ labels, samples }) => ({
    labels: Object.keys(labels)
      .sort()
      .map((name) => ({ name, value: labels[name] })),
    samples,
  }));
  return snappy.compress(WriteRequest.encode({ timeseries }).finish());
}

/** The uncompressed WriteRequest in `body`, decoded (for checking what was sent). */
export function decodeWriteRequest(body) {
  return WriteRequest.toObject(WriteRequest.decode(snappy.uncompress(body)), { longs: Number });
}

/** POSTs one encoded request to a remote write 1.0 receiver; throws unless it answers 2xx. */
export async function remoteWrite(url, body, signal) {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: {
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'User-Agent': 'miniprom-differential',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    },
    signal,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`remote write to ${url}: ${res.status} ${text.trim()}`);
}
