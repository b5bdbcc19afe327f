/**
 * A syntax tree back to PromQL text, exactly as upstream's String() methods print it
 * (promql/parser/printer.go): what error messages quote, and the base of `format_query`.
 */
import { formatDuration } from '../../config/index.js';
import type { Matcher } from '../../storage/index.js';
import type { AggregateExpr, BinaryExpr, Expr, SubqueryExpr, VectorSelector } from '../ast.js';
import { goQuote } from './lexer.js';

export function exprToString(e: Expr): string {
  switch (e.type) {
    case 'AggregateExpr':
      return `${aggregateOpString(e)}(${e.param ? `${exprToString(e.param)}, ` : ''}${exprToString(e.expr)})`;
    case 'BinaryExpr':
      return `${exprToString(e.lhs)} ${e.op}${e.returnBool ? ' bool' : ''}${matchingString(e)} ${exprToString(e.rhs)}`;
    case 'Call':
      return `${e.func.name}(${e.args.map(exprToString).join(', ')})`;
    case 'MatrixSelector': {
      const vs = e.vectorSelector;
      const bare: VectorSelector = { ...vs, originalOffset: 0, timestamp: null, startOrEnd: null };
      return `${exprToString(bare)}[${formatDuration(e.range)}]${atString(vs)}${offsetString(vs.originalOffset)}`;
    }
    case 'SubqueryExpr':
      return `${exprToString(e.expr)}${subquerySuffix(e)}`;
    case 'NumberLiteral':
      // model.Duration(val * 1e9): truncated to ns, then printed in whole ms.
      if (e.duration) return e.val < 0 ? `-${formatDuration(nsToMs(-e.val))}` : formatDuration(nsToMs(e.val));
      return formatFloat(e.val);
    case 'StringLiteral':
      return goQuote(e.val);
    case 'ParenExpr':
      return `(${exprToString(e.expr)})`;
    case 'UnaryExpr':
      return `${e.op}${exprToString(e.expr)}`;
    case 'VectorSelector':
      return vectorSelectorString(e);
    case 'StepInvariantExpr':
      return exprToString(e.expr);
  }
}

/** `sum by (a) `, `sum without (a) `, or just `sum` (upstream's getAggOpStr). */
export function aggregateOpString(e: AggregateExpr): string {
  if (e.without) return `${e.op} without (${joinLabels(e.grouping)}) `;
  if (e.grouping.length > 0) return `${e.op} by (${joinLabels(e.grouping)}) `;
  return e.op;
}

/** Grouping labels, quoted where they are not legacy names (upstream's joinLabels). */
export function joinLabels(labels: readonly string[]): string {
  return labels.map((l) => (LEGACY_METRIC_NAME.test(l) ? l : goQuote(l))).join(', ');
}

const LEGACY_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** ` on (a) group_left (b)` and friends (upstream's getMatchingStr). */
export function matchingString(e: BinaryExpr): string {
  const vm = e.matching;
  if (!vm || (vm.matchingLabels.length === 0 && !vm.on)) return '';
  let out = ` ${vm.on ? 'on' : 'ignoring'} (${vm.matchingLabels.join(', ')})`;
  if (vm.card === 'many-to-one' || vm.card === 'one-to-many') {
    out += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${vm.include.join(', ')})`;
  }
  return out;
}

/** `[5m:1m] @ 10.000 offset 1m` (upstream's getSubqueryTimeSuffix). */
export function subquerySuffix(e: SubqueryExpr): string {
  const step = e.step !== 0 ? formatDuration(e.step) : '';
  return `[${formatDuration(e.range)}:${step}]${atString(e)}${offsetString(e.originalOffset)}`;
}

function nsToMs(seconds: number): number {
  return Math.trunc(Math.trunc(seconds * 1e9) / 1e6);
}

export function offsetString(offset: number): string {
  if (offset > 0) return ` offset ${formatDuration(offset)}`;
  if (offset < 0) return ` offset -${formatDuration(-offset)}`;
  return '';
}

export function atString(e: { timestamp: number | null; startOrEnd: 'start' | 'end' | null }): string {
  if (e.timestamp !== null) return ` @ ${(e.timestamp / 1000).toFixed(3)}`;
  if (e.startOrEnd) return ` @ ${e.startOrEnd}()`;
  return '';
}

function vectorSelectorString(e: VectorSelector): string {
  const labels = e.labelMatchers
    .filter((m) => !(m.name === '__name__' && m.type === '=' && m.value === e.name && m.value !== ''))
    .map(matcherString)
    .sort();
  const suffix = `${atString(e)}${offsetString(e.originalOffset)}`;
  if (labels.length === 0) return `${e.name}${suffix}`;
  return `${e.name}{${labels.join(',')}}${suffix}`;
}

/** `name="value"`, the name quoted when it is not a legacy label name (upstream's Matcher.String). */
export function matcherString(m: Matcher): string {
  const name = /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(m.name) ? m.name : goQuote(m.name);
  return `${name}${m.type}${goQuote(m.value)}`;
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): the shortest exact decimal, never an exponent. */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  if (!/e/i.test(s)) return s;
  // Expand JavaScript's exponent form (shortest round-trip digits, as Go's -1 precision).
  const [mantissa, expText] = s.split(/e/i) as [string, string];
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace(/^-/, '').replace('.', '');
  const intLen = (mantissa.replace(/^-/, '').split('.')[0] as string).length + exp;
  let out: string;
  if (intLen <= 0) out = `0.${'0'.repeat(-intLen)}${digits}`;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  return negative ? `-${out}` : out;
}
