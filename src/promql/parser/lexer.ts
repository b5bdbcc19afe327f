/**
 * PromQL's lexer as upstream's promql/parser/lex.go has it: the same states, the same tokens and the
 * same error texts. The grammar itself is @prometheus-io/lezer-promql's; this lexer exists for what
 * that grammar cannot tell: the exact error a malformed query gets (`unclosed left parenthesis`,
 * `bad number or duration syntax: "5mm"`, …) and the token a syntax error is reported at, worded as
 * upstream words it. Positions are indices into the query string (error messages convert them to
 * upstream's byte columns).
 */

export type ItemType =
  | 'EOF'
  | 'ERROR'
  | 'COMMENT'
  | 'IDENTIFIER'
  | 'METRIC_IDENTIFIER'
  | 'NUMBER'
  | 'DURATION'
  | 'STRING'
  | 'LEFT_PAREN'
  | 'RIGHT_PAREN'
  | 'LEFT_BRACE'
  | 'RIGHT_BRACE'
  | 'LEFT_BRACKET'
  | 'RIGHT_BRACKET'
  | 'COMMA'
  | 'EQL'
  | 'COLON'
  | 'AT'
  | Operator
  | Aggregator
  | Keyword;

type Operator =
  | 'ADD'
  | 'DIV'
  | 'EQLC'
  | 'EQL_REGEX'
  | 'GTE'
  | 'GTR'
  | 'LAND'
  | 'LOR'
  | 'LSS'
  | 'LTE'
  | 'LUNLESS'
  | 'MOD'
  | 'MUL'
  | 'NEQ'
  | 'NEQ_REGEX'
  | 'POW'
  | 'SUB'
  | 'ATAN2';
type Aggregator =
  | 'AVG'
  | 'BOTTOMK'
  | 'COUNT'
  | 'COUNT_VALUES'
  | 'GROUP'
  | 'MAX'
  | 'MIN'
  | 'QUANTILE'
  | 'STDDEV'
  | 'STDVAR'
  | 'SUM'
  | 'TOPK'
  | 'LIMITK'
  | 'LIMIT_RATIO';
type Keyword =
  | 'BOOL'
  | 'BY'
  | 'GROUP_LEFT'
  | 'GROUP_RIGHT'
  | 'IGNORING'
  | 'OFFSET'
  | 'ON'
  | 'WITHOUT'
  | 'START'
  | 'END';

export interface Item {
  type: ItemType;
  /** Index of the item's first character. */
  pos: number;
  /** The text, or for ERROR the message. */
  val: string;
}

/** Upstream's `key` map: keywords, set operators and aggregators (case-insensitive), and inf/nan. */
const KEYWORDS: Readonly<Record<string, ItemType>> = {
  and: 'LAND',
  or: 'LOR',
  unless: 'LUNLESS',
  atan2: 'ATAN2',
  sum: 'SUM',
  avg: 'AVG',
  count: 'COUNT',
  min: 'MIN',
  max: 'MAX',
  group: 'GROUP',
  stddev: 'STDDEV',
  stdvar: 'STDVAR',
  topk: 'TOPK',
  bottomk: 'BOTTOMK',
  count_values: 'COUNT_VALUES',
  quantile: 'QUANTILE',
  limitk: 'LIMITK',
  limit_ratio: 'LIMIT_RATIO',
  offset: 'OFFSET',
  by: 'BY',
  without: 'WITHOUT',
  on: 'ON',
  ignoring: 'IGNORING',
  group_left: 'GROUP_LEFT',
  group_right: 'GROUP_RIGHT',
  bool: 'BOOL',
  start: 'START',
  end: 'END',
  inf: 'NUMBER',
  nan: 'NUMBER',
};

const OPERATORS = new Set<ItemType>([
  'ADD',
  'DIV',
  'EQLC',
  'EQL_REGEX',
  'GTE',
  'GTR',
  'LAND',
  'LOR',
  'LSS',
  'LTE',
  'LUNLESS',
  'MOD',
  'MUL',
  'NEQ',
  'NEQ_REGEX',
  'POW',
  'SUB',
  'AT',
  'ATAN2',
]);
const AGGREGATORS = new Set<ItemType>([
  'AVG',
  'BOTTOMK',
  'COUNT',
  'COUNT_VALUES',
  'GROUP',
  'MAX',
  'MIN',
  'QUANTILE',
  'STDDEV',
  'STDVAR',
  'SUM',
  'TOPK',
  'LIMITK',
  'LIMIT_RATIO',
]);
const KEYWORD_TYPES = new Set<ItemType>([
  'BOOL',
  'BY',
  'GROUP_LEFT',
  'GROUP_RIGHT',
  'IGNORING',
  'OFFSET',
  'ON',
  'WITHOUT',
]);

