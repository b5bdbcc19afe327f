/**
 * Prometheus's PromQL grammar (@prometheus-io/lezer-promql), made on first use: the package
 * deserialises its parse tables when it is loaded (~4 ms and its heap), which a server that parses
 * no PromQL while it starts (no rule files) should not pay before it is ready.
 *
 * A synchronous import on first use needs `require`. In the server's CommonJS bundle
 * (scripts/build-cmd.mjs) `require` is the bundle's own, and esbuild keeps the package inside the
 * bundle, evaluated on that first call; in tsc's ES modules there is none, and Node's createRequire
 * loads the package's CommonJS build.
 */
import { createRequire } from 'node:module';
import type { LRParser } from '@lezer/lr';

type Grammar = typeof import('@prometheus-io/lezer-promql');

let grammar: LRParser | undefined;

export function promqlGrammar(): LRParser {
  if (grammar === undefined) {
    const module: Grammar =
      typeof require === 'function'
        ? require('@prometheus-io/lezer-promql')
        : createRequire(import.meta.url)('@prometheus-io/lezer-promql');
    grammar = module.parser;
  }
  return grammar;
}
