/**
 * The differential test: miniprom answers PromQL as Prometheus 3.5.3 does. Both servers (and a
 * second Prometheus, to prove the harness itself deterministic) receive the same workload through
 * remote write 1.0 (test/promql/differential/workload.ts), then answer every query of the corpus
 * (test/fixtures/promql/differential/queries.txt) through the HTTP query API; the answers must
 * agree but for the differences listed, with their reasons, in differences.json.
 *
 * Skips, saying why, when the Prometheus peer cannot be had; the miniprom comparison also skips,
 * naming what is missing, while miniprom cannot yet receive remote write or answer queries.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPeer } from '../../scripts/peers.mjs';
import snappy from 'snappyjs';
import { encodeWriteRequest } from '../../scripts/remote-write.mjs';
import { removeScratchDirs } from '../helpers/server.js';
import { killAll } from '../helpers/spawn.js';
import type { Answer } from './differential/compare.js';
import { type CorpusQuery, corpusLines, corpusQueries, corpusVocabulary, vocabularyOf } from './differential/corpus.js';
import {
  describeOutcome,
  loadKnownDifferences,
  type Outcome,
  reconcile,
  runCorpus,
  tally,
} from './differential/differences.js';
import { ask, startMiniprom, startPrometheus, type Target } from './differential/servers.js';
import { workloadAnchor, workloadRequests, writeWorkload } from './differential/workload.js';

const PROMETHEUS = findPeer('prometheus');
if (PROMETHEUS.missing) console.log(`differential.test.ts: skipped: ${PROMETHEUS.missing}`);

const ARTIFACTS = new URL('../artifacts/', import.meta.url);
const TABLES = JSON.parse(
  readFileSync(new URL('../fixtures/promql/differential/upstream-tables.json', import.meta.url), 'utf8'),
) as {
  functions: Array<{ name: string; experimental: boolean }>;
  aggregators: Array<{ name: string; experimental: boolean }>;
  binaryOperators: string[];
};

describe('the differential corpus', () => {
  it('has at least 400 queries, each with a distinct id', () => {
    const queries = corpusQueries();
    expect(queries.length).toBeGreaterThanOrEqual(400);
    expect(new Set(queries.map((q) => q.id)).size).toBe(queries.length);
  });

  it("uses every function, aggregator and binary operator of upstream's v3.5.3 parser tables", () => {
    const used = corpusVocabulary();
    expect(TABLES.functions.map((f) => f.name).filter((name) => !used.functions.has(name))).toEqual([]);
    expect(TABLES.aggregators.map((a) => a.name).filter((name) => !used.aggregators.has(name))).toEqual([]);
    expect(TABLES.binaryOperators.filter((op) => !used.operators.has(op))).toEqual([]);
  });

  it('lists known differences only for queries of the corpus, each with a reason', () => {
    const ids = new Set([...corpusQueries(), ...experimentalQueries()].map((q) => q.id));
    for (const known of loadKnownDifferences()) {
      expect(ids.has(known.query), known.query).toBe(true);
      expect(known.reason.trim(), known.query).not.toBe('');
    }
    expect(corpusLines().length).toBeGreaterThan(0);
  });

  it('writes the staleness marker once, with its exact bits (0x7ff0000000000002)', () => {
    // A Sample's value field (tag 0x09), then the marker's bits little-endian. The bits are checked
    // in the encoded bytes: JavaScript may quieten a NaN it copies (V8 does, into a double array).
    const marker = Buffer.from('09020000000000f07f', 'hex');
    const bodies = workloadRequests(workloadAnchor()).map((body) => Buffer.from(snappy.uncompress(body)));
    const count = (b: Buffer) => {
      let n = 0;
      for (let at = b.indexOf(marker); at >= 0; at = b.indexOf(marker, at + 1)) n++;
      return n;
    };
    expect(bodies.map(count).reduce((a, b) => a + b)).toBe(1);
  });
});

/**
 * Why miniprom cannot take part yet, or undefined when it can: it must start with the test's
 * flags, accept a remote write request (when `write`) and answer a query.
 */
async function minipromMissing(target: Target | Error, write: boolean): Promise<string | undefined> {
  if (target instanceof Error) return `miniprom did not start: ${target.message.split('\n')[0]}`;
  try {
    return await probe(target, write);
  } catch (err) {
    return `miniprom did not answer: ${(err as Error).message}`;
  }
}

