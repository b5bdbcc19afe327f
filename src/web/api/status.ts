/**
 * The status endpoints, as upstream's web/api/v1 and web.go fill them: /api/v1/status/flags,
 * /api/v1/status/runtimeinfo, /api/v1/status/buildinfo and /api/v1/status/tsdb.
 */
import { availableParallelism, hostname } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { Registry } from 'prom-client';
import type { ApiHandler } from './http.js';
import { GoMap, RawJSON } from './json.js';
import { atoi } from './go.js';
import { ApiError } from './response.js';
import type { ApiSources, TSDBStat, TSDBStats } from './types.js';

/**
 * GET /api/v1/status/walreplay: `{ min, max, current }` segments, during replay and after. In
 * agent mode upstream's storage has no replay status and answers "scrape manager not ready" (an
 * internal error; upstream then writes the empty status after the error body, which is left out).
 */
export function walReplay(sources: Pick<ApiSources, 'walReplayStatus'>): ApiHandler {
  return () => {
    if (!sources.walReplayStatus) return { error: new ApiError('internal', 'scrape manager not ready') };
    const { min, max, current } = sources.walReplayStatus();
    return { data: { min, max, current } };
  };
}

/** GET /api/v1/status/flags: every flag and its value, a Go map (keys sorted). */
export function flags(values: Readonly<Record<string, string>>): ApiHandler {
  const data = new GoMap(Object.entries(values));
  return () => ({ data });
}

/** GET /api/v1/status/buildinfo, in upstream's field order. */
export function buildInfo(version: string): ApiHandler {
  const data = {
    version,
    revision: '',
    branch: '',
    buildUser: '',
    buildDate: '',
    goVersion: `node ${process.version}`,
  };
  return () => ({ data });
}

/** The current value of a gauge or counter without labels in `registry`, or undefined. */
async function metricValue(registry: Registry, name: string): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return undefined;
  const { values } = await metric.get();
  return values[0]?.value;
}

/** Go's time.Time in JSON: RFC3339 with the fraction's trailing zeros dropped, UTC as `Z`. */
export function goTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

/**
 * GET /api/v1/status/runtimeinfo. Upstream reports Go's runtime; miniprom reports the nearest
 * Node.js facts under the same names: `goroutineCount` counts the active handles and requests,
 * `GOMAXPROCS` the available parallelism, `GOMEMLIMIT` V8's heap limit.
 */
export function runtimeInfo(opts: {
  registry: Registry;
  startTime: number;
  storageRetention: () => string;
  now: () => number;
}): ApiHandler {
  const cwd = process.cwd();
  return async () => {
    const reloadOK = await metricValue(opts.registry, 'prometheus_config_last_reload_successful');
    const lastConfig = await metricValue(opts.registry, 'prometheus_config_last_reload_success_timestamp_seconds');
    const corruptions = await metricValue(opts.registry, 'prometheus_tsdb_wal_corruptions_total');
    return {
      data: {
        startTime: goTime(opts.startTime),
        CWD: cwd,
        hostname: hostname(),
        serverTime: goTime(opts.now()),
        reloadConfigSuccess: (reloadOK ?? 0) !== 0,
        // Upstream truncates it to whole seconds.
        lastConfigTime: goTime(Math.trunc(lastConfig ?? 0) * 1000),
        corruptionCount: Math.trunc(corruptions ?? 0),
        goroutineCount: process.getActiveResourcesInfo().length,
        GOMAXPROCS: availableParallelism(),
        GOMEMLIMIT: getHeapStatistics().heap_size_limit,
        GOGC: process.env.GOGC ?? '',
        GODEBUG: process.env.GODEBUG ?? '',
        storageRetention: opts.storageRetention(),
      },
    };
  };
}

/** A cardinality table as upstream's TSDBStat list: `{name, value}` in that order. */
function table(stats: readonly TSDBStat[]): TSDBStat[] {
  return stats.map(({ name, value }) => ({ name, value }));
}

/** GET /api/v1/status/tsdb: `limit` entries per table (10 by default). */
export function tsdbStatus(stats: ((limit: number) => TSDBStats) | undefined): ApiHandler {
  return ({ form }) => {
    let limit = 10;
    const text = form.get('limit');
    if (text !== '') {
      const n = atoi(text);
      if ('error' in n || n.value < 1) return { error: new ApiError('bad_data', 'limit must be a positive number') };
      limit = n.value;
    }
    if (!stats) return { error: new ApiError('internal', 'TSDB statistics are not available') };
    let s: TSDBStats;
    try {
      s = stats(limit);
    } catch (err) {
      return { error: new ApiError('internal', (err as Error).message) };
    }
    return {
      data: {
        headStats: {
          numSeries: s.numSeries,
          numLabelPairs: s.numLabelPairs,
          chunkCount: s.chunkCount,
          // An empty head's range is upstream's initial one: math.MaxInt64 to math.MinInt64.
          minTime: s.minTime ?? new RawJSON('9223372036854775807'),
          maxTime: s.maxTime ?? new RawJSON('-9223372036854775808'),
        },
        seriesCountByMetricName: table(s.seriesCountByMetricName),
        labelValueCountByLabelName: table(s.labelValueCountByLabelName),
        memoryInBytesByLabelName: table(s.memoryInBytesByLabelName),
        seriesCountByLabelValuePair: table(s.seriesCountByLabelValuePair),
      },
    };
  };
}
