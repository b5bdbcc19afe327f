/**
 * Upstream's own PromQL tests (promql/promqltest/testdata at v3.5.3, copied unchanged into
 * test/fixtures/promql/upstream) against miniprom's engine, over an in-memory storage that takes
 * every load as upstream's teststorage does (memory-storage.ts says why not the TSDB).
 *
 * The engine runs as upstream's test engine does (promqltest.NewTestEngine): delayed name removal
 * on, experimental functions on, 10000 max samples, 1m default subquery step. Then the scripts run
 * again with Prometheus's default features (delayed name removal off, as `prometheus` runs
 * unless told otherwise): the cases whose expectations assume delayed name removal are listed.
 * Native histograms and duration expressions are not part of miniprom: those files and cases are
 * listed below with the reason, and so is every case where miniprom knowingly differs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { PromQLEngine } from '../../src/promql/index.js';
import type { Labels } from '../../src/storage/index.js';
import { MemoryStorage } from './memory-storage.js';
import { type Command, type EvalCmd, load, parseScript, runEval, selectsAny } from './promqltest.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'promql', 'upstream');

const FILES = [
  'aggregators.test',
  'at_modifier.test',
  'collision.test',
  'duration_expression.test',
  'functions.test',
  'histograms.test',
  'limit.test',
  'literals.test',
  'name_label_dropping.test',
  'native_histograms.test',
  'operators.test',
  'range_queries.test',
  'selectors.test',
  'staleness.test',
  'subquery.test',
  'trig_functions.test',
  'type_and_unit.test',
];

/** Whole files left out, with the reason. */
const EXCLUDED_FILES: Record<string, string> = {
  'native_histograms.test': 'native histograms: miniprom stores float samples only',
  'duration_expression.test': 'duration expressions (--enable-feature=promql-duration-expr) are not implemented',
};

/**
 * Cases where miniprom knowingly differs from upstream, by `file:line`, with the reason. Such a
 * case is expected to fail: if it starts passing, the test says so and the entry should go.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {};

/**
 * Cases whose expectations hold only with promql-delayed-name-removal (upstream's test engine
 * enables it), which fail as they should with Prometheus's default features. Checked against the
 * real Prometheus 3.5.3 (see differential.test.ts for the default behaviour).
 */
const NEEDS_DELAYED_NAME_REMOVAL: Record<string, string> = {
  'name_label_dropping.test:51': 'rate() drops the name before label_replace() sees it: two series collide',
  'name_label_dropping.test:56': 'rate() drops the name before label_replace() sees it: two series collide',
  'name_label_dropping.test:61': 'rate() drops the name before label_join() sees it: two series collide',
  'name_label_dropping.test:66': 'rate() drops the name before label_join() sees it: two series collide',
  'name_label_dropping.test:80': 'rate() drops the name at once: two series collide before sum()',
  'type_and_unit.test:77': '`+ 1` drops __type__ and __unit__ at once, so `and` matches nothing',
  'type_and_unit.test:222': '`+ 1` drops __type__ and __unit__ at once, so `and` matches nothing',
  'type_and_unit.test:92': '`+ 1` drops __type__ and __unit__ at once, so `or` keeps both sides',
  'type_and_unit.test:237': '`+ 1` drops __type__ and __unit__ at once, so `or` keeps both sides',
};

const MODES = [
  { name: 'as upstream tests it (delayed name removal)', delayed: true },
  { name: 'with default features (no delayed name removal)', delayed: false },
] as const;

const counts = MODES.map(() => ({ run: 0, passed: 0, excludedFiles: 0, excludedCases: 0, known: 0 }));

/** Why a case is left out, if it is: it reads or expects native histograms. */
function exclusion(cmd: EvalCmd, histogramSeries: Labels[]): string | undefined {
  if (cmd.expectsHistograms) return 'expects native histogram values';
  if (selectsAny(cmd.expr, histogramSeries)) return 'selects native histogram series';
  return undefined;
}

afterAll(() => {
  MODES.forEach((mode, i) => {
    const c = counts[i] as (typeof counts)[number];
    console.log(
      `promqltest ${mode.name}: ${c.run + c.excludedCases} eval cases in ${FILES.length - c.excludedFiles} files: ` +
        `${c.run} run, ${c.passed} passed, ${c.known} listed as differences, ${c.excludedCases} excluded (native histograms); ` +
        `${c.excludedFiles} files excluded`,
    );
  });
});

MODES.forEach((mode, modeIndex) => {
  describe(mode.name, () => registerFiles(mode.delayed, counts[modeIndex] as (typeof counts)[number]));
});

function registerFiles(
  delayed: boolean,
  counts: { run: number; passed: number; excludedFiles: number; excludedCases: number; known: number },
): void {
  for (const file of FILES) {
    const excluded = EXCLUDED_FILES[file];
    if (excluded) {
      counts.excludedFiles++;
      describe.skip(`${file} (excluded: ${excluded})`, () => {
        it('is not run', () => {});
      });
      continue;
    }
    describe(file, () => {
      const cmds: Command[] = parseScript(readFileSync(join(FIXTURES, file), 'utf8'));
      const engine = new PromQLEngine({
        maxSamples: 10000,
        timeoutMs: 100_000,
        enableExperimentalFunctions: true,
        enableDelayedNameRemoval: delayed,
        noStepSubqueryIntervalMs: 60_000,
      });
      let db = new MemoryStorage();

      // Commands run in order: each case first runs the loads and clears before it.
      let pending: Command[] = [];
      let histogramSeries: Labels[] = [];
      for (const cmd of cmds) {
        if (cmd.kind !== 'eval') {
          pending.push(cmd);
          if (cmd.kind === 'clear') histogramSeries = [];
          else histogramSeries.push(...cmd.histogramSeries);
          continue;
        }
        const title = `line ${cmd.line}: ${cmd.expr}`;
        const reason = exclusion(cmd, histogramSeries);
        if (reason) {
          // Its loads and clears stay pending for the next case that runs.
          counts.excludedCases++;
          it.skip(`${title} (excluded: ${reason})`, () => {});
          continue;
        }
        const before = pending;
        pending = [];
        const setup = () => {
          for (const c of before) {
            if (c.kind === 'clear') db = new MemoryStorage();
            else if (c.kind === 'load') load(db, c);
          }
        };
        const known =
          KNOWN_DIFFERENCES[`${file}:${cmd.line}`] ??
          (delayed ? undefined : NEEDS_DELAYED_NAME_REMOVAL[`${file}:${cmd.line}`]);
        counts.run++;
        if (known) {
          counts.known++;
          it.fails(`${title} (known difference: ${known})`, async () => {
            setup();
            await runEval(engine, db, cmd);
          });
          continue;
        }
        it(title, async () => {
          setup();
          await runEval(engine, db, cmd);
          counts.passed++;
        });
      }
    });
  }
}
