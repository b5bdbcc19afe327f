/**
 * The servers the differential test compares: Prometheus 3.5 (the reference peer) and miniprom (the
 * built dist/cmd/prometheus.js), both with the remote write receiver and the experimental PromQL
 * functions, on 127.0.0.1, storing into scratch directories; and the query API client for both.
 */
import { startPrometheus as startReferencePrometheus } from '../../helpers/prometheus.js';
import { startServer } from '../../helpers/server.js';
import type { Answer, ApiBody } from './compare.js';
import { type CorpusQuery, withTimes } from './corpus.js';

/** A server under test: its name, base URL and how to stop it. */
export interface Target {
  name: string;
  base: string;
  stop: () => Promise<void>;
}

/** Flags both servers get: what the test needs of them beyond their defaults. */
export const FLAGS = ['--web.enable-remote-write-receiver', '--enable-feature=promql-experimental-functions'];
/** No scrape configs: the servers hold only what the workload writes. */
const CONFIG = 'global:\n  scrape_interval: 1h\n';
const READY = 'Server is ready to receive web requests.';

/** Prometheus 3.5 from the reference peers, ready to receive; `name` tells two instances apart. */
export async function startPrometheus(name: string, flags = FLAGS): Promise<Target> {
  const prometheus = await startReferencePrometheus({ config: CONFIG, args: flags });
  return { name, base: prometheus.base, stop: prometheus.stop };
}

/** miniprom (dist/cmd/prometheus.js), ready to receive. */
export async function startMiniprom(flags = FLAGS): Promise<Target> {
  const server = startServer({ config: CONFIG, args: flags });
  try {
    await server.untilLog(READY);
  } catch (err) {
    // Say why in one line: the first line it wrote that is not a JSON log line (a flag error), if any.
    const said = server
      .stderr()
      .split('\n')
      .find((l) => l.trim() !== '' && !l.startsWith('{'));
    server.child.kill('SIGKILL');
    await server.exited;
    throw new Error(said ?? (err as Error).message.split('\n')[0]);
  }
  const line = server.logs().find((l) => l.msg === 'Start listening for connections');
  return {
    name: 'miniprom',
    base: `http://${String(line?.address)}`,
    stop: async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    },
  };
}

/** Asks a server one corpus query, `anchor` giving the absolute times. */
export async function ask(target: Target, query: CorpusQuery, anchor: number): Promise<Answer> {
  const seconds = (ms: number) => String((anchor + ms) / 1000);
  const params = new URLSearchParams({ query: withTimes(query.expr, anchor) });
  let path = '/api/v1/query';
  if (query.range) {
    path = '/api/v1/query_range';
    params.set('start', seconds(query.range.start));
    params.set('end', seconds(query.range.end));
    params.set('step', String(query.range.step / 1000));
  } else {
    params.set('time', seconds(query.time ?? 0));
  }
  // POST with a form body, as Grafana does: no URL length limit for the longer expressions.
  const res = await fetch(`${target.base}${path}`, {
    method: 'POST',
    body: params,
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let body: ApiBody;
  try {
    body = JSON.parse(text) as ApiBody;
  } catch {
    body = { text: text.slice(0, 200) };
  }
  return { status: res.status, body };
}

/** Runs `work` over `items` with at most `limit` in flight, results in the items' order. */
export async function mapBounded<T, R>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
