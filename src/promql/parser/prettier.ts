/**
 * `format_query`: upstream's Prettify (promql/parser/prettier.go). An expression whose text is
 * longer than 100 bytes is split, one operand or argument per line, indented two spaces a level.
 */
import type { Expr } from '../ast.js';
import { aggregateOpString, exprToString, matchingString, subquerySuffix } from './printer.js';

const MAX_CHARACTERS_PER_LINE = 100;

export function prettify(e: Expr): string {
  return pretty(e, 0);
}

function pretty(e: Expr, level: number): string {
  const s = indent(level);
  switch (e.type) {
    case 'AggregateExpr': {
      if (!needsSplit(e)) return s + exprToString(e);
      const param = e.param ? `${pretty(e.param, level + 1)},\n` : '';
      return `${s}${aggregateOpString(e)}(\n${param}${pretty(e.expr, level + 1)}\n${indent(level)})`;
    }
    case 'BinaryExpr': {
      if (!needsSplit(e)) return s + exprToString(e);
      const op = `${e.op}${e.returnBool ? ' bool' : ''}${matchingString(e)}`;
      return `${pretty(e.lhs, level + 1)}\n${indent(level)}${op}\n${pretty(e.rhs, level + 1)}`;
    }
    case 'Call': {
      if (!needsSplit(e)) return s + exprToString(e);
      const args = e.args.map((a) => pretty(a, level + 1)).join(',\n');
      return `${s}${e.func.name}(\n${args}\n${indent(level)})`;
    }
    case 'ParenExpr':
      if (!needsSplit(e)) return s + exprToString(e);
      return `${s}(\n${pretty(e.expr, level + 1)}\n${indent(level)})`;
    case 'StepInvariantExpr':
      return pretty(e.expr, level);
    case 'SubqueryExpr':
      // Upstream returns an unsplit subquery without indentation.
      if (!needsSplit(e)) return exprToString(e);
      return `${pretty(e.expr, level)}${subquerySuffix(e)}`;
    case 'UnaryExpr':
      return `${s}${e.op}${pretty(e.expr, level).trim()}`;
    default:
      return s + exprToString(e);
  }
}

function needsSplit(e: Expr): boolean {
  return Buffer.byteLength(exprToString(e)) > MAX_CHARACTERS_PER_LINE;
}

function indent(level: number): string {
  return '  '.repeat(level);
}
