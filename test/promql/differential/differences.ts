/**
 * Running the corpus on two servers and holding the outcome against the known-differences list
 * (test/fixtures/promql/differential/differences.json): a difference that is not listed fails the
 * test, and so does a listed one that no longer shows, so that the list stays honest.
 */
import { readFileSync } from 'node:fs';
import { type Answer, compareAnswers, type Difference, type DifferenceKind, orderOf } from './compare.js';
import type { CorpusQuery } from './corpus.js';
import { ask, mapBounded, type Target } from './servers.js';

/** Where the known differences are listed. */
export const DIFFERENCES_FILE = new URL('../../fixtures/promql/differential/differences.json', import.meta.url);

/** A listed difference: the query's id (as corpus.ts names it), what differs, and why. */
export interface KnownDifference {
  query: string;
  kind: DifferenceKind;
  reason: string;
}

/** One query's outcome on both servers. */
export interface Outcome {
  query: CorpusQuery;
  ref: Answer;
  got: Answer;
  differences: Difference[];
}

/** Queries in flight at once per server: enough to keep both busy, few enough for 2 cores. */
const CONCURRENCY = 4;

/** The listed differences. */
export function loadKnownDifferences(): KnownDifference[] {
  const file = JSON.parse(readFileSync(DIFFERENCES_FILE, 'utf8')) as { differences: KnownDifference[] };
  return file.differences;
}

/**
 * Asks both servers every query (the reference's answers may be given, already asked) and
 * compares each pair of answers.
 */
export async function runCorpus(
  ref: Target,
  other: Target,
  queries: CorpusQuery[],
  anchor: number,
  refAnswers?: Answer[],
): Promise<Outcome[]> {
  return mapBounded(queries, CONCURRENCY, async (query, index) => {
    const [a, b] = await Promise.all([refAnswers?.[index] ?? ask(ref, query, anchor), ask(other, query, anchor)]);
    return { query, ref: a, got: b, differences: compareAnswers(a, b, orderOf(query.expr, query.range !== undefined)) };
  });
}

/** The outcomes held against the list: what differs unlisted, what is listed but agrees now. */
export function reconcile(
  outcomes: Outcome[],
  known: KnownDifference[],
): { unlisted: Array<{ outcome: Outcome; kind: DifferenceKind }>; stale: KnownDifference[]; listed: number } {
  const observed = new Set<string>();
  const unlisted: Array<{ outcome: Outcome; kind: DifferenceKind }> = [];
  const knownKeys = new Set(known.map((k) => `${k.kind} ${k.query}`));
  for (const outcome of outcomes) {
    for (const kind of new Set(outcome.differences.map((d) => d.kind))) {
      const key = `${kind} ${outcome.query.id}`;
      observed.add(key);
      if (!knownKeys.has(key)) unlisted.push({ outcome, kind });
    }
  }
  const stale = known.filter((k) => !observed.has(`${k.kind} ${k.query}`));
  return { unlisted, stale, listed: known.length - stale.length };
}

/** A query's two answers, shortened for a failure message. */
export function describeOutcome(outcome: Outcome, names: [string, string], kind?: DifferenceKind): string {
  const short = (a: Answer) => {
    const text = JSON.stringify({ status: a.status, ...a.body });
    return text.length > 600 ? `${text.slice(0, 600)}…` : text;
  };
  const details = outcome.differences
    .filter((d) => kind === undefined || d.kind === kind)
    .map((d) => `    ${d.detail}`);
  return [
    `  ${kind ?? 'differs'}: ${outcome.query.id}   (queries.txt:${outcome.query.line})`,
    ...details,
    `    ${names[0]}: ${short(outcome.ref)}`,
    `    ${names[1]}: ${short(outcome.got)}`,
  ].join('\n');
}

/** Counts of outcomes by what differed, for the summary line. */
export function tally(outcomes: Outcome[]): { run: number; equal: number; byKind: Record<DifferenceKind, number> } {
  const byKind: Record<DifferenceKind, number> = { result: 0, format: 0, annotations: 0, 'error-message': 0 };
  let equal = 0;
  for (const o of outcomes) {
    if (o.differences.length === 0) equal++;
    for (const kind of new Set(o.differences.map((d) => d.kind))) byKind[kind]++;
  }
  return { run: outcomes.length, equal, byKind };
}
