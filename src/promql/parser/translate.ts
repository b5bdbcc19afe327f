/**
 * `parse_query`'s answer: the syntax tree as upstream's web/api/v1 translateAST serialises it for
 * the web UI's tree view. Field names, units (ms) and the number format are upstream's.
 */
import type { Matcher } from '../../storage/index.js';
import type { Expr } from '../ast.js';
import { formatFloat } from './printer.js';

export function translateAST(e: Expr): unknown {
  switch (e.type) {
    case 'AggregateExpr':
      return {
        type: 'aggregation',
        op: e.op,
        expr: translateAST(e.expr),
        param: e.param ? translateAST(e.param) : null,
        grouping: e.grouping,
        without: e.without,
      };
    case 'BinaryExpr':
      return {
        type: 'binaryExpr',
        op: e.op,
        lhs: translateAST(e.lhs),
        rhs: translateAST(e.rhs),
        matching: e.matching
          ? { card: e.matching.card, labels: e.matching.matchingLabels, on: e.matching.on, include: e.matching.include }
          : null,
        bool: e.returnBool,
      };
    case 'Call':
      return {
        type: 'call',
        func: {
          name: e.func.name,
          argTypes: e.func.argTypes,
          variadic: e.func.variadic,
          returnType: e.func.returnType,
        },
        args: e.args.map(translateAST),
      };
    case 'MatrixSelector': {
      const vs = e.vectorSelector;
      return {
        type: 'matrixSelector',
        name: vs.name,
        range: e.range,
        offset: vs.originalOffset,
        matchers: translateMatchers(vs.labelMatchers),
        timestamp: vs.timestamp,
        startOrEnd: vs.startOrEnd,
      };
    }
    case 'SubqueryExpr':
      return {
        type: 'subquery',
        expr: translateAST(e.expr),
        range: e.range,
        offset: e.originalOffset,
        step: e.step,
        timestamp: e.timestamp,
        startOrEnd: e.startOrEnd,
      };
    case 'NumberLiteral':
      return { type: 'numberLiteral', val: formatFloat(e.val) };
    case 'ParenExpr':
      return { type: 'parenExpr', expr: translateAST(e.expr) };
    case 'StringLiteral':
      return { type: 'stringLiteral', val: e.val };
    case 'UnaryExpr':
      return { type: 'unaryExpr', op: e.op, expr: translateAST(e.expr) };
    case 'VectorSelector':
      return {
        type: 'vectorSelector',
        name: e.name,
        offset: e.originalOffset,
        matchers: translateMatchers(e.labelMatchers),
        timestamp: e.timestamp,
        startOrEnd: e.startOrEnd,
      };
    case 'StepInvariantExpr':
      return translateAST(e.expr);
  }
}

function translateMatchers(matchers: readonly Matcher[]): unknown[] {
  return matchers.map((m) => ({ name: m.name, value: m.value, type: m.type }));
}
