/**
 * The error a malformed query gets, worded as upstream's parser words it.
 *
 * lezer's grammar says *where* a query stops making sense; upstream's message depends on its lexer
 * (which may fail first, and then its error is the one reported), on literals its actions refuse
 * before the failing token is read (`error parsing number`), and on the yacc rule whose error
 * production catches the token (`unexpected "}" in label matching, expected string`). This module
 * takes the token at lezer's error position from upstream's lexer and finds the innermost
 * construct open there, the way yacc's error recovery would: label matchers, grouping labels,
 * brackets, `offset`, `@`, or an aggregation's body. Function calls and parentheses have no error
 * production upstream, so an error inside them is reported plainly (`unexpected identifier "x"`).
 */
import type { ParseErrorDetail } from '../errors.js';
import { FUNCTIONS } from './functions.js';
import { compileRegex, RegexError } from '../../regex/index.js';
import { goQuote, type Item, type ItemType, isAggregator, itemDesc } from './lexer.js';
import { unquote } from './unquote.js';

/** A number or duration token's value in seconds, or the error upstream's action gives it. */
export type LiteralValue = (item: Item) => number | { error: string };

export function explainSyntaxError(
  query: string,
  items: readonly Item[],
  lexError: Item | undefined,
  lezerErrorAt: number | undefined,
  literalValue: LiteralValue,
): ParseErrorDetail {
  const at = lezerErrorAt === undefined ? -1 : items.findIndex((i) => i.pos + Math.max(i.val.length, 1) > lezerErrorAt);
  const token = at >= 0 ? (items[at] as Item) : undefined;
  const roles = keywordRoles(items);
  // Where upstream's parser fails: at lezer's failing token, or at the lexer's error if that is
  // read first (items stop before it, so its index is items.length). A one-letter unknown
  // function's arguments were hidden from lezer (see lezerText in parse.ts): upstream reads on.
  const lexFirst = lexError !== undefined && (!token || token.type === 'EOF' || token.pos >= lexError.pos);
  const readsOn = !token || insideOneLetterCall(items, at);
  const lexical = lexError !== undefined && (lexFirst || readsOn);
  const failing = lexical || readsOn ? items.length : at;

  // Constructs complete before that point were reduced, and refused, before it was read.
  const reduced = reductionError(items, failing, lexical, literalValue, roles);
  if (reduced) return reduced;
  if (lexical && lexError) return { start: lexError.pos, end: query.length, message: lexError.val };
  if (!token) return { start: 0, end: query.length, message: 'unexpected end of input' };

  const unknown = unknownFunction(items, at, lexError);
  if (unknown) return unknown;

  const duration = durationExpression(items, at, roles, lexError, query);
  if (duration) return duration;

  const prev = items[at - 1];
  if (prev?.type === 'COMMA' && insideArguments(items, at, roles)) {
    // Upstream reduces `args ,` with this error before it looks at what follows the comma.
    return { start: prev.pos, end: prev.pos + 1, message: 'trailing commas not allowed in function call args' };
  }
  const context = contextAt(items, at, roles);
  return unexpected(token, context);
}

function unexpected(token: Item, context: string | undefined): ParseErrorDetail {
  const message = `unexpected ${itemDesc(token)}${context ? ` in ${context}` : ''}`;
  return { start: token.pos, end: token.pos + token.val.length, message };
}

/**
 * What each keyword-like token is in its place, as upstream's grammar reads it: aggregation
 * operators, `by`, `without`, `offset`, `start`, `end` and the set operators are also metric names
 * (upstream's metric_identifier), and only act as keywords where an expression cannot start.
 */
type Role = 'metric' | 'aggregation' | 'grouping' | 'grouping-end' | 'offset' | 'operator' | 'other';

