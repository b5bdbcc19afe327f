/**
 * PromQL text → syntax tree, as Prometheus 3.5 parses it.
 *
 * The grammar is Prometheus's own, @prometheus-io/lezer-promql (the one its web UI uses): it gives
 * the tree's shape. On top of it this module does what upstream's yacc actions and checkAST do —
 * literals, durations, matchers, offsets and `@`, the function table, argument and operand types —
 * with upstream's error texts and positions. Two things the lezer grammar cannot tell are taken
 * from a port of upstream's lexer (lexer.ts): token-level errors (`unclosed left parenthesis`),
 * and how a syntax error is worded (`unexpected identifier "x" in label matching, expected
 * string`); see syntax-error.ts. Differences in the grammars that matter are corrected here (a
 * signed literal before `^` is a unary minus, as `-2^2` is -4 upstream).
 */
import type { SyntaxNode } from '@lezer/common';
import { parseDuration } from '../../config/index.js';
import { goParseFloat, goParseInt } from '../../golang/index.js';
import { compileRegex, RegexError } from '../../regex/index.js';
import type { Matcher } from '../../storage/index.js';
import type {
  AggregateExpr,
  AggregateOp,
  BinaryExpr,
  BinaryOp,
  Call,
  Expr,
  FunctionDef,
  MatrixSelector,
  NumberLiteral,
  PositionRange,
  SubqueryExpr,
  VectorSelector,
} from '../ast.js';
import { promqlGrammar } from './grammar.js';
import { positionOf } from '../ast.js';
import { ParseError, type ParseErrorDetail } from '../errors.js';
import { checkAST } from './check.js';
import { FUNCTIONS } from './functions.js';
import { goQuote, type Item, itemDesc, Lexer } from './lexer.js';
import { endsExpression, explainSyntaxError, inGroupingList, keywordRoles } from './syntax-error.js';
import { unquote } from './unquote.js';

export interface ParseOptions {
  /** --enable-feature=promql-experimental-functions: experimental functions and aggregations. */
  experimentalFunctions?: boolean;
}

/** Parses and checks `query`; throws a ParseError worded as upstream's. */
export function parseExpr(query: string, opts: ParseOptions = {}): Expr {
  return parse(query, opts, true);
}

/** Parses `query`; with `check`, also applies upstream's checkAST (selectors are not checked). */
function parse(query: string, opts: ParseOptions, check: boolean): Expr {
  const { items, error: lexError } = lexAll(query);
  if (!lexError && items.every((i) => i.type === 'EOF')) {
    throw new ParseError(query, [{ start: 0, end: 0, message: 'no expression found in input' }]);
  }
  const { text, unknownFunctions } = lezerText(query, items);
  const tree = promqlGrammar().parse(text);
  const firstError = findError(tree.topNode);
  if (firstError !== undefined || lexError) {
    throw new ParseError(query, [explainSyntaxError(query, items, lexError, firstError, literalValue)]);
  }
  const top = children(tree.topNode)[0];
  const builder = new Builder(query, items, opts, unknownFunctions);
  const expr = top ? builder.expr(top) : undefined;
  if (builder.errors.length || !expr) throw new ParseError(query, builder.errors);
  const problems = check ? checkAST(expr, query) : [];
  if (problems.length) throw new ParseError(query, problems);
  return expr;
}

/**
 * A series selector (`match[]` in the API): upstream's ParseMetricSelector. Its grammar is a
 * vector selector and nothing after it, and it skips checkAST: `{a=""}` parses (the API then
 * says what it thinks of it), `up(` is `unexpected "("`.
 */