async function probe(target: Target, write: boolean): Promise<string | undefined> {
  const missing: string[] = [];
  if (write) {
    const res = await fetch(`${target.base}/api/v1/write`, {
      method: 'POST',
      body: Buffer.from(encodeWriteRequest([])),
      headers: { 'Content-Encoding': 'snappy', 'Content-Type': 'application/x-protobuf' },
    });
    await res.text();
    if (!res.ok) missing.push(`the remote write receiver (POST /api/v1/write answered ${res.status})`);
  }
  const answer = await ask(target, { id: 'probe', expr: '1', line: 0, time: 0 }, Date.now());
  if (answer.body.status !== 'success') missing.push(`the query API (/api/v1/query answered ${answer.status})`);
  return missing.length > 0 ? `miniprom lacks ${missing.join(' and ')}` : undefined;
}

/** An answer in a few words: `vector 12 series`, `error bad_data: …`, with its annotations. */
function outline(answer: Answer): string {
  const b = answer.body;
  const notes = [...(b.warnings ?? []), ...(b.infos ?? [])].map((a) => ` [${a}]`).join('');
  if (b.status !== 'success') return `error ${b.errorType}: ${b.error}${notes}`;
  const result = b.data?.result;
  const size = Array.isArray(result) ? `${result.length} series` : JSON.stringify(result);
  return `${b.data?.resultType} ${size}${notes}`;
}

function summary(name: string, outcomes: Outcome[], listed: number): string {
  const t = tally(outcomes);
  return (
    `differential (${name}): ${t.run} queries run, ${t.equal} equal, ${listed} listed differences ` +
    `(differing: ${t.byKind.result} results, ${t.byKind.format} number formats, ${t.byKind.annotations} annotations, ` +
    `${t.byKind['error-message']} error messages)`
  );
}

/**
 * Prints the summary, writes every difference with both answers to test/artifacts/`artifact`, and
 * asserts that the differences are exactly those listed for these queries.
 */
function expectOnlyListed(name: string, outcomes: Outcome[], artifact: string): void {
  const ids = new Set(outcomes.map((o) => o.query.id));
  const known = loadKnownDifferences().filter((k) => ids.has(k.query));
  const { unlisted, stale, listed } = reconcile(outcomes, known);
  console.log(summary(name, outcomes, listed));
  // Every difference, listed or not, with both answers: for whoever works through the list.
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(
    new URL(artifact, ARTIFACTS),
    outcomes
      .filter((o) => o.differences.length > 0)
      .map((o) => describeOutcome(o, ['prometheus', 'miniprom']))
      .join('\n'),
  );
  // The same as data: each differing query's id and kinds, to update differences.json from.
  writeFileSync(
    new URL(artifact.replace(/\.txt$/, '.json'), ARTIFACTS),
    `${JSON.stringify(
      outcomes
        .filter((o) => o.differences.length > 0)
        .map((o) => ({ query: o.query.id, kinds: [...new Set(o.differences.map((d) => d.kind))] })),
      null,
      2,
    )}\n`,
  );
  const report = [
    ...unlisted.map(({ outcome, kind }) => describeOutcome(outcome, ['prometheus', 'miniprom'], kind)),
    ...stale.map((k) => `  listed, but no longer differs (${k.kind}): ${k.query}`),
  ];
  expect(report.join('\n')).toBe('');
}

