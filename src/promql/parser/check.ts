/**
 * Upstream's checkAST: the type rules of PromQL, checked once the query has parsed. Errors come in
 * upstream's order (operands before the operator, arguments after the argument count), since the
 * first one is what the user sees. It also settles two things upstream settles here: set
 * operators match many-to-many, and vector matching is dropped when a side is not a vector.
 */
import type { Expr, ValueType } from '../ast.js';
import { positionOf, typeOf } from '../ast.js';
import type { ParseErrorDetail } from '../errors.js';
import { compileRegex } from '../../regex/index.js';
import { goQuote } from './lexer.js';

/** How upstream's messages name a type (DocumentedType). */
export function documentedType(t: ValueType): string {
  if (t === 'vector') return 'instant vector';
  if (t === 'matrix') return 'range vector';
  return t;
}

const COMPARISON = new Set(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPS = new Set(['and', 'or', 'unless']);

export function checkAST(root: Expr, query: string): ParseErrorDetail[] {
  const errors: ParseErrorDetail[] = [];
  // info()'s second argument selects by labels only: it may match the empty string (upstream's
  // BypassEmptyMatcherCheck).
  const bypassEmptyCheck = new WeakSet<Expr>();
  const fail = (at: { start: number; end: number }, message: string) =>
    errors.push({ start: at.start, end: at.end, message });

  const expectType = (node: Expr, want: ValueType, context: string) => {
    const t = check(node);
    if (t !== want)
      fail(positionOf(node), `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`);
  };

  function check(node: Expr): ValueType {
    const typ = typeOf(node);
    switch (node.type) {
      case 'AggregateExpr':
        expectType(node.expr, 'vector', 'aggregation expression');
        if (['topk', 'bottomk', 'quantile', 'limitk', 'limit_ratio'].includes(node.op) && node.param) {
          expectType(node.param, 'scalar', 'aggregation parameter');
        }
        if (node.op === 'count_values' && node.param) expectType(node.param, 'string', 'aggregation parameter');
        break;

      case 'BinaryExpr': {
        const lt = check(node.lhs);
        const rt = check(node.rhs);
        // The operator's own range: between the operands, spaces trimmed.
        const opRange = () => {
          let start = positionOf(node.lhs).end;
          while (/\s/.test(query[start] ?? '')) start++;
          let end = positionOf(node.rhs).start - 1;
          while (/\s/.test(query[end] ?? '')) end--;
          return { start, end };
        };
        const m = node.matching;
        if (node.returnBool && !COMPARISON.has(node.op)) {
          fail(opRange(), 'bool modifier can only be used on comparison operators');
        }
        if (COMPARISON.has(node.op) && !node.returnBool && lt === 'scalar' && rt === 'scalar') {
          fail(opRange(), 'comparisons between scalars must use BOOL modifier');
        }
        if (m && SET_OPS.has(node.op) && m.card === 'one-to-one') m.card = 'many-to-many';
        if (m?.on) {
          for (const l of m.matchingLabels) {
            if (m.include.includes(l))
              fail(opRange(), `label ${goQuote(l)} must not occur in ON and GROUP clause at once`);
          }
        }
        if (lt !== 'scalar' && lt !== 'vector') {
          fail(positionOf(node.lhs), 'binary expression must contain only scalar and instant vector types');
        }
        if (rt !== 'scalar' && rt !== 'vector') {
          fail(positionOf(node.rhs), 'binary expression must contain only scalar and instant vector types');
        }
        if ((lt !== 'vector' || rt !== 'vector') && m) {
          if (m.matchingLabels.length > 0)
            fail(positionOf(node), 'vector matching only allowed between instant vectors');
          node.matching = null;
        } else if (m && SET_OPS.has(node.op)) {
          if (m.card === 'one-to-many' || m.card === 'many-to-one') {
            fail(positionOf(node), `no grouping allowed for ${goQuote(node.op)} operation`);
          }
          if (m.card !== 'many-to-many') fail(positionOf(node), 'set operations must always be many-to-many');
        }
        if ((lt === 'scalar' || rt === 'scalar') && SET_OPS.has(node.op)) {
          fail(positionOf(node), `set operator ${goQuote(node.op)} not allowed in binary scalar expression`);
        }
        break;
      }

      case 'Call': {
        const f = node.func;
        const nargs = f.argTypes.length;
        if (f.variadic === 0) {
          if (nargs !== node.args.length) {
            fail(node.posRange, `expected ${nargs} argument(s) in call to ${goQuote(f.name)}, got ${node.args.length}`);
          }
        } else {
          const na = nargs - 1;
          if (na > node.args.length) {
            fail(
              node.posRange,
              `expected at least ${na} argument(s) in call to ${goQuote(f.name)}, got ${node.args.length}`,
            );
          } else if (f.variadic > 0 && na + f.variadic < node.args.length) {
            fail(
              node.posRange,
              `expected at most ${na + f.variadic} argument(s) in call to ${goQuote(f.name)}, got ${node.args.length}`,
            );
          }
        }
        if (f.name === 'info' && node.args.length > 1) {
          const second = node.args[1] as Expr;
          if (typeOf(second) !== 'vector') {
            fail(
              node.posRange,
              `expected type instant vector in call to function "info", got ${documentedType(typeOf(second))}`,
            );
          }
          if (second.type === 'VectorSelector' && second.name !== '') {
            fail(positionOf(second), 'expected label selectors only, got vector selector instead');
          }
          bypassEmptyCheck.add(second);
        }
        node.args.forEach((arg, i) => {
          let at = i;
          if (at >= nargs) {
            if (f.variadic === 0) return;
            at = nargs - 1;
          }
          expectType(arg, f.argTypes[at] as ValueType, `call to function ${goQuote(f.name)}`);
        });
        break;
      }

      case 'ParenExpr':
        check(node.expr);
        break;

      case 'UnaryExpr': {
        const t = check(node.expr);
        if (t !== 'scalar' && t !== 'vector') {
          fail(
            positionOf(node),
            `unary expression only allowed on expressions of type scalar or instant vector, got ${goQuote(documentedType(t))}`,
          );
        }
        break;
      }

      case 'SubqueryExpr': {
        const t = check(node.expr);
        if (t !== 'vector') fail(positionOf(node), `subquery is only allowed on instant vector, got ${t} instead`);
        break;
      }

      case 'MatrixSelector':
        check(node.vectorSelector);
        break;

      case 'VectorSelector': {
        if (node.name !== '') {
          // The name's own matcher is the last one; any other __name__ matcher sets it twice.
          for (const m of node.labelMatchers.slice(0, -1)) {
            if (m.name === '__name__') {
              fail(node.posRange, `metric name must not be set twice: ${goQuote(node.name)} or ${goQuote(m.value)}`);
            }
          }
          break;
        }
        if (!bypassEmptyCheck.has(node) && !node.labelMatchers.some((m) => !matchesEmpty(m))) {
          fail(node.posRange, 'vector selector must contain at least one non-empty matcher');
        }
        break;
      }

      default:
        break;
    }
    return typ;
  }

  check(root);
  return errors;
}

/** Whether a matcher matches the empty string (upstream's Matches("")). */
function matchesEmpty(m: { type: string; value: string }): boolean {
  switch (m.type) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return compileRegex(m.value).test('');
    default:
      return !compileRegex(m.value).test('');
  }
}
