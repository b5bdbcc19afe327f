/**
 * The lexer of Go's text/template (text/template/parse/lex.go), with `{{` and `}}` as delimiters:
 * text, actions with their trim markers (`{{- ` and ` -}}`), comments, and inside an action the
 * operands, keywords and punctuation. Errors carry Go's wording; positions are offsets into the
 * template's text, which the parser turns into Go's `name:line` and `name:line:col`.
 */

export type ItemType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'comment'
  | 'assign'
  | 'declare'
  | 'eof'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  // Keywords.
  | 'block'
  | 'break'
  | 'continue'
  | 'dot'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

export interface Item {
  type: ItemType;
  /** Offset of the item's first byte in the text (UTF-16 units, as the text is a JS string). */
  pos: number;
  val: string;
  /** The line the item starts on (1-based). */
  line: number;
}

const KEYWORDS: Record<string, ItemType> = {
  '.': 'dot',
  block: 'block',
  break: 'break',
  continue: 'continue',
  define: 'define',
  else: 'else',
  end: 'end',
  if: 'if',
  range: 'range',
  nil: 'nil',
  template: 'template',
  with: 'with',
};

const LEFT = '{{';
const RIGHT = '}}';
const LEFT_COMMENT = '/*';
const RIGHT_COMMENT = '*/';
const TRIM = '-';

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphaNumeric = (c: string) => c === '_' || /^[\p{L}\p{Nd}]$/u.test(c);