export function parseMetricSelector(text: string): Matcher[] {
  const { items, error: lexError } = lexAll(text);
  let i = 0;
  if (METRIC_IDENTIFIER_TYPES.has(items[0]?.type as Item['type'])) i++;
  if (items[i]?.type === 'LEFT_BRACE') {
    while (i < items.length && items[i]?.type !== 'RIGHT_BRACE') i++;
    if (i < items.length) i++; // past the `}`
  }
  const next = items[i];
  // A token after the selector (or none at all where one should start) is unexpected, unless
  // the lexer fails first, on the way there.
  if (next && next.type !== 'EOF' && !(lexError && lexError.pos <= next.pos)) {
    throw new ParseError(text, [
      { start: next.pos, end: next.pos + next.val.length, message: `unexpected ${itemDesc(next)}` },
    ]);
  }
  if (i === 0 && !lexError) {
    throw new ParseError(text, [{ start: 0, end: 0, message: 'unexpected end of input' }]);
  }
  const expr = parse(text, {}, false);
  if (expr.type !== 'VectorSelector') throw new Error(`not a selector: ${text}`); // excluded above
  return expr.labelMatchers;
}

/** Tokens upstream's metric_identifier takes as a metric name. */
const METRIC_IDENTIFIER_TYPES = new Set<Item['type']>([
  'IDENTIFIER',
  'METRIC_IDENTIFIER',
  'AVG',
  'BOTTOMK',
  'BY',
  'COUNT',
  'COUNT_VALUES',
  'GROUP',
  'LAND',
  'LOR',
  'LUNLESS',
  'MAX',
  'MIN',
  'OFFSET',
  'QUANTILE',
  'STDDEV',
  'STDVAR',
  'SUM',
  'TOPK',
  'WITHOUT',
  'START',
  'END',
  'LIMITK',
  'LIMIT_RATIO',
]);

/** Every item up to the first error or EOF, comments left out (the parser never sees them). */
export function lexAll(query: string): { items: Item[]; error: Item | undefined } {
  const lexer = new Lexer(query);
  const items: Item[] = [];
  for (;;) {
    const item = lexer.nextItem();
    if (item.type === 'COMMENT') continue;
    if (item.type === 'ERROR') return { items, error: item };
    items.push(item);
    if (item.type === 'EOF') return { items, error: undefined };
  }
}

/**
 * The text lezer parses: the query, except where upstream's lexer and grammar read it differently
 * from lezer's. Lengths are kept, so positions still match the query:
 * - numbers and durations become zeros: upstream's lexer takes `5.`, `5.e3` and `5y1hs` (the last
 *   fails later, in the duration parser, with its own message), lezer's tokens do not; values
 *   are read from upstream's tokens anyway;
 * - inside `[…]` after a duration, upstream lexes any letter as `:` (`foo[5m x]` is `foo[5m:]`);
 * - `offset` where an expression starts is a metric name to upstream, a keyword to lezer;
 * - `a:b` in grouping labels is a label name to upstream (any UTF-8 string is, in Prometheus 3);
 * - a call to an unknown function parses upstream (and fails once read, with the name): lezer gets
 *   a known function's name in its place, so the arguments are still checked first.
 */
function lezerText(query: string, items: readonly Item[]): { text: string; unknownFunctions: Set<number> } {
  const chars = query.split('');
  const put = (pos: number, text: string) => {
    for (let i = 0; i < text.length; i++) chars[pos + i] = text[i] as string;
  };
  const roles = keywordRoles(items);
  const unknownFunctions = new Set<number>();
  items.forEach((i, n) => {
    const next = items[n + 1];
    // A leading `.` stays, so the zeros cannot join an identifier right before them (`test.5m`).
    if (i.type === 'NUMBER' || i.type === 'DURATION')
      put(i.pos, i.val.startsWith('.') ? `.${'0'.repeat(i.val.length - 1)}` : '0'.repeat(i.val.length));
    else if (i.type === 'COLON' && i.val !== ':') put(i.pos, ':');
    else if (i.type === 'OFFSET' && roles[n] === 'metric') put(i.pos, 'x'.repeat(i.val.length));
    else if (i.type === 'METRIC_IDENTIFIER' && inGroupingList(items, n, roles)) put(i.pos, i.val.replace(/:/g, '_'));
    else if (
      i.type === 'IDENTIFIER' &&
      next?.type === 'LEFT_PAREN' &&
      !FUNCTIONS.has(i.val) &&
      !endsExpression(items[n - 1], roles[n - 1]) &&
      roles[n - 1] !== 'offset' &&
      items[n - 1]?.type !== 'AT' &&
      !inGroupingList(items, n, roles)
    ) {
      // `ln` followed by spaces up to the parenthesis: the same length, a function lezer knows.
      // A one-letter name has no room for one: a unary minus keeps a single argument parsing.
      const room = next.pos - i.pos;
      put(i.pos, room >= 2 ? `ln${' '.repeat(room - 2)}` : '-');
      unknownFunctions.add(i.pos);
    }
  });
  return { text: chars.join(''), unknownFunctions };
}