export function keywordRoles(items: readonly Item[]): Role[] {
  const roles: Role[] = [];
  const aggBodies: number[] = []; // indexes of `)` that close an aggregation body
  const stack: Array<'agg' | 'list' | 'other'> = [];
  items.forEach((item, i) => {
    const prev = items[i - 1];
    const next = items[i + 1];
    const prevEnds = prev !== undefined && endsExpression(prev, roles[i - 1]);
    let role: Role = 'other';
    const t = item.type;
    if (isAggregator(t)) {
      role = next?.type === 'LEFT_PAREN' || next?.type === 'BY' || next?.type === 'WITHOUT' ? 'aggregation' : 'metric';
    } else if (t === 'BY' || t === 'WITHOUT') {
      const afterBody = prev?.type === 'RIGHT_PAREN' && aggBodies.includes(i - 1);
      role = roles[i - 1] === 'aggregation' || afterBody ? 'grouping' : 'metric';
    } else if (t === 'ON' || t === 'IGNORING' || t === 'GROUP_LEFT' || t === 'GROUP_RIGHT') {
      role = 'grouping';
    } else if (t === 'OFFSET') {
      role = prevEnds ? 'offset' : 'metric';
    } else if (t === 'START' || t === 'END') {
      role = prev?.type === 'AT' ? 'other' : 'metric';
    } else if (t === 'LAND' || t === 'LOR' || t === 'LUNLESS') {
      role = prevEnds ? 'operator' : 'metric';
    }
    roles.push(role);
    // Track which `(` opens an aggregation body, to know its `)`.
    if (t === 'LEFT_PAREN') {
      const owner = findOwner(items, roles, i);
      // A grouping list before more of its expression: `on (a)`, `group_left (b)`, `sum by (a) (`.
      const list =
        roles[i - 1] === 'grouping' &&
        ((items[i - 1]?.type !== 'BY' && items[i - 1]?.type !== 'WITHOUT') || roles[i - 2] === 'aggregation');
      stack.push(owner === 'aggregation' ? 'agg' : list ? 'list' : 'other');
    } else if (t === 'RIGHT_PAREN') {
      const closed = stack.pop();
      if (closed === 'agg') aggBodies.push(i);
      // Its `)` ends no expression: what follows belongs to the same expression.
      if (closed === 'list') roles[i] = 'grouping-end';
    }
  });
  return roles;
}

/** Whether the `(` at `i` opens an aggregation's body (directly after it, or after its modifier). */
function findOwner(items: readonly Item[], roles: readonly Role[], i: number): Role | undefined {
  if (roles[i - 1] === 'aggregation') return 'aggregation';
  // `sum by (a) (x)`: the body's `(` follows the grouping list's `)`.
  if (items[i - 1]?.type === 'RIGHT_PAREN') {
    let depth = 0;
    for (let j = i - 1; j >= 0; j--) {
      const t = (items[j] as Item).type;
      if (t === 'RIGHT_PAREN') depth++;
      else if (t === 'LEFT_PAREN' && --depth === 0) {
        return roles[j - 1] === 'grouping' && roles[j - 2] === 'aggregation' ? 'aggregation' : undefined;
      }
    }
  }
  return undefined;
}

/** Whether an expression can end with this token. */
export function endsExpression(prev: Item | undefined, role: string | undefined): boolean {
  if (!prev || role === 'grouping-end') return false;
  if (role === 'metric') return true;
  return [
    'IDENTIFIER',
    'METRIC_IDENTIFIER',
    'NUMBER',
    'DURATION',
    'STRING',
    'RIGHT_PAREN',
    'RIGHT_BRACE',
    'RIGHT_BRACKET',
  ].includes(prev.type);
}

type Frame =
  | { kind: 'paren' | 'call' | 'braces' | 'brackets' }
  | { kind: 'agg'; opened: boolean }
  | { kind: 'grouping'; opened: boolean; keyword: ItemType };