/** Go's %#U: `U+00A0`, with the character quoted after it when it is printable. */
function runeName(c: string): string {
  const code = (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(c) || c === ' ' ? `U+${code} '${c}'` : `U+${code}`;
}

/** Splits a template's text into items; the last is `eof` or `error`. */
export function lex(input: string): Item[] {
  const items: Item[] = [];
  const newlines: number[] = [];
  for (let i = input.indexOf('\n'); i >= 0; i = input.indexOf('\n', i + 1)) newlines.push(i);
  /** The 1-based line of offset `at`. */
  const lineAt = (at: number): number => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((newlines[mid] as number) < at) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  let start = 0;
  let pos = 0;
  let parenDepth = 0;
  let insideAction = false;

  const peekChar = () => (pos < input.length ? String.fromCodePoint(input.codePointAt(pos) as number) : '');
  const next = (): string => {
    const c = peekChar();
    pos += c.length;
    return c;
  };
  const backup = (c: string) => {
    pos -= c.length;
  };
  const emit = (type: ItemType): true => {
    items.push({ type, pos: start, val: input.slice(start, pos), line: lineAt(start) });
    start = pos;
    return true;
  };
  const fail = (message: string): false => {
    items.push({ type: 'error', pos: start, val: message, line: lineAt(start) });
    return false;
  };

  /** Go's atRightDelim: a right delimiter at `pos`, and whether a trim marker precedes it. */
  const atRightDelim = (at = pos): { delim: boolean; trim: boolean } => {
    if (isSpace(input[at] ?? '') && input[at + 1] === TRIM && input.startsWith(RIGHT, at + 2))
      return { delim: true, trim: true };
    return { delim: input.startsWith(RIGHT, at), trim: false };
  };

  /** Text up to the next `{{`; false at the end of the input. */
  const lexText = (): boolean => {
    const x = input.indexOf(LEFT, pos);
    if (x < 0) {
      pos = input.length;
      if (pos > start) emit('text');
      emit('eof');
      return false;
    }
    pos = hasLeftTrim(input, x + LEFT.length) ? rtrimIndex(input, start, x) : x;
    if (pos > start) emit('text');
    pos = x;
    start = x;
    return lexLeftDelim();
  };

  const lexLeftDelim = (): boolean => {
    pos += LEFT.length;
    const afterMarker = hasLeftTrim(input, pos) ? TRIM.length + 1 : 0;
    if (input.startsWith(LEFT_COMMENT, pos + afterMarker)) {
      pos += afterMarker;
      start = pos;
      return lexComment();
    }
    emit('leftDelim');
    pos += afterMarker;
    start = pos;
    parenDepth = 0;
    insideAction = true;
    return true;
  };

  const lexComment = (): boolean => {
    pos += LEFT_COMMENT.length;
    const x = input.indexOf(RIGHT_COMMENT, pos);
    if (x < 0) return fail('unclosed comment');
    pos = x + RIGHT_COMMENT.length;
    const { delim, trim } = atRightDelim();
    if (!delim) return fail('comment ends before closing delimiter');
    // Comments are dropped: nothing here asks the parser to keep them.
    if (trim) pos += TRIM.length + 1;
    pos += RIGHT.length;
    if (trim) pos = skipSpace(pos);
    start = pos;
    return true;
  };

  const lexRightDelim = (): boolean => {
    const { trim } = atRightDelim();
    if (trim) {
      pos += TRIM.length + 1;
      start = pos;
    }
    pos += RIGHT.length;
    emit('rightDelim');
    if (trim) {
      pos = skipSpace(pos);
      start = pos;
    }
    insideAction = false;
    return true;
  };

  const skipSpace = (from: number): number => {
    let p = from;
    while (p < input.length && isSpace(input[p] as string)) p++;
    return p;
  };

  /** One item inside an action. */
  const lexInsideAction = (): boolean => {
    if (atRightDelim().delim) {
      if (parenDepth === 0) return lexRightDelim();
      return fail('unclosed left paren');
    }
    const c = next();
    if (c === '') return fail('unclosed action');
    if (isSpace(c)) {
      backup(c);
      return lexSpace();
    }
    switch (c) {
      case '=':
        return emit('assign');
      case ':':
        if (next() !== '=') return fail('expected :=');
        return emit('declare');
      case '|':
        return emit('pipe');
      case '"':
        return lexQuote();
      case '`':
        return lexRawQuote();
      case '$':
        return lexFieldOrVariable('variable');
      case "'":
        return lexChar();
      case '(':
        parenDepth++;
        return emit('leftParen');
      case ')':
        parenDepth--;
        if (parenDepth < 0) return fail('unexpected right paren');
        return emit('rightParen');
    }
    if (c === '.') {
      // A look-ahead for ".field"; otherwise "." starts a number.
      const r = input[pos];
      if (r !== undefined && (r < '0' || r > '9')) return lexFieldOrVariable('field');
    }
    if (c === '.' || c === '+' || c === '-' || (c >= '0' && c <= '9')) {
      backup(c);
      return lexNumber();
    }
    if (isAlphaNumeric(c)) {
      backup(c);
      return lexIdentifier();
    }
    if (/^[\x20-\x7e]$/.test(c)) return emit('char');
    return fail(`unrecognized character in action: ${runeName(c)}`);
  };

  const lexSpace = (): boolean => {
    let numSpaces = 0;
    while (isSpace(peekChar())) {
      next();
      numSpaces++;
    }
    // A trim-marked closing delimiter starts with a space: leave that space to it.
    if (atRightDelim(pos - 1).trim) {
      pos--;
      if (numSpaces === 1) return lexRightDelim();
    }
    return emit('space');
  };

  const lexIdentifier = (): boolean => {
    let c = next();
    while (c !== '' && isAlphaNumeric(c)) c = next();
    if (c !== '') backup(c);
    const word = input.slice(start, pos);
    if (!atTerminator()) return fail(`bad character ${runeName(peekChar())}`);
    const keyword = KEYWORDS[word];
    if (keyword !== undefined && word !== '.') return emit(keyword);
    if (word === 'true' || word === 'false') return emit('bool');
    return emit('identifier');
  };

  const lexFieldOrVariable = (type: 'field' | 'variable'): boolean => {
    if (atTerminator()) return emit(type === 'variable' ? 'variable' : 'dot');
    let c = next();
    while (c !== '' && isAlphaNumeric(c)) c = next();
    if (c !== '') backup(c);
    if (!atTerminator()) return fail(`bad character ${runeName(peekChar())}`);
    return emit(type);
  };

  /** Whether the next character can follow an identifier or field. */
  const atTerminator = (): boolean => {
    const c = peekChar();
    if (c === '' || isSpace(c) || '.,|:)('.includes(c)) return true;
    return input.startsWith(RIGHT, pos);
  };

  const lexChar = (): boolean => {
    for (;;) {
      let c = next();
      if (c === '\\') {
        c = next();
        if (c !== '' && c !== '\n') continue;
      }
      if (c === '' || c === '\n') return fail('unterminated character constant');
      if (c === "'") return emit('charConstant');
    }
  };

  const lexNumber = (): boolean => {
    if (!scanNumber()) return fail(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
    const c = peekChar();
    if (c === '+' || c === '-') {
      // Complex: 1+2i. No spaces, must end in 'i'.
      if (!scanNumber() || input[pos - 1] !== 'i')
        return fail(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
    }
    return emit('number');
  };

  const scanNumber = (): boolean => {
    const accept = (valid: string) => {
      if (pos < input.length && valid.includes(input[pos] as string)) {
        pos++;
        return true;
      }
      return false;
    };
    const acceptRun = (valid: string) => {
      while (pos < input.length && valid.includes(input[pos] as string)) pos++;
    };
    accept('+-');
    const DECIMAL = '0123456789_';
    const HEX = '0123456789abcdefABCDEF_';
    let digits = DECIMAL;
    if (accept('0')) {
      if (accept('xX')) digits = HEX;
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits === DECIMAL && accept('eE')) {
      accept('+-');
      acceptRun(DECIMAL);
    }
    if (digits === HEX && accept('pP')) {
      accept('+-');
      acceptRun(DECIMAL);
    }
    accept('i');
    // Next thing mustn't be alphanumeric.
    const c = peekChar();
    if (c !== '' && isAlphaNumeric(c)) {
      next();
      return false;
    }
    return true;
  };

  const lexQuote = (): boolean => {
    for (;;) {
      let c = next();
      if (c === '\\') {
        c = next();
        if (c !== '' && c !== '\n') continue;
      }
      if (c === '' || c === '\n') return fail('unterminated quoted string');
      if (c === '"') return emit('string');
    }
  };

  const lexRawQuote = (): boolean => {
    for (;;) {
      const c = next();
      if (c === '') return fail('unterminated raw quoted string');
      if (c === '`') return emit('rawString');
    }
  };

  for (;;) {
    const more = insideAction ? lexInsideAction() : lexText();
    if (!more) break;
  }
  return items;
}

/** Whether a left delimiter's body (at `at`) starts with a trim marker: `-` then white space. */
function hasLeftTrim(input: string, at: number): boolean {
  return input[at] === TRIM && isSpace(input[at + 1] ?? '');
}

/** The end of input[from, to) with trailing white space removed. */
function rtrimIndex(input: string, from: number, to: number): number {
  let i = to;
  while (i > from && isSpace(input[i - 1] as string)) i--;
  return i;
}