/** A number or duration token's value in seconds, or upstream's error for it. */
function literalValue(item: Item): number | { error: string } {
  if (item.type === 'DURATION') {
    try {
      return parseDuration(item.val) / 1000;
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
  // Upstream's parser.number: ParseInt with base prefixes first, then ParseFloat.
  const int = goParseInt(item.val);
  if (typeof int === 'number') return int;
  const f = goParseFloat(item.val);
  return typeof f === 'number'
    ? f
    : { error: `error parsing number: strconv.ParseFloat: parsing ${goQuote(item.val)}: ${f.error}` };
}

/** The first error node of the lezer tree, as a position. */
function findError(top: SyntaxNode): number | undefined {
  let at: number | undefined;
  top.toTree().iterate({
    enter(n) {
      if (at !== undefined) return false;
      if (n.type.isError) {
        at = n.from;
        return false;
      }
      return undefined;
    },
  });
  return at;
}

const BINARY_OPS: Readonly<Record<string, BinaryOp>> = {
  Pow: '^',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Atan2: 'atan2',
  Add: '+',
  Sub: '-',
  Eql: '==',
  Gte: '>=',
  Gtr: '>',
  Lte: '<=',
  Lss: '<',
  Neq: '!=',
  And: 'and',
  Unless: 'unless',
  Or: 'or',
};

const MATCH_OPS: Readonly<Record<string, Matcher['type']>> = {
  EqlSingle: '=',
  Neq: '!=',
  EqlRegex: '=~',
  NeqRegex: '!~',
};

/** Go's 1<<63 / 1e9: the largest duration in seconds time.Duration can hold. */
const MAX_DURATION_SECONDS = 2 ** 63 / 1e9;

/** Builds the syntax tree from a lezer tree without error nodes, collecting upstream's semantic errors. */
class Builder {
  readonly errors: ParseErrorDetail[] = [];

  constructor(
    private readonly query: string,
    private readonly items: readonly Item[],
    private readonly opts: ParseOptions,
    /** Positions of calls to unknown functions (lezer was given a known name there). */
    private readonly unknownFunctions: ReadonlySet<number>,
  ) {}

  expr(node: SyntaxNode): Expr {
    switch (node.name) {
      case 'AggregateExpr':
        return this.aggregate(node);
      case 'BinaryExpr':
      case 'UnaryExpr':
      case 'MatrixSelector':
      case 'SubqueryExpr':
      case 'OffsetExpr':
      case 'StepInvariantExpr':
        return this.chain(node);
      case 'FunctionCall':
        return this.call(node);
      case 'NumberDurationLiteral':
        return this.leadingSign(node) ? this.chain(node) : this.numberLiteral(node);
      case 'StringLiteral':
        return { type: 'StringLiteral', val: this.string(node), posRange: range(node) };
      case 'ParenExpr':
        return { type: 'ParenExpr', expr: this.expr(children(node)[0] as SyntaxNode), posRange: range(node) };
      case 'VectorSelector':
        return this.vectorSelector(node);
      default:
        throw new Error(`unexpected syntax node ${node.name}`);
    }
  }

  addError(start: number, end: number, message: string): void {
    this.errors.push({ start, end, message });
  }

  // ---- selectors

  vectorSelector(node: SyntaxNode): VectorSelector {
    const ident = node.getChild('Identifier');
    const matchersNode = node.getChild('LabelMatchers');
    const labelMatchers: Matcher[] = [];
    if (matchersNode) {
      for (const m of children(matchersNode)) {
        const matcher = this.labelMatcher(m);
        if (matcher) labelMatchers.push(matcher);
      }
    }
    const name = ident ? this.text(ident) : '';
    // Upstream appends the name's matcher after the braces' matchers.
    if (name) labelMatchers.push({ type: '=', name: '__name__', value: name });
    return {
      type: 'VectorSelector',
      name,
      labelMatchers,
      originalOffset: 0,
      offset: 0,
      timestamp: null,
      startOrEnd: null,
      posRange: range(node),
    };
  }

  labelMatcher(node: SyntaxNode): Matcher | undefined {
    if (node.name === 'QuotedLabelName') {
      // A lone quoted string inside braces is the metric name (upstream's newMetricNameMatcher).
      return { type: '=', name: '__name__', value: this.string(node.firstChild as SyntaxNode) };
    }
    const [labelNode, opNode, valueNode] = children(node) as [SyntaxNode, SyntaxNode, SyntaxNode];
    const name =
      labelNode.name === 'QuotedLabelName' ? this.string(labelNode.firstChild as SyntaxNode) : this.text(labelNode);
    const type = MATCH_OPS[(opNode.firstChild as SyntaxNode).name] as Matcher['type'];
    const value = this.string(valueNode);
    if (type === '=~' || type === '!~') {
      try {
        compileRegex(value);
      } catch (err) {
        const message = err instanceof RegexError ? err.message : String(err);
        this.addError(labelNode.from, valueNode.to, message);
      }
    }
    return { type, name, value };
  }

  rangeOf(vs: Expr, node: SyntaxNode, inner: SyntaxNode, rangeNode: SyntaxNode): Expr {
    const open = this.itemAt(inner.to, 'LEFT_BRACKET');
    const close = this.itemAt(rangeNode.to, 'RIGHT_BRACKET');
    let problem = '';
    if (vs.type !== 'VectorSelector') problem = 'ranges only allowed for vector selectors';
    else if (vs.originalOffset !== 0) problem = 'no offset modifiers allowed before range';
    else if (vs.timestamp !== null || vs.startOrEnd) problem = 'no @ modifiers allowed before range';
    const rangeMs = this.positiveDuration(rangeNode);
    if (problem) this.addError(open?.pos ?? inner.to, (close?.pos ?? node.to) + 1, problem);
    if (vs.type !== 'VectorSelector') return vs; // only reached with an error already recorded
    const ms: MatrixSelector = { type: 'MatrixSelector', vectorSelector: vs, range: rangeMs, endPos: node.to };
    return ms;
  }

  subqueryOf(expr: Expr, node: SyntaxNode, inner: SyntaxNode, durations: SyntaxNode[]): SubqueryExpr {
    const colon = this.itemAt(durations[0]?.to ?? inner.to, 'COLON');
    const [rangeNode, stepNode] = durations;
    const rangeMs = rangeNode ? this.positiveDuration(rangeNode) : 0;
    const step = stepNode && colon && stepNode.from > colon.pos ? this.positiveDuration(stepNode) : 0;
    return {
      type: 'SubqueryExpr',
      expr,
      range: rangeMs,
      originalOffset: 0,
      offset: 0,
      timestamp: null,
      startOrEnd: null,
      step,
      endPos: node.to,
    };
  }

  /** A range or subquery step: upstream's positive_duration_expr, in ms. */
  positiveDuration(node: SyntaxNode): number {
    const lit = this.durationLiteral(node);
    if (lit === undefined) return 0;
    if (!(lit.val > 0)) {
      this.addError(lit.posRange.start, lit.posRange.end, 'duration must be greater than 0');
      return 0;
    }
    return secondsToMs(lit.val);
  }

  /** A number or duration in a duration context (range, step, offset), checked for range. */
  durationLiteral(node: SyntaxNode): NumberLiteral | undefined {
    const lit = this.numberLiteral(node);
    if (lit.val > MAX_DURATION_SECONDS || lit.val < -MAX_DURATION_SECONDS) {
      this.addError(lit.posRange.start, lit.posRange.end, 'duration out of range');
      return undefined;
    }
    return lit;
  }

  offsetOf(expr: Expr, valueNode: SyntaxNode): Expr {
    const lit = this.durationLiteral(valueNode);
    const ms = lit ? secondsToMs(lit.val) : 0;
    const target = this.modifierTarget(expr, 'offset modifier');
    if (!target) return expr;
    if (target.originalOffset !== 0) {
      this.addError(positionOf(expr).start, positionOf(expr).end, 'offset may not be set multiple times');
      return expr;
    }
    target.originalOffset = ms;
    this.setEnd(expr, valueNode.to);
    return expr;
  }

  atOf(expr: Expr, node: SyntaxNode, value: SyntaxNode): Expr {
    let ts: number | undefined;
    let preprocessor: 'start' | 'end' | undefined;
    if (value.name === 'AtModifierPreprocessors') {
      preprocessor = (value.firstChild as SyntaxNode).name === 'Start' ? 'start' : 'end';
    } else {
      ts = this.numberLiteral(value).val;
      if (!Number.isFinite(ts) || ts >= 2 ** 63 || ts <= -(2 ** 63)) {
        this.addError(
          positionOf(expr).start,
          positionOf(expr).end,
          `timestamp out of bounds for @ modifier: ${goFloatF(ts)}`,
        );
      }
    }
    const target = this.modifierTarget(expr, '@ modifier');
    if (!target) return expr;
    if (target.timestamp !== null || target.startOrEnd) {
      this.addError(positionOf(expr).start, positionOf(expr).end, '@ <timestamp> may not be set multiple times');
      return expr;
    }
    if (preprocessor) target.startOrEnd = preprocessor;
    else target.timestamp = Math.round((ts as number) * 1000); // timestamp.FromFloatSeconds
    this.setEnd(expr, node.to);
    return expr;
  }

  /** The node an `offset` or `@` applies to, or undefined (with upstream's error recorded). */
  modifierTarget(expr: Expr, what: string): VectorSelector | SubqueryExpr | undefined {
    if (expr.type === 'VectorSelector' || expr.type === 'SubqueryExpr') return expr;
    if (expr.type === 'MatrixSelector') return expr.vectorSelector;
    const at = positionOf(expr);
    this.addError(
      at.start,
      at.end,
      `${what} must be preceded by an instant vector selector or range vector selector or a subquery`,
    );
    return undefined;
  }

  /** Upstream moves a selector's end to the modifier's end (its lastClosing). */
  setEnd(expr: Expr, end: number): void {
    if (expr.type === 'VectorSelector') expr.posRange = { start: expr.posRange.start, end };
    else if (expr.type === 'MatrixSelector' || expr.type === 'SubqueryExpr') expr.endPos = end;
  }

  // ---- operators

  /**
   * An operator chain: binary and unary operators and postfix modifiers (`[5m]`, `[5m:1m]`,
   * `offset`, `@`) over operands, rebuilt with upstream's precedences. lezer's grammar binds the
   * modifiers loosest (`a + b offset 1m * 0` comes back as `((a + b) offset 1m) * 0`) and a sign
   * into a number (`-2^2` as `(-2)^2`); upstream binds modifiers tightest and reads a sign as a
   * unary operator at `*`'s precedence (`a + ((b offset 1m) * 0)`, `-(2^2)`). The chain keeps
   * source order, so laying it out flat and parsing it again gives upstream's tree.
   */
  chain(node: SyntaxNode): Expr {
    const parts: ChainPart[] = [];
    this.linearize(node, parts);
    const parser = new ChainParser(parts, this);
    return parser.parse();
  }

  linearize(node: SyntaxNode, out: ChainPart[]): void {
    switch (node.name) {
      case 'BinaryExpr': {
        const parts = children(node);
        this.linearize(parts[0] as SyntaxNode, out);
        out.push({ kind: 'binary', node });
        this.linearize(parts[parts.length - 1] as SyntaxNode, out);
        return;
      }
      case 'UnaryExpr': {
        const [opNode, exprNode] = children(node) as [SyntaxNode, SyntaxNode];
        out.push({ kind: 'unary', op: this.text(opNode) as '+' | '-', pos: opNode.from });
        this.linearize(exprNode, out);
        return;
      }
      case 'MatrixSelector':
      case 'SubqueryExpr':
      case 'OffsetExpr':
      case 'StepInvariantExpr': {
        const [inner, ...rest] = children(node) as [SyntaxNode, ...SyntaxNode[]];
        this.linearize(inner, out);
        out.push({ kind: 'postfix', node, inner, rest });
        return;
      }
      case 'NumberDurationLiteral': {
        const sign = this.leadingSign(node);
        if (sign) out.push({ kind: 'unary', op: sign.op, pos: sign.signPos });
        out.push({ kind: 'operand', node, unsigned: sign !== undefined });
        return;
      }
      default:
        out.push({ kind: 'operand', node, unsigned: false });
    }
  }

  /** Builds an operand of a chain. */
  operand(part: { node: SyntaxNode; unsigned: boolean }): Expr {
    if (part.unsigned) {
      const lit = this.numberLiteral(part.node, true);
      return lit;
    }
    return this.expr(part.node);
  }

  /** Applies a postfix modifier to what it binds to. */
  postfix(expr: Expr, part: { node: SyntaxNode; inner: SyntaxNode; rest: SyntaxNode[] }): Expr {
    const { node, inner, rest } = part;
    switch (node.name) {
      case 'MatrixSelector':
        return this.rangeOf(expr, node, inner, rest[0] as SyntaxNode);
      case 'SubqueryExpr':
        return this.subqueryOf(expr, node, inner, rest);
      case 'OffsetExpr':
        return this.offsetOf(expr, rest[0] as SyntaxNode);
      default:
        return this.atOf(expr, node, rest[0] as SyntaxNode);
    }
  }

  /** A binary operation with the operator and modifiers of lezer's `node`. */
  binaryOf(node: SyntaxNode, lhs: Expr, rhs: Expr): BinaryExpr {
    const parts = children(node);
    const opNode = parts[1] as SyntaxNode;
    const op = BINARY_OPS[opNode.name] as BinaryOp;
    const bool = parts.some((p) => p.name === 'BoolModifier');
    const clause = parts.find((p) => p.name === 'MatchingModifierClause');
    const matching: NonNullable<BinaryExpr['matching']> = {
      card: 'one-to-one',
      matchingLabels: [],
      on: false,
      include: [],
    };
    if (clause) {
      const [kind, labels, group, include] = children(clause);
      matching.on = kind?.name === 'On';
      matching.matchingLabels = labels ? this.groupingLabels(labels) : [];
      if (group) {
        matching.card = group.name === 'GroupLeft' ? 'many-to-one' : 'one-to-many';
        matching.include = include ? this.groupingLabels(include) : [];
      }
    }
    return { type: 'BinaryExpr', op, lhs, rhs, matching, returnBool: bool };
  }

  /** A unary operation; on a number literal, upstream folds the sign into the number. */
  unaryOf(op: '+' | '-', pos: number, expr: Expr): Expr {
    if (expr.type === 'NumberLiteral') {
      return { ...expr, val: op === '-' ? -expr.val : expr.val, posRange: { start: pos, end: expr.posRange.end } };
    }
    return { type: 'UnaryExpr', op, expr, startPos: pos };
  }

  /** The sign of a signed number literal, if it has one. */
  leadingSign(node: SyntaxNode): { op: '+' | '-'; signPos: number; numberStart: number } | undefined {
    const first = this.query[node.from];
    if (first !== '-' && first !== '+') return undefined;
    const number = this.items.find((i) => i.pos > node.from && i.pos < node.to);
    return { op: first, signPos: node.from, numberStart: number?.pos ?? node.from + 1 };
  }

  // ---- calls and aggregations

  call(node: SyntaxNode): Call {
    const ident = node.getChild('FunctionIdentifier') as SyntaxNode;
    const body = node.getChild('FunctionCallBody') as SyntaxNode;
    const args = children(body).map((a) => this.expr(a));
    if (this.unknownFunctions.has(ident.from)) {
      const name = (this.items.find((i) => i.pos === ident.from) as Item).val;
      this.addError(ident.from, ident.from + name.length, `unknown function with name ${goQuote(name)}`);
      throw new ParseError(this.query, this.errors);
    }
    const name = this.text(ident);
    const func = FUNCTIONS.get(name) as FunctionDef;
    if (func.experimental && !this.opts.experimentalFunctions) {
      this.addError(ident.from, ident.to, `function ${goQuote(name)} is not enabled`);
    }
    return { type: 'Call', func, args, posRange: { start: ident.from, end: body.to } };
  }

  aggregate(node: SyntaxNode): AggregateExpr {
    const opNode = node.getChild('AggregateOp') as SyntaxNode;
    const op = this.text(opNode).toLowerCase() as AggregateOp;
    const body = node.getChild('FunctionCallBody') as SyntaxNode;
    const modifier = node.getChild('AggregateModifier');
    const args = children(body).map((a) => this.expr(a));
    let grouping: string[] = [];
    let without = false;
    if (modifier) {
      const [kind, labels] = children(modifier) as [SyntaxNode, SyntaxNode];
      without = kind.name === 'Without';
      grouping = this.groupingLabels(labels);
    }
    const posRange = range(node);
    const agg: AggregateExpr = {
      type: 'AggregateExpr',
      op,
      expr: args[args.length - 1] as Expr,
      param: null,
      grouping,
      without,
      posRange,
    };
    if (args.length === 0) {
      this.addError(posRange.start, posRange.end, 'no arguments for aggregate expression provided');
      return agg;
    }
    const withParam = ['topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio'].includes(op);
    if (withParam && (op === 'limitk' || op === 'limit_ratio') && !this.opts.experimentalFunctions) {
      this.addError(
        posRange.start,
        posRange.end,
        `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`,
      );
      return agg;
    }
    const desired = withParam ? 2 : 1;
    if (withParam) agg.param = args[0] as Expr;
    if (args.length !== desired) {
      this.addError(
        posRange.start,
        posRange.end,
        `wrong number of arguments for aggregate expression provided, expected ${desired}, got ${args.length}`,
      );
    }
    return agg;
  }

  groupingLabels(node: SyntaxNode): string[] {
    const out: string[] = [];
    for (const label of children(node)) {
      const quoted = label.name === 'QuotedLabelName';
      const name = quoted ? this.string(label.firstChild as SyntaxNode) : this.text(label);
      // In Prometheus 3 any non-empty UTF-8 string is a label name.
      if (name === '') this.addError(label.from, label.to, `invalid label name for grouping: ${goQuote(name)}`);
      out.push(name);
    }
    return out;
  }

  // ---- literals

  /** A number literal; `unsigned` reads it without its sign (a chain applies the sign itself). */
  numberLiteral(node: SyntaxNode, unsigned = false): NumberLiteral {
    const sign = unsigned ? undefined : this.leadingSign(node);
    const item = this.items.find(
      (i) => i.pos >= node.from && i.pos < node.to && (i.type === 'NUMBER' || i.type === 'DURATION'),
    );
    let val = 0;
    let duration = false;
    if (item?.type === 'DURATION') {
      duration = true;
      try {
        val = parseDuration(item.val) / 1000;
      } catch (err) {
        this.addError(item.pos, item.pos + item.val.length, (err as Error).message);
      }
    } else if (item) {
      val = this.number(item);
    }
    if (sign?.op === '-') val = -val;
    const start = unsigned && item ? item.pos : node.from;
    return { type: 'NumberLiteral', val, duration, posRange: { start, end: node.to } };
  }

  /** Upstream's parser.number: Go's ParseInt with base prefixes, then ParseFloat. */
  number(item: Item): number {
    const v = literalValue(item);
    if (typeof v === 'number') return v;
    this.addError(item.pos, item.pos + item.val.length, v.error);
    return 0;
  }

  string(node: SyntaxNode): string {
    const raw = this.text(node);
    try {
      return unquote(raw);
    } catch (err) {
      this.addError(node.from, node.to, `error unquoting string ${goQuote(raw)}: ${(err as Error).message}`);
      return '';
    }
  }

  // ---- helpers

  text(node: SyntaxNode): string {
    return this.query.slice(node.from, node.to);
  }

  /** The first item of `type` at or after `pos`. */
  itemAt(pos: number, type: Item['type']): Item | undefined {
    return this.items.find((i) => i.pos >= pos && i.type === type);
  }
}

/** A node's children that carry meaning: no comments, no keyword or punctuation nodes. */
function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (c.name === 'LineComment' || SKIPPED.has(c.name)) continue;
    out.push(c);
  }
  return out;
}