/** The constructs open before token `at`, innermost last. */
function openFrames(items: readonly Item[], at: number, roles: readonly Role[]): Frame[] {
  const stack: Frame[] = [];
  for (let i = 0; i < at; i++) {
    const item = items[i] as Item;
    let top = stack[stack.length - 1];
    // `group_left` without a list: what follows is the right-hand side, not a list.
    if (top?.kind === 'grouping' && !top.opened && item.type !== 'LEFT_PAREN') {
      stack.pop();
      top = stack[stack.length - 1];
    }
    switch (item.type) {
      case 'LEFT_PAREN':
        if (top?.kind === 'grouping' && !top.opened) top.opened = true;
        else if (top?.kind === 'agg' && !top.opened) top.opened = true;
        else if (items[i - 1]?.type === 'IDENTIFIER') stack.push({ kind: 'call' });
        else stack.push({ kind: 'paren' });
        break;
      case 'RIGHT_PAREN':
        // A closed grouping list ends its frame; a closed aggregation body ends the aggregation.
        stack.pop();
        break;
      case 'LEFT_BRACE':
        stack.push({ kind: 'braces' });
        break;
      case 'RIGHT_BRACE':
        if (top?.kind === 'braces') stack.pop();
        break;
      case 'LEFT_BRACKET':
        stack.push({ kind: 'brackets' });
        break;
      case 'RIGHT_BRACKET':
        if (top?.kind === 'brackets') stack.pop();
        break;
      default:
        if (roles[i] === 'aggregation') stack.push({ kind: 'agg', opened: false });
        else if (roles[i] === 'grouping') stack.push({ kind: 'grouping', opened: false, keyword: item.type });
    }
  }
  return stack;
}

/** The `in …, expected …` part of upstream's message for an error at token `at`, if any. */
function contextAt(items: readonly Item[], at: number, roles: readonly Role[]): string | undefined {
  const prev = items[at - 1];
  const prev2 = items[at - 2];
  const sign = (i: Item | undefined) => i?.type === 'SUB' || i?.type === 'ADD';
  if (roles[at - 1] === 'offset' || (sign(prev) && roles[at - 2] === 'offset')) {
    return 'offset, expected number or duration';
  }
  if (
    prev?.type === 'AT' ||
    (sign(prev) && prev2?.type === 'AT') ||
    ((prev?.type === 'START' || prev?.type === 'END') && prev2?.type === 'AT')
  ) {
    return '@, expected timestamp';
  }
  const frames = openFrames(items, at, roles);
  for (let i = frames.length - 1; i >= 0; i--) {
    const frame = frames[i] as Frame;
    switch (frame.kind) {
      case 'braces':
        return labelMatchingContext(items, at);
      case 'grouping':
        if (!frame.opened) {
          // `group_left` takes an optional list: a token that can start an expression is the
          // right-hand side, anything else is reported as a missing list.
          return 'grouping opts, expected "("';
        }
        return prev?.type === 'LEFT_PAREN' || prev?.type === 'COMMA'
          ? 'grouping opts, expected label'
          : 'grouping opts, expected "," or ")"';
      case 'brackets':
        return bracketContext(items, at);
      case 'agg':
        return 'aggregation';
      default:
        // Calls and parentheses have no error production upstream: look further out.
        continue;
    }
  }
  return undefined;
}

function labelMatchingContext(items: readonly Item[], at: number): string {
  const prev = items[at - 1];
  const isMatchOp = (t: ItemType | undefined) => t === 'EQL' || t === 'NEQ' || t === 'EQL_REGEX' || t === 'NEQ_REGEX';
  if (!prev || prev.type === 'LEFT_BRACE' || prev.type === 'COMMA') return 'label matching, expected identifier or "}"';
  if (isMatchOp(prev.type)) return 'label matching, expected string';
  if (prev.type === 'IDENTIFIER') return 'label matching, expected label matching operator';
  return 'label matching, expected "," or "}"';
}

function bracketContext(items: readonly Item[], at: number): string {
  const prev = items[at - 1];
  const hadColon = lastOf(items, at, (t) => t === 'COLON' || t === 'LEFT_BRACKET')?.type === 'COLON';
  if (prev?.type === 'LEFT_BRACKET') return 'subquery selector, expected number or duration';
  if (prev?.type === 'COLON') return 'subquery selector, expected number or duration or "]"';
  if (hadColon) return 'subquery selector, expected "]"';
  return 'subquery or range, expected ":" or "]"';
}

/** The last item before `at` whose type satisfies `test`. */
function lastOf(items: readonly Item[], at: number, test: (t: ItemType) => boolean): Item | undefined {
  for (let i = at - 1; i >= 0; i--) if (test((items[i] as Item).type)) return items[i];
  return undefined;
}

