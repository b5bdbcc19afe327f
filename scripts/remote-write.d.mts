/** A sample as remote write 1.0 carries it: a float value and a timestamp in milliseconds. */
export type RemoteSample = { value: number; timestamp: number };
/** One series of a WriteRequest. */
export type RemoteSeries = { labels: Record<string, string>; samples: RemoteSample[] };
export const STALE_NAN: number;
export function encodeWriteRequest(series: RemoteSeries[]): Uint8Array;
export function decodeWriteRequest(body: Uint8Array): {
  timeseries: Array<{ labels: Array<{ name: string; value: string }>; samples: RemoteSample[] }>;
};
export function remoteWrite(url: string, body: Uint8Array, signal?: AbortSignal): Promise<void>;