/** Upstream's ItemTypeStr: the types that print as their text. */
const TYPE_TEXT: ReadonlyMap<ItemType, string> = new Map<ItemType, string>([
  ['LEFT_PAREN', '('],
  ['RIGHT_PAREN', ')'],
  ['LEFT_BRACE', '{'],
  ['RIGHT_BRACE', '}'],
  ['LEFT_BRACKET', '['],
  ['RIGHT_BRACKET', ']'],
  ['COMMA', ','],
  ['EQL', '='],
  ['COLON', ':'],
  ['SUB', '-'],
  ['ADD', '+'],
  ['MUL', '*'],
  ['MOD', '%'],
  ['DIV', '/'],
  ['EQLC', '=='],
  ['NEQ', '!='],
  ['LTE', '<='],
  ['LSS', '<'],
  ['GTE', '>='],
  ['GTR', '>'],
  ['EQL_REGEX', '=~'],
  ['NEQ_REGEX', '!~'],
  ['POW', '^'],
  ...Object.entries(KEYWORDS)
    .filter(([, t]) => t !== 'NUMBER')
    .map(([text, t]) => [t, text] as [ItemType, string]),
]);

export const isOperator = (t: ItemType): boolean => OPERATORS.has(t);
export const isAggregator = (t: ItemType): boolean => AGGREGATORS.has(t);
const isKeyword = (t: ItemType): boolean => KEYWORD_TYPES.has(t);

/** Upstream's Item.String(). */
export function itemString(i: Item): string {
  if (i.type === 'EOF') return 'EOF';
  if (i.type === 'ERROR') return i.val;
  if (i.type === 'IDENTIFIER' || i.type === 'METRIC_IDENTIFIER') return goQuote(i.val);
  if (isKeyword(i.type)) return `<${i.val}>`;
  if (isOperator(i.type)) return `<op:${i.val}>`;
  if (isAggregator(i.type)) return `<aggr:${i.val}>`;
  // %.10q: the first ten characters, quoted.
  if ([...i.val].length > 10) return `${goQuote([...i.val].slice(0, 10).join(''))}...`;
  return goQuote(i.val);
}

/** Upstream's Item.desc(), as syntax errors name the token: `identifier "foo"`, `end of input`, `<op:*>`. */
export function itemDesc(i: Item): string {
  if (TYPE_TEXT.has(i.type)) return itemString(i);
  if (i.type === 'EOF') return 'end of input';
  return `${typeDesc(i.type)} ${itemString(i)}`;
}

function typeDesc(t: ItemType): string {
  switch (t) {
    case 'ERROR':
      return 'error';
    case 'COMMENT':
      return 'comment';
    case 'IDENTIFIER':
      return 'identifier';
    case 'METRIC_IDENTIFIER':
      return 'metric identifier';
    case 'STRING':
      return 'string';
    case 'NUMBER':
      return 'number';
    case 'DURATION':
      return 'duration';
    default:
      // Upstream quotes ItemType.String(), which for AT (not in ItemTypeStr) is "<Item N>" with
      // the token's number in its generated parser: 57400 at v3.5.3.
      return goQuote(TYPE_TEXT.get(t) ?? (t === 'AT' ? '<Item 57400>' : `<Item ${t}>`));
  }
}

const EOF = -1;
type State = ((l: Lexer) => State) | null;

/** Upstream's Lexer: call `next()` until it returns EOF or ERROR. */
export class Lexer {
  readonly #input: string;
  #state: State = lexStatements;
  pos = 0;
  start = 0;
  width = 0;
  #item: Item | undefined;
  parenDepth = 0;
  braceOpen = false;
  bracketOpen = false;
  gotColon = false;
  gotDuration = false;
  stringOpen = 0;

  constructor(input: string) {
    this.#input = input;
  }

  get input(): string {
    return this.#input;
  }