/** Whether token `at` is inside a function call's or aggregation's argument list. */
function insideArguments(items: readonly Item[], at: number, roles: readonly Role[]): boolean {
  const frames = openFrames(items, at, roles);
  const top = frames[frames.length - 1];
  return top?.kind === 'call' || (top?.kind === 'agg' && top.opened);
}

/**
 * A name upstream reads as a function call when `(` follows; lezer fails at the parenthesis.
 * parse.ts gives lezer a known name in their place, so this only sees names it could not replace
 * (one letter followed directly by `(`). Upstream reports the name once the call is read: a lexer
 * error after it comes first.
 */
function unknownFunction(items: readonly Item[], at: number, lexError: Item | undefined): ParseErrorDetail | undefined {
  const ident = items[at - 1];
  if (lexError || ident?.type !== 'IDENTIFIER' || items[at]?.type !== 'LEFT_PAREN') return undefined;
  return { start: ident.pos, end: ident.pos + ident.val.length, message: `unknown function with name "${ident.val}"` };
}

/**
 * The first error upstream's actions raise for a construct complete before item `readTo`: a call
 * to an unknown function, a literal it cannot read, a range that is not positive, a regex that
 * does not compile, an empty grouping label. Upstream reduces each when it reads the next token.
 */
function reductionError(
  items: readonly Item[],
  failing: number,
  lexical: boolean,
  literalValue: LiteralValue,
  roles: readonly Role[],
): ParseErrorDetail | undefined {
  // `reducedAt`: the last item read when upstream reduces the construct. Most reduce as soon as
  // their last token is read; a range must see the token after it (an operator would continue it).
  const errors: Array<ParseErrorDetail & { reducedAt: number }> = [];
  const call = completedUnknownCall(items, failing);
  if (call) errors.push(call);
  for (let i = 0; i < failing && i < items.length; i++) {
    const item = items[i] as Item;
    const end = item.pos + item.val.length;
    if (item.type === 'NUMBER' || item.type === 'DURATION') {
      const value = literalValue(item);
      if (typeof value !== 'number') {
        errors.push({ start: item.pos, end, message: value.error, reducedAt: i });
      } else if (isRangeLiteral(items, i, failing) && !(signedValue(items, i, value) > 0)) {
        const message = 'duration must be greater than 0';
        errors.push({ start: signedStart(items, i), end, message, reducedAt: i + 1 });
      }
    } else if (item.type === 'STRING' && (items[i - 1]?.type === 'EQL_REGEX' || items[i - 1]?.type === 'NEQ_REGEX')) {
      const label = items[i - 2] as Item;
      const problem = regexProblem(item.val);
      if (problem) errors.push({ start: label.pos, end, message: problem, reducedAt: i });
    } else if (item.type === 'STRING' && /^(""|''|``)$/.test(item.val) && inGroupingList(items, i, roles)) {
      errors.push({ start: item.pos, end, message: 'invalid label name for grouping: ""', reducedAt: i });
    }
  }
  // Shifted tokens are before the failing one. A reduction that looks at the next token happens
  // before a syntax error at that token, but after a lexer error there (recorded when it is read).
  const happened = (e: { reducedAt: number }) => (lexical ? e.reducedAt < failing : e.reducedAt <= failing);
  return errors.filter(happened).sort((a, b) => a.reducedAt - b.reducedAt)[0];
}

/** Whether item `n` is a label in the parentheses of `by (…)`, `on (…)` and the like. */
export function inGroupingList(items: readonly Item[], n: number, roles: readonly string[]): boolean {
  for (let i = n - 1; i >= 0; i--) {
    const item = items[i] as Item;
    if (item.type === 'LEFT_PAREN') return roles[i - 1] === 'grouping';
    if (item.type !== 'COMMA' && item.type !== 'STRING' && !/^[a-zA-Z_:]/.test(item.val)) return false;
  }
  return false;
}

/** The regex error upstream gives a matcher's value, if its string holds a bad regex. */
function regexProblem(quoted: string): string | undefined {
  try {
    compileRegex(unquote(quoted));
    return undefined;
  } catch (err) {
    return err instanceof RegexError ? err.message : undefined;
  }
}

