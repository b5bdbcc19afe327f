/**
 * A remote write receiver for tests: an HTTP server on 127.0.0.1:0 that decodes each request
 * (snappy, then the WriteRequest protobuf) with a decoder written independently of src/remote's
 * encoder, and answers with the status the test chooses.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { snappyDecompress } from '../../src/remote/index.js';
import { listenLocal } from './listen.js';

export interface ReceivedSample {
  labels: Record<string, string>;
  t: number;
  /** The value's raw bits, so that a staleness NaN can be told from any other NaN. */
  bits: bigint;
  v: number;
}

export interface ReceivedRequest {
  headers: IncomingMessage['headers'];
  samples: ReceivedSample[];
}

type Answer = (req: ReceivedRequest, res: ServerResponse) => void;

export async function remoteWriteReceiver(answer: Answer = (_req, res) => res.writeHead(204).end()) {
  const requests: ReceivedRequest[] = [];
  const waiters: Array<() => void> = [];
  let respond = answer;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = snappyDecompress(Buffer.concat(chunks));
      const received = { headers: req.headers, samples: decodeWriteRequest(body) };
      requests.push(received);
      respond(received, res);
      for (const wake of waiters.splice(0)) wake();
    });
  });
  const port = await listenLocal(server);
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    requests,
    /** Every sample received so far, in order. */
    samples: () => requests.flatMap((r) => r.samples),
    setAnswer(next: Answer) {
      respond = next;
    },
    /** Resolves once `count` requests have arrived. */
    async waitForRequests(count: number) {
      while (requests.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** WriteRequest → samples, one per (series, sample). Fails on any field remote write 1.0 lacks. */
export function decodeWriteRequest(buf: Uint8Array): ReceivedSample[] {
  const out: ReceivedSample[] = [];
  for (const [field, series] of messages(buf)) {
    if (field !== 1) throw new Error(`unexpected WriteRequest field ${field}`);
    const labels: Record<string, string> = {};
    const samples: Array<Omit<ReceivedSample, 'labels'>> = [];
    for (const [f, body] of messages(series)) {
      if (f === 1) {
        const label = [...messages(body)].map(([, bytes]) => Buffer.from(bytes).toString('utf8'));
        labels[label[0] ?? ''] = label[1] ?? '';
      } else if (f === 2) {
        samples.push(decodeSample(body));
      } else throw new Error(`unexpected TimeSeries field ${f}`);
    }
    for (const s of samples) out.push({ labels, ...s });
  }
  return out;
}

function decodeSample(buf: Uint8Array): Omit<ReceivedSample, 'labels'> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let i = 0;
  let bits = 0n;
  let v = 0;
  let t = 0n;
  while (i < buf.length) {
    const tag = buf[i++] as number;
    if (tag === 0x09) {
      bits = view.getBigUint64(i, true);
      v = view.getFloat64(i, true);
      i += 8;
    } else if (tag === 0x10) {
      let shift = 0n;
      let value = 0n;
      for (;;) {
        const byte = buf[i++] as number;
        value |= BigInt(byte & 0x7f) << shift;
        if (byte < 0x80) break;
        shift += 7n;
      }
      t = BigInt.asIntN(64, value);
    } else throw new Error(`unexpected Sample tag ${tag}`);
  }
  return { t: Number(t), bits, v };
}

/** The length-delimited fields of a message, as [field number, bytes]. */
function* messages(buf: Uint8Array): Generator<[number, Uint8Array]> {
  let i = 0;
  while (i < buf.length) {
    const tag = buf[i++] as number;
    if ((tag & 7) !== 2) throw new Error(`unexpected wire type in tag ${tag}`);
    let length = 0;
    let scale = 1;
    for (;;) {
      const byte = buf[i++] as number;
      length += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 128;
    }
    yield [tag >>> 3, buf.subarray(i, i + length)];
    i += length;
  }
}