/** Keyword nodes whose meaning is their parent's type. */
const SKIPPED = new Set(['Offset', 'At']);

function range(node: SyntaxNode): PositionRange {
  return { start: node.from, end: node.to };
}

/** Seconds (possibly fractional) to ms, as upstream: round to ns, then truncate to ms. */
function secondsToMs(seconds: number): number {
  return Math.trunc(Math.round(seconds * 1e9) / 1e6);
}

/** Go's `%f` of a float64 (6 decimals; +Inf, -Inf, NaN spelled as Go spells them). */
export function goFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return v.toFixed(6);
}

type ChainPart =
  | { kind: 'operand'; node: SyntaxNode; unsigned: boolean }
  | { kind: 'binary'; node: SyntaxNode }
  | { kind: 'unary'; op: '+' | '-'; pos: number }
  | { kind: 'postfix'; node: SyntaxNode; inner: SyntaxNode; rest: SyntaxNode[] };

/** Upstream's precedences (generated_parser.y): `or` < `and unless` < comparisons < `+ -` < `* / % atan2` < `^`. */
const PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '>': 3,
  '<': 3,
  '>=': 3,
  '<=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  atan2: 5,
  '^': 6,
};
/** A unary operator has `*`'s precedence upstream (`unary_op expr %prec MUL`). */
const UNARY_PRECEDENCE = 5;

