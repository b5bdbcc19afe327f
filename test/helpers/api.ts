/**
 * The web handler with its API, for API specs: real storage (a TSDB in a scratch dir), and a fake
 * engine and a fake parser that answer from tables (the real ones are specified elsewhere).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  type Expr,
  ParseError,
  type QueryEngine,
  type QueryOptions,
  type QueryResult,
  type QueryValue,
} from '../../src/promql/index.js';
import { ReloadQueue } from '../../src/lifecycle/index.js';
import { type Labels, type Matcher, openTSDB, type TSDB } from '../../src/storage/index.js';
import {
  type ApiSources,
  createWebHandler,
  type PromQLParser,
  StorageNotReadyError,
  type WebHandler,
} from '../../src/web/index.js';

/** A parse error as the parser reports it: `1:<col>: parse error: <message>`. */
export function parseError(query: string, message: string, start = 0): ParseError {
  return new ParseError(query, [{ start, end: start, message }]);
}

/** A parser answering from tables; anything else is a parse error at the start. */
export class FakeParser implements PromQLParser {
  readonly exprs = new Map<string, Expr>();
  readonly selectors = new Map<string, Matcher[]>();
  readonly errors = new Map<string, ParseError>();

  parseExpr(query: string): Expr {
    const error = this.errors.get(query);
    if (error) throw error;
    const expr = this.exprs.get(query);
    if (expr) return structuredClone(expr);
    throw parseError(query, `fake parser has no tree for ${JSON.stringify(query)}`);
  }

  prettify(expr: Expr): string {
    return `pretty(${expr.type})`;
  }

  parseMetricSelector(text: string): Matcher[] {
    const error = this.errors.get(text);
    if (error) throw error;
    const matchers = this.selectors.get(text);
    if (matchers) return matchers;
    throw parseError(text, `fake parser has no selector ${JSON.stringify(text)}`);
  }
}

export interface EngineCall {
  kind: 'instant' | 'range';
  query: string;
  start: number;
  end: number;
  step: number;
  opts: QueryOptions;
}

/** An engine answering every query with `answer` (a value, or an error to throw), recording calls. */
export class FakeEngine implements QueryEngine {
  readonly calls: EngineCall[] = [];
  answer: QueryValue | Error = { resultType: 'vector', result: [] };
  warnings: string[] = [];
  infos: string[] = [];

  #result(): QueryResult {
    if (this.answer instanceof Error) throw this.answer;
    return {
      value: this.answer,
      warnings: this.warnings,
      infos: this.infos,
      stats: {
        timings: {
          evalTotalTime: 0.000058187,
          resultSortTime: 0,
          queryPreparationTime: 0.000025998,
          innerEvalTime: 0.00002686,
          execQueueTime: 0.000021061,
          execTotalTime: 0.000063935,
        },
        samples: { totalQueryableSamples: 1, peakSamples: 1 },
      },
    };
  }

  async instantQuery(_q: unknown, query: string, timeMs: number, opts: QueryOptions = {}): Promise<QueryResult> {
    this.calls.push({ kind: 'instant', query, start: timeMs, end: timeMs, step: 0, opts });
    return this.#result();
  }

  async rangeQuery(
    _q: unknown,
    query: string,
    start: number,
    end: number,
    step: number,
    opts: QueryOptions = {},
  ): Promise<QueryResult> {
    this.calls.push({ kind: 'range', query, start, end, step, opts });
    return this.#result();
  }
}

export interface ApiServer {
  base: string;
  web: WebHandler;
  engine: FakeEngine;
  parser: FakeParser;
  db: TSDB;
  registry: Registry;
  /** Appends samples and commits them. */
  append(samples: Array<[Labels, number, number]>): Promise<void>;
  close(): Promise<void>;
}

/** Starts the web handler on 127.0.0.1:0 over a fresh TSDB; ready unless `ready: false`. */
export async function startApi(
  opts: { mode?: 'server' | 'agent'; ready?: boolean; api?: Partial<ApiSources>; now?: number } = {},
): Promise<ApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'miniprom-api-'));
  const logger = pino({ level: 'silent' });
  const registry = new Registry();
  const db = await openTSDB({ dir: join(dir, 'data'), retentionMs: 0, logger });
  const engine = new FakeEngine();
  const parser = new FakeParser();
  let storageOpen = true;
  const web = createWebHandler({
    logger,
    registry,
    listenAddress: '127.0.0.1:0',
    enableLifecycle: false,
    mode: opts.mode ?? 'server',
    version: '0.1.0',
    reloads: new ReloadQueue(),
    sources: {
      targets: () => ({ activeTargets: [], droppedTargets: [] }),
      scrapePools: () => [],
      alertmanagers: () => ({ activeAlertmanagers: [], droppedAlertmanagers: [] }),
      lifecycle: () => ({}),
      onLifecycleChange: () => () => {},
      configYAML: () => 'global: {}\n',
      rules: () => [],
      alerts: () => ({ alerts: [] }),
    },
    api: {
      engine: opts.mode === 'agent' ? undefined : engine,
      parser,
      queryable: {
        querier(mint, maxt) {
          if (!storageOpen) throw new StorageNotReadyError();
          return db.querier(mint, maxt);
        },
      },
      lookbackDeltaMs: 5 * 60_000,
      externalLabels: () => ({}),
      targetMetadata: () => [],
      flags: { 'query.timeout': '2m', 'web.listen-address': '127.0.0.1:0' },
      storageRetention: () => '15d',
      ...(opts.now !== undefined && { now: () => opts.now as number }),
      ...opts.api,
    },
  });
  const address = await web.listen();
  if (opts.ready !== false) web.setReadiness('Ready');
  return {
    base: `http://${address}`,
    web,
    engine,
    parser,
    db,
    registry,
    async append(samples) {
      const app = db.appender();
      for (const [labels, t, v] of samples) app.append(labels, t, v);
      await app.commit();
    },
    async close() {
      storageOpen = false;
      await web.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A request's status, content type and body. */
export async function request(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; type: string | null; body: string; headers: Headers }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text(), headers: res.headers };
}

/** A form POST. */
export function postForm(url: string, form: string, headers: Record<string, string> = {}) {
  return request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: form,
  });
}
