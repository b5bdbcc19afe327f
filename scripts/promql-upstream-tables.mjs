#!/usr/bin/env node
// Regenerates test/fixtures/promql/differential/upstream-tables.json: the functions, aggregators
// and binary operators of upstream's PromQL parser at a tag (v3.5.3 unless given), read from
// promql/parser/functions.go and promql/parser/lex.go in the bare mirror of upstream's repository
// (MINIPROM_UPSTREAM_MIRROR, default /work/.mirror/prometheus+prometheus/repo). The differential
// test fails when any name in that file is absent from its query corpus.
//
//   node scripts/promql-upstream-tables.mjs [tag]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const tag = process.argv[2] ?? 'v3.5.3';
const mirror = process.env.MINIPROM_UPSTREAM_MIRROR ?? '/work/.mirror/prometheus+prometheus/repo';
const show = (path) => execFileSync('git', ['-C', mirror, 'show', `${tag}:${path}`], { encoding: 'utf8' });

/** functions.go: `var Functions = map[string]*Function{ "abs": { Name: ..., Experimental: true }, ... }`. */
function functions(source) {
  const body = source.slice(source.indexOf('var Functions = map[string]*Function{'));
  const out = [];
  for (const m of body.matchAll(/^\t"([a-z_0-9]+)": \{\n([\s\S]*?)^\t\},$/gm)) {
    out.push({ name: m[1], experimental: /Experimental:\s*true/.test(m[2]) });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The keys of a `var key = map[string]ItemType{` block between two `// Section.` comments. */
function keywordSection(source, section) {
  const block = source.slice(source.indexOf('var key = map[string]ItemType{'));
  const start = block.indexOf(`// ${section}.`);
  const end = block.indexOf('\n\n', start);
  return [...block.slice(start, end).matchAll(/"([a-z_0-9]+)":\s+([A-Z_]+),/g)].map((m) => ({ name: m[1], item: m[2] }));
}

/**
 * The symbolic binary operators: lex.go's ItemTypeStr entries from SUB to POW, less the label
 * matchers (=~ and !~ are operator tokens there, but match labels, never combine two operands).
 */
function symbolOperators(source) {
  const block = source.slice(source.indexOf('var ItemTypeStr = map[ItemType]string{'));
  const ops = block.slice(block.indexOf('SUB:'), block.indexOf('\n}'));
  return [...ops.matchAll(/([A-Z_]+):\s+"([^"]+)",/g)]
    .filter((m) => m[1] !== 'EQL_REGEX' && m[1] !== 'NEQ_REGEX')
    .map((m) => ({ name: m[2], item: m[1] }));
}

const lex = show('promql/parser/lex.go');
const experimentalAggregators = /IsExperimentalAggregator\(\) bool \{\n\treturn ([^\n]+)/.exec(lex)?.[1] ?? '';
const tables = {
  source: `prometheus/prometheus ${tag}: promql/parser/functions.go, promql/parser/lex.go`,
  functions: functions(show('promql/parser/functions.go')),
  aggregators: keywordSection(lex, 'Aggregators').map(({ name, item }) => ({
    name,
    experimental: new RegExp(`\\b${item}\\b`).test(experimentalAggregators),
  })),
  binaryOperators: [...symbolOperators(lex), ...keywordSection(lex, 'Operators')].map(({ name }) => name),
};
const out = fileURLToPath(new URL('../test/fixtures/promql/differential/upstream-tables.json', import.meta.url));
writeFileSync(out, `${JSON.stringify(tables, null, 2)}\n`);
console.log(
  `${out}: ${tables.functions.length} functions, ${tables.aggregators.length} aggregators, ${tables.binaryOperators.length} binary operators`,
);
