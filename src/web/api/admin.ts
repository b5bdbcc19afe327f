/**
 * The TSDB admin API (upstream's web/api/v1 deleteSeries, cleanTombstones and snapshot at v3.5.3),
 * served only with --web.enable-admin-api; without it each answers upstream's `500`
 * `unavailable` "admin APIs disabled". What they act on comes through `AdminSources`, which main
 * fills from the TSDB.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiHandler } from './http.js';
import { MAX_TIME_MS, MIN_TIME_MS, parseTimeParam } from './params.js';
import { invalidParam } from './query.js';
import { ApiError, type ApiResult } from './response.js';
import type { Matcher } from '../../storage/index.js';
import type { PromQLParser } from './types.js';

/** What the admin endpoints act on (the TSDB, through main). */
export interface AdminSources {
  /** The TSDB's directory (--storage.tsdb.path): snapshots go under its `snapshots/`. */
  dataDir: string;
  deleteSeries(matchers: readonly Matcher[], mint: number, maxt: number): Promise<void>;
  cleanTombstones(): Promise<void>;
  snapshot(dir: string, withHead: boolean): Promise<void>;
}

export interface AdminDeps {
  enabled: boolean;
  parser?: PromQLParser;
  /** Absent until the TSDB is open (or in agent mode, where the routes answer before asking). */
  admin?: () => AdminSources;
  now: () => number;
}

const DISABLED: ApiResult = { error: new ApiError('unavailable', 'admin APIs disabled') };

function internal(err: unknown): ApiResult {
  return { error: new ApiError('internal', (err as Error).message) };
}

/** The sources, or the error a request gets while there is no TSDB to act on. */
function sourcesOf(deps: AdminDeps): AdminSources | ApiResult {
  try {
    if (!deps.admin) throw new Error('TSDB not ready');
    return deps.admin();
  } catch (err) {
    return internal(err);
  }
}

function isSources(s: AdminSources | ApiResult): s is AdminSources {
  return typeof (s as AdminSources).deleteSeries === 'function';
}

/** POST/PUT /api/v1/admin/tsdb/delete_series: `match[]` (each deleted as it is parsed), `start`, `end`. */
export function deleteSeries(deps: AdminDeps): ApiHandler {
  return async ({ form }) => {
    if (!deps.enabled) return DISABLED;
    if (form.error !== undefined) {
      return { error: new ApiError('bad_data', `error parsing form values: ${form.error}`) };
    }
    const selectors = form.all('match[]');
    if (selectors.length === 0) return { error: new ApiError('bad_data', 'no match[] parameter provided') };
    const start = parseTimeParam(form, 'start', MIN_TIME_MS);
    if ('error' in start) return invalidParam('start', start.error);
    const end = parseTimeParam(form, 'end', MAX_TIME_MS);
    if ('error' in end) return invalidParam('end', end.error);
    const sources = sourcesOf(deps);
    if (!isSources(sources)) return sources;
    // As upstream: each selector is parsed and deleted in turn, so one that does not parse
    // leaves the ones before it deleted.
    for (const selector of selectors) {
      let matchers: Matcher[];
      try {
        if (!deps.parser) throw new Error('no PromQL parser');
        matchers = deps.parser.parseMetricSelector(selector);
      } catch (err) {
        return invalidParam('match[]', (err as Error).message);
      }
      try {
        await sources.deleteSeries(matchers, start.value, end.value);
      } catch (err) {
        return internal(err);
      }
    }
    return {};
  };
}

/** POST/PUT /api/v1/admin/tsdb/clean_tombstones. */
export function cleanTombstones(deps: AdminDeps): ApiHandler {
  return async () => {
    if (!deps.enabled) return DISABLED;
    const sources = sourcesOf(deps);
    if (!isSources(sources)) return sources;
    try {
      await sources.cleanTombstones();
    } catch (err) {
      return internal(err);
    }
    return {};
  };
}

/** Go's strconv.ParseBool. */
function parseBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/** Go's time.Format("20060102T150405Z0700") of a UTC time: `20261129T235959Z`. */
export function snapshotTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** rand.Int63() as `%016x`: 63 random bits, zero-padded to 16 hex digits. */
function randomInt63Hex(): string {
  const bytes = randomBytes(8);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}

/** POST/PUT /api/v1/admin/tsdb/snapshot: `skip_head`; answers the snapshot's `name`. */
export function snapshot(deps: AdminDeps): ApiHandler {
  return async ({ form }) => {
    if (!deps.enabled) return DISABLED;
    let skipHead = false;
    const text = form.get('skip_head');
    if (text !== '') {
      const parsed = parseBool(text);
      if (parsed === undefined) {
        return invalidParam(
          'skip_head',
          `unable to parse boolean: strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`,
        );
      }
      skipHead = parsed;
    }
    const sources = sourcesOf(deps);
    if (!isSources(sources)) return sources;
    const name = `${snapshotTime(deps.now())}-${randomInt63Hex()}`;
    const dir = join(sources.dataDir, 'snapshots', name);
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      return { error: new ApiError('internal', `create snapshot directory: ${(err as Error).message}`) };
    }
    try {
      await sources.snapshot(dir, !skipHead);
    } catch (err) {
      return { error: new ApiError('internal', `create snapshot: ${(err as Error).message}`) };
    }
    return { data: { name } };
  };
}