/**
 * Whether item `at` is directly inside a one-letter unknown function's parentheses (a comma, or
 * the `)` of an empty list), which lezer was given as `-(…)` and so failed on (see lezerText).
 */
function insideOneLetterCall(items: readonly Item[], at: number): boolean {
  const t = items[at]?.type;
  if (t !== 'COMMA' && !(t === 'RIGHT_PAREN' && items[at - 1]?.type === 'LEFT_PAREN')) return false;
  if (t === 'RIGHT_PAREN') {
    const ident = items[at - 2];
    return ident?.type === 'IDENTIFIER' && !FUNCTIONS.has(ident.val);
  }
  let depth = 0;
  for (let i = at - 1; i >= 0; i--) {
    const t = (items[i] as Item).type;
    if (t === 'RIGHT_PAREN') depth++;
    else if (t === 'LEFT_PAREN' && depth-- === 0) {
      const ident = items[i - 1];
      return ident?.type === 'IDENTIFIER' && !FUNCTIONS.has(ident.val);
    }
  }
  return false;
}

/** The first `name(…)` with an unknown name whose `)` comes before item `end`. */
function completedUnknownCall(
  items: readonly Item[],
  end: number,
): (ParseErrorDetail & { reducedAt: number }) | undefined {
  for (let i = 0; i + 1 < end; i++) {
    const ident = items[i] as Item;
    if (ident.type !== 'IDENTIFIER' || items[i + 1]?.type !== 'LEFT_PAREN' || FUNCTIONS.has(ident.val)) continue;
    let depth = 0;
    for (let j = i + 1; j < end; j++) {
      const t = (items[j] as Item).type;
      if (t === 'LEFT_PAREN') depth++;
      else if (t === 'RIGHT_PAREN' && --depth === 0) {
        const message = `unknown function with name ${goQuote(ident.val)}`;
        return { start: ident.pos, end: ident.pos + ident.val.length, message, reducedAt: j };
      }
    }
  }
  return undefined;
}

/**
 * Whether token `i` is a whole range or subquery step (`[5m]`, `[5m:1m]`), which upstream's
 * positive_duration_expr checks as soon as it is read.
 */
function isRangeLiteral(items: readonly Item[], i: number, at: number): boolean {
  const before = items[i - 1];
  const signed = before?.type === 'SUB' || before?.type === 'ADD';
  const opener = items[signed ? i - 2 : i - 1];
  const after = items[i + 1];
  if (opener?.type !== 'LEFT_BRACKET' && !(opener?.type === 'COLON' && opener.val === ':')) return false;
  // An operator after it continues a duration expression; anything else completes the literal.
  return i + 1 <= at && (after === undefined || BINDING[after.type] === undefined);
}

function signedValue(items: readonly Item[], i: number, value: number): number {
  return items[i - 1]?.type === 'SUB' ? -value : value;
}

/** Where a literal starts, its sign included (upstream folds a sign into the literal). */
function signedStart(items: readonly Item[], i: number): number {
  const before = items[i - 1];
  const opener = items[i - 2];
  if (
    (before?.type === 'SUB' || before?.type === 'ADD') &&
    (opener?.type === 'LEFT_BRACKET' || opener?.type === 'COLON')
  ) {
    return before.pos;
  }
  return (items[i] as Item).pos;
}

/**
 * Arithmetic in a range, step or offset (`foo[5m+1m]`) is upstream's experimental duration
 * expression. Without its feature flag upstream parses it, then refuses it at the first operation
 * it reduces (LR order: the left operand of the first complete operation, or what a parenthesis
 * holds); a token the duration grammar cannot take is unexpected there. lezer has no such grammar
 * and fails somewhere inside it.
 */