  /** The next item (comments included); EOF forever once the input is done or an error was emitted. */
  nextItem(): Item {
    this.#item = undefined;
    if (this.#state) {
      while (!this.#item && this.#state) this.#state = this.#state(this);
    }
    if (!this.#item) this.emit('EOF');
    return this.#item as unknown as Item;
  }

  /** The next rune's code point, or EOF. */
  next(): number {
    if (this.pos >= this.#input.length) {
      this.width = 0;
      return EOF;
    }
    const r = this.#input.codePointAt(this.pos) as number;
    this.width = r > 0xffff ? 2 : 1;
    this.pos += this.width;
    return r;
  }

  peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  backup(): void {
    this.pos -= this.width;
  }

  emit(type: ItemType): void {
    this.#item = { type, pos: this.start, val: this.#input.slice(this.start, this.pos) };
    this.start = this.pos;
  }

  ignore(): void {
    this.start = this.pos;
  }

  accept(valid: string): boolean {
    const r = this.next();
    if (r !== EOF && valid.includes(String.fromCodePoint(r))) return true;
    this.backup();
    return false;
  }

  is(valid: string): boolean {
    const r = this.peek();
    return r !== EOF && valid.includes(String.fromCodePoint(r));
  }

  acceptRun(valid: string): void {
    while (this.accept(valid)) {
      // consume
    }
  }

  /** Emits an ERROR item with `message` and ends the scan (upstream's errorf returns nil). */
  errorf(message: string): State {
    this.#item = { type: 'ERROR', pos: this.start, val: message };
    return null;
  }

  /** An ERROR item that, as in upstream's lexString/lexEscape, does not end the state machine. */
  errorfContinue(message: string): void {
    this.#item = { type: 'ERROR', pos: this.start, val: message };
  }

  slice(from: number, to: number): string {
    return this.#input.slice(from, to);
  }

  get rest(): string {
    return this.#input.slice(this.pos);
  }
}

const isSpace = (r: number) => r === 0x20 || r === 0x09 || r === 0x0a || r === 0x0d;
const isDigit = (r: number) => r >= 0x30 && r <= 0x39;
const isAlpha = (r: number) => r === 0x5f || (r >= 0x61 && r <= 0x7a) || (r >= 0x41 && r <= 0x5a);
const isAlphaNumeric = (r: number) => isAlpha(r) || isDigit(r);
const isEndOfLine = (r: number) => r === 0x0d || r === 0x0a;
const ch = (c: string) => c.codePointAt(0) as number;

function lexStatements(l: Lexer): State {
  if (l.braceOpen) return lexInsideBraces;
  if (l.rest.startsWith('#')) return lexLineComment;
  const r = l.next();
  switch (true) {
    case r === EOF:
      if (l.parenDepth !== 0) return l.errorf('unclosed left parenthesis');
      if (l.bracketOpen) return l.errorf('unclosed left bracket');
      l.emit('EOF');
      return null;
    case r === ch(','):
      l.emit('COMMA');
      break;
    case isSpace(r):
      return lexSpace;
    case r === ch('*'):
      l.emit('MUL');
      break;
    case r === ch('/'):
      l.emit('DIV');
      break;
    case r === ch('%'):
      l.emit('MOD');
      break;
    case r === ch('+'):
      l.emit('ADD');
      break;
    case r === ch('-'):
      l.emit('SUB');
      break;
    case r === ch('^'):
      l.emit('POW');
      break;
    case r === ch('='): {
      const t = l.peek();
      if (t === ch('=')) {
        l.next();
        l.emit('EQLC');
      } else if (t === ch('~')) {
        return l.errorf(`unexpected character after '=': ${quoteRune(t)}`);
      } else {
        l.emit('EQL');
      }
      break;
    }
    case r === ch('!'): {
      const t = l.next();
      if (t !== ch('=')) return l.errorf(`unexpected character after '!': ${quoteRune(t)}`);
      l.emit('NEQ');
      break;
    }
    case r === ch('<'):
      if (l.peek() === ch('=')) {
        l.next();
        l.emit('LTE');
      } else l.emit('LSS');
      break;
    case r === ch('>'):
      if (l.peek() === ch('=')) {
        l.next();
        l.emit('GTE');
      } else l.emit('GTR');
      break;
    case isDigit(r) || (r === ch('.') && isDigit(l.peek())):
      l.backup();
      return lexNumberOrDuration;
    case r === ch('"') || r === ch("'"):
      l.stringOpen = r;
      return lexString;
    case r === ch('`'):
      l.stringOpen = r;
      return lexRawString;
    case isAlpha(r) || r === ch(':'):
      if (!l.bracketOpen) {
        l.backup();
        return lexKeywordOrIdentifier;
      }
      if (l.gotColon) return l.errorf(`unexpected colon ${quoteRune(r)}`);
      l.emit('COLON');
      l.gotColon = true;
      break;
    case r === ch('('):
      l.emit('LEFT_PAREN');
      l.parenDepth++;
      return lexStatements;
    case r === ch(')'):
      l.emit('RIGHT_PAREN');
      l.parenDepth--;
      if (l.parenDepth < 0) return l.errorf(`unexpected right parenthesis ${quoteRune(r)}`);
      return lexStatements;
    case r === ch('{'):
      l.emit('LEFT_BRACE');
      l.braceOpen = true;
      return lexInsideBraces;
    case r === ch('['):
      if (l.bracketOpen) return l.errorf(`unexpected left bracket ${quoteRune(r)}`);
      l.gotColon = false;
      l.emit('LEFT_BRACKET');
      if (isSpace(l.peek())) skipSpaces(l);
      l.bracketOpen = true;
      return lexDurationExpr;
    case r === ch(']'):
      if (!l.bracketOpen) return l.errorf(`unexpected right bracket ${quoteRune(r)}`);
      l.emit('RIGHT_BRACKET');
      l.bracketOpen = false;
      break;
    case r === ch('@'):
      l.emit('AT');
      break;
    default:
      return l.errorf(`unexpected character: ${quoteRune(r)}`);
  }
  return lexStatements;
}

function lexInsideBraces(l: Lexer): State {
  if (l.rest.startsWith('#')) return lexLineComment;
  const r = l.next();
  switch (true) {
    case r === EOF:
      return l.errorf('unexpected end of input inside braces');
    case isSpace(r):
      return lexSpace;
    case isAlpha(r):
      l.backup();
      return lexIdentifier;
    case r === ch(','):
      l.emit('COMMA');
      break;
    case r === ch('"') || r === ch("'"):
      l.stringOpen = r;
      return lexString;
    case r === ch('`'):
      l.stringOpen = r;
      return lexRawString;
    case r === ch('='):
      if (l.next() === ch('~')) {
        l.emit('EQL_REGEX');
        break;
      }
      l.backup();
      l.emit('EQL');
      break;
    case r === ch('!'): {
      const nr = l.next();
      if (nr === ch('~')) l.emit('NEQ_REGEX');
      else if (nr === ch('=')) l.emit('NEQ');
      else return l.errorf(`unexpected character after '!' inside braces: ${quoteRune(nr)}`);
      break;
    }
    case r === ch('{'):
      return l.errorf(`unexpected left brace ${quoteRune(r)}`);
    case r === ch('}'):
      l.emit('RIGHT_BRACE');
      l.braceOpen = false;
      return lexStatements;
    default:
      return l.errorf(`unexpected character inside braces: ${quoteRune(r)}`);
  }
  return lexInsideBraces;
}

function lexEscape(l: Lexer): State {
  let c = l.next();
  let n: number;
  let base: number;
  let max: number;
  switch (c) {
    case ch('a'):
    case ch('b'):
    case ch('f'):
    case ch('n'):
    case ch('r'):
    case ch('t'):
    case ch('v'):
    case ch('\\'):
    case l.stringOpen:
      return lexString;
    case ch('0'):
    case ch('1'):
    case ch('2'):
    case ch('3'):
    case ch('4'):
    case ch('5'):
    case ch('6'):
    case ch('7'):
      [n, base, max] = [3, 8, 255];
      break;
    case ch('x'):
      c = l.next();
      [n, base, max] = [2, 16, 255];
      break;
    case ch('u'):
      c = l.next();
      [n, base, max] = [4, 16, 0x10ffff];
      break;
    case ch('U'):
      c = l.next();
      [n, base, max] = [8, 16, 0x10ffff];
      break;
    case EOF:
      l.errorfContinue('escape sequence not terminated');
      return lexString;
    default:
      l.errorfContinue(`unknown escape sequence ${goRuneU(c)}`);
      return lexString;
  }
  let x = 0;
  while (n > 0) {
    const d = digitVal(c);
    if (d >= base) {
      if (c === EOF) l.errorfContinue('escape sequence not terminated');
      else l.errorfContinue(`illegal character ${goRuneU(c)} in escape sequence`);
      return lexString;
    }
    x = x * base + d;
    n--;
    if (n > 0) c = l.next();
  }
  if (x > max || (x >= 0xd800 && x < 0xe000)) l.errorfContinue('escape sequence is an invalid Unicode code point');
  return lexString;
}

function digitVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return 16;
}

function skipSpaces(l: Lexer): void {
  while (isSpace(l.peek())) l.next();
  l.ignore();
}

function lexString(l: Lexer): State {
  for (;;) {
    const r = l.next();
    if (r === ch('\\')) return lexEscape;
    if (r === 0xfffd) {
      l.errorfContinue('invalid UTF-8 rune');
      return lexString;
    }
    if (r === EOF || r === 0x0a) return l.errorf('unterminated quoted string');
    if (r === l.stringOpen) break;
  }
  l.emit('STRING');
  return lexStatements;
}

function lexRawString(l: Lexer): State {
  for (;;) {
    const r = l.next();
    if (r === 0xfffd) {
      l.errorfContinue('invalid UTF-8 rune');
      return lexRawString;
    }
    if (r === EOF) {
      l.errorfContinue('unterminated raw string');
      return lexRawString;
    }
    if (r === l.stringOpen) break;
  }
  l.emit('STRING');
  return lexStatements;
}

function lexSpace(l: Lexer): State {
  while (isSpace(l.peek())) l.next();
  l.ignore();
  return lexStatements;
}

function lexLineComment(l: Lexer): State {
  l.pos += 1;
  let r = l.next();
  while (!isEndOfLine(r) && r !== EOF) r = l.next();
  l.backup();
  l.emit('COMMENT');
  return lexStatements;
}

function lexNumberOrDuration(l: Lexer): State {
  if (scanNumber(l)) {
    l.emit('NUMBER');
    return lexStatements;
  }
  if (acceptRemainingDuration(l)) {
    l.backup();
    l.emit('DURATION');
    return lexStatements;
  }
  return l.errorf(`bad number or duration syntax: ${goQuote(l.slice(l.start, l.pos))}`);
}

function acceptRemainingDuration(l: Lexer): boolean {
  if (!l.accept('smhdwy')) return false;
  l.accept('s'); // "ms"
  while (l.accept('0123456789')) {
    while (l.accept('0123456789')) {
      // consume
    }
    if (!l.accept('smhdw')) return false;
    l.accept('s');
  }
  return !isAlphaNumeric(l.next());
}

function scanNumber(l: Lexer): boolean {
  const initialPos = l.pos;
  let digitPattern = '0123456789';
  if (l.accept('0') && l.accept('xX')) {
    l.accept('_');
    digitPattern = '0123456789abcdefABCDEF';
  }
  l.accept('.');
  l.accept(digitPattern);
  let dotConsumed = false;
  let exponentConsumed = false;
  while (l.is(`${digitPattern}._eE`)) {
    if (l.is('.') && dotConsumed) {
      l.accept('.');
      return false;
    }
    if (l.is('eE') && exponentConsumed) {
      l.accept('eE');
      return false;
    }
    if (l.accept('.')) {
      dotConsumed = true;
      if (l.accept('_.')) return false;
      if (digitPattern.length > 10) return false;
      continue;
    }
    if (l.accept('eE')) {
      exponentConsumed = true;
      l.accept('+-');
      if (l.accept('._eE') || l.peek() === EOF) return false;
      continue;
    }
    if (l.accept('_')) {
      if (l.accept('._eE') || l.peek() === EOF) return false;
      continue;
    }
    l.acceptRun(digitPattern);
  }
  if (l.pos === initialPos) return false;
  return !isAlphaNumeric(l.peek());
}

function lexIdentifier(l: Lexer): State {
  while (isAlphaNumeric(l.next())) {
    // consume
  }
  l.backup();
  l.emit('IDENTIFIER');
  return lexStatements;
}

function lexKeywordOrIdentifier(l: Lexer): State {
  for (;;) {
    const r = l.next();
    if (isAlphaNumeric(r) || r === ch(':')) continue;
    l.backup();
    const word = l.slice(l.start, l.pos);
    const kw = KEYWORDS[word.toLowerCase()];
    if (kw) l.emit(kw);
    else if (!word.includes(':')) l.emit('IDENTIFIER');
    else l.emit('METRIC_IDENTIFIER');
    return lexStatements;
  }
}

function lexDurationExpr(l: Lexer): State {
  const r = l.next();
  switch (true) {
    case r === EOF:
      return l.errorf('unexpected end of input in duration expression');
    case r === ch(']'):
      l.emit('RIGHT_BRACKET');
      l.bracketOpen = false;
      l.gotColon = false;
      return lexStatements;
    case r === ch(':'):
      l.emit('COLON');
      if (!l.gotDuration) return l.errorf('unexpected colon before duration in duration expression');
      if (l.gotColon) return l.errorf('unexpected repeated colon in duration expression');
      l.gotColon = true;
      return lexDurationExpr;
    case r === ch('('):
      l.emit('LEFT_PAREN');
      l.parenDepth++;
      return lexDurationExpr;
    case r === ch(')'):
      l.emit('RIGHT_PAREN');
      l.parenDepth--;
      if (l.parenDepth < 0) return l.errorf(`unexpected right parenthesis ${quoteRune(r)}`);
      return lexDurationExpr;
    case isSpace(r):
      skipSpaces(l);
      return lexDurationExpr;
    case r === ch('+'):
      l.emit('ADD');
      return lexDurationExpr;
    case r === ch('-'):
      l.emit('SUB');
      return lexDurationExpr;
    case r === ch('*'):
      l.emit('MUL');
      return lexDurationExpr;
    case r === ch('/'):
      l.emit('DIV');
      return lexDurationExpr;
    case r === ch('%'):
      l.emit('MOD');
      return lexDurationExpr;
    case r === ch('^'):
      l.emit('POW');
      return lexDurationExpr;
    case isDigit(r) || (r === ch('.') && isDigit(l.peek())):
      l.backup();
      l.gotDuration = true;
      return lexNumberOrDuration;
    default:
      return l.errorf(`unexpected character in duration expression: ${quoteRune(r)}`);
  }
}

/**
 * Go's `strconv.Quote`: double quotes, Go's escapes, printable Unicode kept as it is. Used for
 * every `%q` of a string in upstream's messages and printer.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const c of s) out += escapeRune(c.codePointAt(0) as number, '"');
  return `${out}"`;
}

/** Go's `%q` of a rune: `'x'`, `'\n'`, `'\''`. */
export function quoteRune(r: number): string {
  if (r === EOF) return "'\\ufffd'"; // Go formats eof (-1) as the replacement rune
  return `'${escapeRune(r, "'")}'`;
}

/** Go's `%#U`: `U+0063 'c'` (the character only when printable). */
function goRuneU(r: number): string {
  if (r === EOF) return 'U+FFFFFFFFFFFFFFFF';
  const hex = `U+${r.toString(16).toUpperCase().padStart(4, '0')}`;
  return isPrint(r) ? `${hex} '${String.fromCodePoint(r)}'` : hex;
}

function escapeRune(r: number, quote: string): string {
  const c = String.fromCodePoint(r);
  if (c === quote || c === '\\') return `\\${c}`;
  if (isPrint(r)) return c;
  switch (r) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x0b:
      return '\\v';
  }
  if (r < 0x20 || r === 0x7f) return `\\x${r.toString(16).padStart(2, '0')}`;
  // A byte that was not valid UTF-8 (see unquote.ts) prints as Go prints the byte; any other lone
  // surrogate is invalid UTF-8 to Go too.
  if (r >= 0xdc80 && r <= 0xdcff) return `\\x${(r - 0xdc00).toString(16)}`;
  if (r >= 0xd800 && r < 0xe000) return '\\ufffd';
  if (r < 0x10000) return `\\u${r.toString(16).padStart(4, '0')}`;
  return `\\U${r.toString(16).padStart(8, '0')}`;
}

/** Roughly Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrint(r: number): boolean {
  if (r === 0x20) return true;
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(String.fromCodePoint(r));
}