/** Precedence climbing over a flattened chain: left-associative except `^`; postfix binds tightest. */
class ChainParser {
  #i = 0;

  constructor(
    private readonly parts: readonly ChainPart[],
    private readonly builder: Builder,
  ) {}

  parse(): Expr {
    return this.expr(0);
  }

  expr(minPrecedence: number): Expr {
    let lhs = this.prefix();
    for (;;) {
      const part = this.parts[this.#i];
      if (part?.kind !== 'binary') return lhs;
      const op = BINARY_OPS[(children(part.node)[1] as SyntaxNode).name] as BinaryOp;
      const p = PRECEDENCE[op];
      if (p < minPrecedence) return lhs;
      this.#i++;
      const rhs = this.expr(op === '^' ? p : p + 1);
      lhs = this.builder.binaryOf(part.node, lhs, rhs);
    }
  }

  /** A unary operation, or an operand with its postfix modifiers. */
  prefix(): Expr {
    const part = this.parts[this.#i++];
    if (part?.kind === 'unary') {
      // Its operand stops before operators of its own precedence or lower: `-a * b` is (-a) * b,
      // `-a ^ b` is -(a ^ b).
      return this.builder.unaryOf(part.op, part.pos, this.expr(UNARY_PRECEDENCE + 1));
    }
    if (part?.kind !== 'operand') throw new Error('malformed operator chain');
    let expr = this.builder.operand(part);
    for (let next = this.parts[this.#i]; next?.kind === 'postfix'; next = this.parts[this.#i]) {
      this.#i++;
      expr = this.builder.postfix(expr, next);
    }
    return expr;
  }
}