describe.skipIf(PROMETHEUS.path === undefined)('PromQL on the same data: Prometheus 3.5 and miniprom', () => {
  const queries = corpusQueries();
  const anchor = workloadAnchor();
  let reference: Target;
  let twin: Target;
  let miniprom: Target | Error;
  let minipromReason: string | undefined;
  /** The reference's answers, asked once and compared with both others. */
  let referenceAnswers: Answer[] | undefined;

  beforeAll(async () => {
    [reference, twin, miniprom] = await Promise.all([
      startPrometheus('prometheus-a'),
      startPrometheus('prometheus-b'),
      startMiniprom().catch((err: Error) => err),
    ]);
    minipromReason = await minipromMissing(miniprom, true);
    const receivers = [reference, twin, ...(minipromReason || miniprom instanceof Error ? [] : [miniprom])];
    await writeWorkload(
      receivers.map((t) => `${t.base}/api/v1/write`),
      anchor,
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(
      [reference, twin, miniprom]
        .filter((t): t is Target => t !== undefined && !(t instanceof Error))
        .map((t) => t.stop()),
    );
    killAll();
    removeScratchDirs();
  }, 30_000);

  it('Prometheus took the workload: demo_flappy{instance="i1"} is there at +60m and gone after its staleness marker', async () => {
    const at = async (time: number) => {
      const answer = await ask(reference, { id: 'flappy', expr: 'demo_flappy', line: 0, time }, anchor);
      const result = (answer.body.data?.result ?? []) as Array<{ metric: Record<string, string> }>;
      return result.map((s) => s.metric.instance);
    };
    expect((await at(60 * 60_000)).sort()).toEqual(['i1', 'i2']);
    expect(await at(60 * 60_000 + 10_000)).toEqual(['i2']);
  });

  it('two Prometheus 3.5 servers fed the same workload answer every query alike (the harness is deterministic)', async () => {
    const outcomes = await runCorpus(reference, twin, queries, anchor);
    referenceAnswers = outcomes.map((o) => o.ref);
    // What the reference answered, one line a query, to read the corpus's coverage by.
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(
      new URL('promql-differential-reference.txt', ARTIFACTS),
      outcomes.map((o) => `${o.query.id}\t${outline(o.ref)}`).join('\n'),
    );
    console.log(summary('prometheus vs prometheus', outcomes, 0));
    const differing = outcomes.filter((o) => o.differences.length > 0);
    expect(differing.map((o) => describeOutcome(o, ['prometheus-a', 'prometheus-b'])).join('\n')).toBe('');
    // The workload reached the servers: the corpus is not comparing empty answers.
    const nonEmpty = outcomes.filter((o) => {
      const result = o.ref.body.data?.result;
      return Array.isArray(result) && result.length > 0;
    });
    expect(nonEmpty.length).toBeGreaterThan(queries.length / 2);
  }, 150_000);

  it('miniprom answers every query as Prometheus 3.5 does, but for the listed differences', async (ctx) => {
    if (minipromReason) {
      console.log(`differential.test.ts: miniprom comparison skipped: ${minipromReason}`);
      ctx.skip();
      return;
    }
    const outcomes = await runCorpus(reference, miniprom as Target, queries, anchor, referenceAnswers);
    expectOnlyListed('miniprom vs prometheus', outcomes, 'promql-differential.txt');
  }, 150_000);
});

/** The corpus's queries that use an experimental function or aggregator, asked once each. */
function experimentalQueries(): CorpusQuery[] {
  const experimental = new Set(
    [...TABLES.functions, ...TABLES.aggregators].filter((f) => f.experimental).map((f) => f.name),
  );
  return corpusLines()
    .filter(({ expr }) => {
      const used = vocabularyOf(expr);
      return [...(used?.functions ?? []), ...(used?.aggregators ?? [])].some((n) => experimental.has(n));
    })
    .map(({ expr, line }) => ({
      id: `[no experimental functions] instant@+40m ${expr}`,
      expr,
      line,
      time: 40 * 60_000,
    }));
}

describe.skipIf(PROMETHEUS.path === undefined)(
  'experimental PromQL without --enable-feature=promql-experimental-functions',
  () => {
    const queries = experimentalQueries();
    const anchor = workloadAnchor();
    let reference: Target;
    let miniprom: Target | Error;
    let minipromReason: string | undefined;
    let referenceAnswers: Answer[] | undefined;

    beforeAll(async () => {
      [reference, miniprom] = await Promise.all([
        startPrometheus('prometheus', []),
        startMiniprom([]).catch((err: Error) => err),
      ]);
      minipromReason = await minipromMissing(miniprom, false);
    }, 60_000);

    afterAll(async () => {
      await Promise.all(
        [reference, miniprom].filter((t): t is Target => t !== undefined && !(t instanceof Error)).map((t) => t.stop()),
      );
      killAll();
      removeScratchDirs();
    }, 30_000);

    it('Prometheus refuses every query of the corpus that uses an experimental function or aggregator', async () => {
      expect(queries.length).toBeGreaterThan(30);
      referenceAnswers = await Promise.all(queries.map((q) => ask(reference, q, anchor)));
      const accepted = queries.filter((_, i) => referenceAnswers?.[i]?.body.errorType !== 'bad_data');
      expect(accepted.map((q) => q.expr)).toEqual([]);
    });

    it('miniprom refuses them as Prometheus does, but for the listed differences', async (ctx) => {
      if (minipromReason) {
        console.log(
          `differential.test.ts: miniprom comparison without experimental functions skipped: ${minipromReason}`,
        );
        ctx.skip();
        return;
      }
      const outcomes = await runCorpus(reference, miniprom as Target, queries, anchor, referenceAnswers);
      expectOnlyListed(
        'miniprom vs prometheus, no experimental functions',
        outcomes,
        'promql-differential-no-experimental.txt',
      );
    });
  },
);
