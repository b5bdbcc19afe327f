/** The PromQL parser: upstream's grammar (lezer) and checks; see parse.ts. */
export { checkAST, documentedType } from './check.js';
export { FUNCTIONS } from './functions.js';
export { type ParseOptions, parseExpr, parseMetricSelector } from './parse.js';
export { exprToString, formatFloat, matcherString } from './printer.js';
export { prettify } from './prettier.js';
export { translateAST } from './translate.js';