function durationExpression(
  items: readonly Item[],
  at: number,
  roles: readonly Role[],
  lexError: Item | undefined,
  query: string,
): ParseErrorDetail | undefined {
  let start = -1;
  let inOffset = false;
  let inStep = false;
  for (let i = at; i >= 0; i--) {
    const item = items[i] as Item;
    if (item.type === 'LEFT_BRACKET' || (item.type === 'COLON' && item.val === ':')) {
      const opener = lastOf(items, i + 1, (t) => t === 'LEFT_BRACKET') as Item;
      const before = items[items.indexOf(opener) - 1];
      if (!before || !endsExpression(before, roles[items.indexOf(opener) - 1])) return undefined;
      start = i + 1;
      inStep = item.type === 'COLON';
      break;
    }
    if (roles[i] === 'offset') {
      start = i + 1;
      inOffset = true;
      break;
    }
    if (!DURATION_TOKENS.has(item.type) || item.type === 'COLON') return undefined;
  }
  if (start < 0 || start > at) return undefined;
  const parser = new DurationParser(items, start);
  const outcome = parser.parse();
  if (outcome.first !== undefined) {
    return { start: outcome.first, end: outcome.first, message: 'experimental duration expression is not enabled' };
  }
  const failedAt = outcome.failedAt;
  if (failedAt === undefined) return undefined;
  const token = items[failedAt];
  // Reading on hit the lexer's error: that is what upstream reports.
  if (lexError && (!token || token.type === 'EOF'))
    return { start: lexError.pos, end: query.length, message: lexError.val };
  if (!token) return undefined;
  // Upstream's error production for the duration part catches the token.
  const context = inOffset
    ? 'offset, expected number or duration'
    : inStep
      ? 'subquery selector, expected number or duration or "]"'
      : 'subquery selector, expected number or duration';
  return unexpected(token, context);
}

const DURATION_TOKENS = new Set<ItemType>([
  'NUMBER',
  'DURATION',
  'ADD',
  'SUB',
  'MUL',
  'DIV',
  'MOD',
  'POW',
  'LEFT_PAREN',
  'RIGHT_PAREN',
  'COLON',
]);

/** Binding power of duration operators: `^` (right-assoc) above unary and `* / %`, above `+ -`. */
const BINDING: Partial<Record<ItemType, number>> = { ADD: 1, SUB: 1, MUL: 2, DIV: 2, MOD: 2, POW: 3 };
const UNARY_BINDING = 2;

class Unexpected extends Error {
  constructor(readonly index: number) {
    super('unexpected');
  }
}

/** A Pratt parser over duration tokens that notes the first operation completed, in LR order. */
class DurationParser {
  #i: number;
  #first: number | undefined;

  constructor(
    private readonly items: readonly Item[],
    start: number,
  ) {
    this.#i = start;
  }

  /** The position upstream reports for the first operation, or where the tokens stop fitting. */
  parse(): { first: number | undefined; failedAt: number | undefined } {
    try {
      this.expr(0);
      return { first: this.#first, failedAt: undefined };
    } catch (err) {
      if (!(err instanceof Unexpected)) throw err;
      return { first: this.#first, failedAt: err.index };
    }
  }

  /** Parses an expression; returns its start position. */
  expr(minBinding: number): number {
    const start = this.operand();
    for (;;) {
      const op = this.items[this.#i];
      const binding = op ? BINDING[op.type] : undefined;
      if (binding === undefined || binding < minBinding || (binding === minBinding && op?.type !== 'POW')) break;
      this.#i++;
      this.expr(op?.type === 'POW' ? binding : binding + 1);
      this.#first ??= start; // a binary operation reduced: upstream checks its left operand
    }
    return start;
  }

  operand(): number {
    const t = this.items[this.#i];
    if (!t) throw new Unexpected(this.#i);
    if (t.type === 'ADD' || t.type === 'SUB') {
      this.#i++;
      this.expr(UNARY_BINDING + 1);
      return t.pos;
    }
    if (t.type === 'LEFT_PAREN') {
      this.#i++;
      const inner = this.expr(0);
      if (this.items[this.#i]?.type !== 'RIGHT_PAREN') throw new Unexpected(this.#i);
      this.#i++;
      this.#first ??= inner; // a parenthesis reduced: upstream checks what it holds
      return t.pos;
    }
    if (t.type === 'NUMBER' || t.type === 'DURATION') {
      this.#i++;
      return t.pos;
    }
    throw new Unexpected(this.#i);
  }
}
