/**
 * The parser of Go's text/template (text/template/parse/parse.go and node.go): the syntax tree of
 * a template and its `{{define}}`d templates, with Go's checks and error texts (`template:
 * NAME:LINE: function "x" not defined`, `undefined variable "$x"`, `missing value for if`,
 * `unexpected EOF`, …). Node `String()`s are Go's, as execution errors quote them (`at <.Foo>`).
 */
import { type Item, type ItemType, lex } from './lex.js';

export type Node =
  | ListNode
  | TextNode
  | ActionNode
  | PipeNode
  | CommandNode
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | IfNode
  | RangeNode
  | WithNode
  | BreakNode
  | ContinueNode
  | TemplateNode;

export interface ListNode {
  type: 'list';
  pos: number;
  nodes: Node[];
}
export interface TextNode {
  type: 'text';
  pos: number;
  text: string;
}
export interface ActionNode {
  type: 'action';
  pos: number;
  line: number;
  pipe: PipeNode;
}
export interface PipeNode {
  type: 'pipe';
  pos: number;
  line: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
export interface CommandNode {
  type: 'command';
  pos: number;
  args: Node[];
}
export interface IdentifierNode {
  type: 'identifier';
  pos: number;
  ident: string;
}
export interface VariableNode {
  type: 'variable';
  pos: number;
  /** `$x.A.B` is `['$x', 'A', 'B']`. */
  ident: string[];
}
export interface DotNode {
  type: 'dot';
  pos: number;
}
export interface NilNode {
  type: 'nil';
  pos: number;
}
export interface FieldNode {
  type: 'field';
  pos: number;
  /** `.A.B` is `['A', 'B']`. */
  ident: string[];
}
export interface ChainNode {
  type: 'chain';
  pos: number;
  node: Node;
  field: string[];
}
export interface BoolNode {
  type: 'bool';
  pos: number;
  value: boolean;
}
/** A number constant and every Go type it fits, as parse.NumberNode records them. */
export interface NumberNode {
  type: 'number';
  pos: number;
  text: string;
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  int64: bigint;
  uint64: bigint;
  float64: number;
}
export interface StringNode {
  type: 'string';
  pos: number;
  /** As written, with its quotes. */
  quoted: string;
  text: string;
}
export interface BranchNode {
  pos: number;
  line: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | undefined;
}
export interface IfNode extends BranchNode {
  type: 'if';
}
export interface RangeNode extends BranchNode {
  type: 'range';
}
export interface WithNode extends BranchNode {
  type: 'with';
}
export interface BreakNode {
  type: 'break';
  pos: number;
  line: number;
}
export interface ContinueNode {
  type: 'continue';
  pos: number;
  line: number;
}
export interface TemplateNode {
  type: 'template';
  pos: number;
  line: number;
  name: string;
  pipe: PipeNode | undefined;
}

/** A parsed template: its name, its text (for error positions) and its tree. */
export interface Tree {
  name: string;
  /** The name of the top-level template being parsed: errors name it (`template: NAME:…`). */
  parseName: string;
  text: string;
  root: ListNode;
}

/** A parse error in Go's words: `template: NAME:LINE: MESSAGE`. */
export class TemplateParseError extends Error {
  override readonly name = 'TemplateParseError';
}

/** The `{{end}}` and `{{else}}` markers the parser passes between its levels. */
interface EndNode {
  type: 'end';
  pos: number;
}
interface ElseNode {
  type: 'else';
  pos: number;
  line: number;
}
type Parsed = Node | EndNode | ElseNode;

const markerString = (n: EndNode | ElseNode) => (n.type === 'end' ? '{{end}}' : '{{else}}');

/**
 * Parses `text` as the template `name`, checking function names with `hasFunction`. Returns every
 * template the text defines, `name` first (its tree), then each `{{define}}` and `{{block}}`.
 */
export function parseTemplate(name: string, text: string, hasFunction: (name: string) => boolean): Map<string, Tree> {
  const items = lex(text);
  let index = 0;
  let current: Item = items[0] as Item;
  const trees = new Map<string, Tree>();
  let vars: string[] = ['$'];
  let rangeDepth = 0;
  let actionLine = 0;

  const errorf = (message: string): never => {
    throw new TemplateParseError(`template: ${name}:${current.line}: ${message}`);
  };
  const nextItem = (): Item => {
    current = items[Math.min(index, items.length - 1)] as Item;
    index++;
    return current;
  };
  const peek = (): Item => {
    current = items[Math.min(index, items.length - 1)] as Item;
    return current;
  };
  const backup = (n = 1) => {
    index -= n;
  };
  const nextNonSpace = (): Item => {
    let token = nextItem();
    while (token.type === 'space') token = nextItem();
    return token;
  };
  const peekNonSpace = (): Item => {
    const token = nextNonSpace();
    backup();
    return token;
  };
  const itemString = (token: Item): string => {
    if (token.type === 'eof') return 'EOF';
    if (token.type === 'error') return token.val;
    if (KEYWORD_TYPES.has(token.type)) return `<${token.val}>`;
    if ([...token.val].length > 10) return `${goQuoteString([...token.val].slice(0, 10).join(''))}...`;
    return goQuoteString(token.val);
  };
  const unexpected = (token: Item, context: string): never => {
    if (token.type === 'error') {
      let extra = '';
      if (actionLine !== 0 && actionLine !== token.line) {
        extra = ` in action started at ${name}:${actionLine}`;
        if (token.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      return errorf(`${token.val}${extra}`);
    }
    return errorf(`unexpected ${itemString(token)} in ${context}`);
  };
  const expect = (type: ItemType, context: string): Item => {
    const token = nextNonSpace();
    if (token.type !== type) unexpected(token, context);
    return token;
  };

  const parseList = (): { list: ListNode; next: EndNode | ElseNode } => {
    const list: ListNode = { type: 'list', pos: peekNonSpace().pos, nodes: [] };
    while (peekNonSpace().type !== 'eof') {
      const n = textOrAction();
      if (n.type === 'end' || n.type === 'else') return { list, next: n };
      list.nodes.push(n);
    }
    return errorf('unexpected EOF');
  };

  const textOrAction = (): Parsed => {
    const token = nextNonSpace();
    switch (token.type) {
      case 'text':
        return { type: 'text', pos: token.pos, text: token.val };
      case 'leftDelim':
        actionLine = token.line;
        try {
          return action();
        } finally {
          actionLine = 0;
        }
      case 'error':
        return errorf(token.val);
      default:
        return unexpected(token, 'input');
    }
  };

  const action = (): Parsed => {
    const token = nextNonSpace();
    switch (token.type) {
      case 'block':
        return blockControl();
      case 'break':
      case 'continue': {
        const t = nextNonSpace();
        if (t.type !== 'rightDelim') unexpected(t, `{{${token.type}}}`);
        if (rangeDepth === 0) errorf(`{{${token.type}}} outside {{range}}`);
        return { type: token.type, pos: token.pos, line: token.line };
      }
      case 'else': {
        const p = peekNonSpace();
        // {{else if …}} and {{else with …}} are {{else}}{{if …}}…{{end}}.
        if (p.type === 'if' || p.type === 'with') return { type: 'else', pos: p.pos, line: p.line };
        const t = expect('rightDelim', 'else');
        return { type: 'else', pos: t.pos, line: t.line };
      }
      case 'end':
        return { type: 'end', pos: expect('rightDelim', 'end').pos };
      case 'if':
        return { type: 'if', ...parseControl('if') };
      case 'range':
        return { type: 'range', ...parseControl('range') };
      case 'template':
        return templateControl();
      case 'with':
        return { type: 'with', ...parseControl('with') };
      case 'define':
        return unexpected(token, 'command');
    }
    backup();
    const t = peek();
    // Variables are not popped: they persist until "end".
    return { type: 'action', pos: t.pos, line: t.line, pipe: pipeline('command', 'rightDelim') };
  };

  const parseControl = (context: 'if' | 'range' | 'with'): Omit<BranchNode, never> => {
    const saved = vars.length;
    try {
      const pipe = pipeline(context, 'rightDelim');
      if (context === 'range') rangeDepth++;
      let { list, next } = parseList();
      if (context === 'range') rangeDepth--;
      let elseList: ListNode | undefined;
      if (next.type === 'else') {
        const p = peek();
        if ((context === 'if' && p.type === 'if') || (context === 'with' && p.type === 'with')) {
          nextItem();
          elseList = { type: 'list', pos: next.pos, nodes: [{ type: context, ...parseControl(context) } as Node] };
        } else {
          ({ list: elseList, next } = parseList());
          if (next.type !== 'end') errorf(`expected end; found ${markerString(next)}`);
        }
      }
      return { pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      vars.length = saved;
    }
  };

  const templateName = (token: Item, context: string): string => {
    if (token.type === 'string' || token.type === 'rawString') return unquote(token.val, errorf);
    return unexpected(token, context);
  };

  const templateControl = (): TemplateNode => {
    const context = 'template clause';
    const token = nextNonSpace();
    const tname = templateName(token, context);
    let pipe: PipeNode | undefined;
    if (nextNonSpace().type !== 'rightDelim') {
      backup();
      pipe = pipeline(context, 'rightDelim');
    }
    return { type: 'template', pos: token.pos, line: token.line, name: tname, pipe };
  };

  /** {{block "name" pipeline}} T {{end}}: defines "name" as T and executes it here. */
  const blockControl = (): TemplateNode => {
    const context = 'block clause';
    const token = nextNonSpace();
    const tname = templateName(token, context);
    if (nextNonSpace().type !== 'rightDelim') backup();
    const pipe = pipeline(context, 'rightDelim');
    const savedVars = vars;
    vars = ['$'];
    const { list, next } = parseList();
    vars = savedVars;
    if (next.type !== 'end') errorf(`unexpected ${markerString(next)} in ${context}`);
    addTree(tname, list);
    return { type: 'template', pos: token.pos, line: token.line, name: tname, pipe };
  };

  const pipeline = (context: string, end: 'rightDelim' | 'rightParen'): PipeNode => {
    const first = peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: first.pos, line: first.line, isAssign: false, decl: [], cmds: [] };
    for (;;) {
      const v = peekNonSpace();
      if (v.type !== 'variable') break;
      nextNonSpace();
      const tokenAfterVariable = peek();
      const next = peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        pipe.isAssign = next.type === 'assign';
        nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: v.val.split('.') });
        vars.push(v.val);
      } else if (next.type === 'char' && next.val === ',') {
        nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: v.val.split('.') });
        vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const after = peekNonSpace().type;
          if (after === 'variable' || after === 'rightDelim' || after === 'rightParen') continue;
          errorf('range can only initialize variables');
        }
        errorf(`too many declarations in ${context}`);
      } else if (tokenAfterVariable.type === 'space') {
        // "$x foo": $x is an argument; put back the variable and the space after it.
        backup(2);
      } else {
        backup(1);
      }
      break;
    }
    for (;;) {
      const token = nextNonSpace();
      if (token.type === end) {
        checkPipeline(pipe, context);
        return pipe;
      }
      switch (token.type) {
        case 'bool':
        case 'charConstant':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          backup();
          pipe.cmds.push(command());
          break;
        default:
          unexpected(token, context);
      }
    }
  };

  const checkPipeline = (pipe: PipeNode, context: string) => {
    if (pipe.cmds.length === 0) errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const t = c.args[0]?.type;
      if (t === 'bool' || t === 'dot' || t === 'nil' || t === 'number' || t === 'string')
        errorf(`non executable command in pipeline stage ${i + 2}`);
    });
  };

  const command = (): CommandNode => {
    const cmd: CommandNode = { type: 'command', pos: peekNonSpace().pos, args: [] };
    for (;;) {
      peekNonSpace();
      const op = operand();
      if (op) cmd.args.push(op);
      const token = nextItem();
      if (token.type === 'space') continue;
      if (token.type === 'rightDelim' || token.type === 'rightParen') backup();
      else if (token.type !== 'pipe') unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) errorf('empty command');
    return cmd;
  };

  const operand = (): Node | undefined => {
    const node = term();
    if (!node) return undefined;
    if (peek().type !== 'field') return node;
    const chainPos = peek().pos;
    const fields: string[] = [];
    while (peek().type === 'field') fields.push(nextItem().val.slice(1));
    switch (node.type) {
      case 'field':
        return { type: 'field', pos: chainPos, ident: [...node.ident, ...fields] };
      case 'variable':
        return { type: 'variable', pos: chainPos, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return errorf(`unexpected . after term ${goQuoteString(nodeString(node))}`);
      default:
        return { type: 'chain', pos: chainPos, node, field: fields };
    }
  };

  const term = (): Node | undefined => {
    const token = nextNonSpace();
    switch (token.type) {
      case 'identifier':
        if (!hasFunction(token.val)) errorf(`function ${goQuoteString(token.val)} not defined`);
        return { type: 'identifier', pos: token.pos, ident: token.val };
      case 'dot':
        return { type: 'dot', pos: token.pos };
      case 'nil':
        return { type: 'nil', pos: token.pos };
      case 'variable': {
        const ident = token.val.split('.');
        if (!vars.includes(ident[0] as string)) errorf(`undefined variable ${goQuoteString(ident[0] as string)}`);
        return { type: 'variable', pos: token.pos, ident };
      }
      case 'field':
        return { type: 'field', pos: token.pos, ident: token.val.slice(1).split('.') };
      case 'bool':
        return { type: 'bool', pos: token.pos, value: token.val === 'true' };
      case 'charConstant':
      case 'number':
        return newNumber(token, errorf);
      case 'leftParen':
        return pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString':
        return { type: 'string', pos: token.pos, quoted: token.val, text: unquote(token.val, errorf) };
    }
    backup();
    return undefined;
  };

  const addTree = (tname: string, root: ListNode) => {
    const existing = trees.get(tname);
    // A later definition replaces an earlier one unless it is empty, as Go's AddParseTree.
    if (existing && isEmptyTree(root)) return;
    trees.set(tname, { name: tname, parseName: name, text, root });
  };

  const parseDefinition = () => {
    const context = 'define clause';
    const token = nextNonSpace();
    if (token.type !== 'string' && token.type !== 'rawString') unexpected(token, context);
    const tname = unquote(token.val, errorf);
    expect('rightDelim', context);
    const savedVars = vars;
    vars = ['$'];
    const { list, next } = parseList();
    vars = savedVars;
    if (next.type !== 'end') errorf(`unexpected ${markerString(next)} in ${context}`);
    addTree(tname, list);
  };

  // The top level.
  const root: ListNode = { type: 'list', pos: peek().pos, nodes: [] };
  while (peek().type !== 'eof') {
    if (peek().type === 'leftDelim') {
      const delim = nextItem();
      if (nextNonSpace().type === 'define') {
        actionLine = delim.line;
        parseDefinition();
        actionLine = 0;
        continue;
      }
      index = items.indexOf(delim);
    }
    const n = textOrAction();
    if (n.type === 'end' || n.type === 'else') errorf(`unexpected ${markerString(n)}`);
    root.nodes.push(n as Node);
  }
  const all = new Map<string, Tree>([[name, { name, parseName: name, text, root }]]);
  for (const [tname, tree] of trees) if (tname !== name || isEmptyTree(root)) all.set(tname, tree);
  return all;
}

const KEYWORD_TYPES = new Set<ItemType>([
  'block',
  'break',
  'continue',
  'dot',
  'define',
  'else',
  'end',
  'if',
  'nil',
  'range',
  'template',
  'with',
]);

function isEmptyTree(n: Node): boolean {
  switch (n.type) {
    case 'list':
      return n.nodes.every(isEmptyTree);
    case 'text':
      return n.text.trim() === '';
    default:
      return false;
  }
}

/** Go's NumberNode: which of int64, uint64 and float64 the constant fits. */
function newNumber(token: Item, errorf: (m: string) => never): NumberNode {
  const n: NumberNode = {
    type: 'number',
    pos: token.pos,
    text: token.val,
    isInt: false,
    isUint: false,
    isFloat: false,
    int64: 0n,
    uint64: 0n,
    float64: 0,
  };
  if (token.type === 'charConstant') {
    const text = unquote(token.val, errorf);
    const rune = BigInt(text.codePointAt(0) ?? 0);
    return { ...n, isInt: true, isUint: true, isFloat: true, int64: rune, uint64: rune, float64: Number(rune) };
  }
  const text = token.val;
  if (text.endsWith('i')) errorf(`complex numbers are not supported: ${goQuoteString(text)}`);
  const integer = parseGoInteger(text);
  if (integer !== undefined) {
    if (integer >= 0n && integer < 2n ** 64n) {
      n.isUint = true;
      n.uint64 = integer;
    }
    if (integer >= -(2n ** 63n) && integer < 2n ** 63n) {
      n.isInt = true;
      n.int64 = integer;
    }
    if (n.isInt) {
      n.isFloat = true;
      n.float64 = Number(n.int64);
    } else if (n.isUint) {
      n.isFloat = true;
      n.float64 = Number(n.uint64);
    }
  } else {
    const f = parseGoFloatLiteral(text);
    if (f !== undefined) {
      // Parsed as a float but looks like an integer: too large for any int.
      if (!/[.eEpP]/.test(text)) errorf(`integer overflow: ${goQuoteString(text)}`);
      n.isFloat = true;
      n.float64 = f;
      if (!n.isInt && Number.isInteger(f) && Math.abs(f) < 2 ** 63) {
        n.isInt = true;
        n.int64 = BigInt(f);
      }
      if (!n.isUint && Number.isInteger(f) && f >= 0 && f < 2 ** 64) {
        n.isUint = true;
        n.uint64 = BigInt(f);
      }
    }
  }
  if (!n.isInt && !n.isUint && !n.isFloat) errorf(`illegal number syntax: ${goQuoteString(text)}`);
  return n;
}

/** strconv.ParseInt/ParseUint with base 0 (prefixes, underscores), as a bigint; undefined if not an integer. */
function parseGoInteger(text: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(text);
  if (!m) return undefined;
  let body = (m[2] as string).replaceAll('_', '');
  if (/^0[0-7]+$/.test(body)) body = `0o${body.slice(1)}`;
  try {
    const v = BigInt(body);
    return m[1] === '-' ? -v : v;
  } catch {
    return undefined;
  }
}

function parseGoFloatLiteral(text: string): number | undefined {
  const t = text.replaceAll('_', '');
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  return undefined;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/** strconv.Unquote for "…", `…` and '…' literals. */
export function unquote(quoted: string, errorf: (m: string) => never): string {
  const q = quoted[0];
  if (q === '`') return quoted.slice(1, -1).replaceAll('\r', '');
  const body = quoted.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i] ?? '';
    if (e in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[e];
    else if (e === q) out += e;
    else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) errorf('invalid syntax');
      out += String.fromCodePoint(Number.parseInt(hex, 16));
      i += len;
    } else if (/[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) errorf('invalid syntax');
      out += String.fromCharCode(Number.parseInt(oct, 8));
      i += 2;
    } else errorf('invalid syntax');
  }
  return out;
}

/** Go's %q of a string (strconv.Quote), for the ASCII and printable text templates hold. */
export function goQuoteString(s: string): string {
  let out = '"';
  for (const c of s) {
    const code = c.codePointAt(0) as number;
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(c) && c !== ' ')
      out += code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

/** A node as Go's String() writes it (execution errors quote it: `at <.Labels.x>`). */
export function nodeString(n: Node): string {
  switch (n.type) {
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'text':
      return goQuoteString(n.text);
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s = `${n.decl.map(nodeString).join(', ')} ${n.isAssign ? '=' : ':='} `;
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'identifier':
      return n.ident;
    case 'variable':
      return n.ident.join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'field':
      return n.ident.map((f) => `.${f}`).join('');
    case 'chain':
      return (
        (n.node.type === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node)) + n.field.map((f) => `.${f}`).join('')
      );
    case 'bool':
      return String(n.value);
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'if':
    case 'range':
    case 'with': {
      const elseText = n.elseList ? `{{else}}${nodeString(n.elseList)}` : '';
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${elseText}{{end}}`;
    }
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'template':
      return n.pipe
        ? `{{template ${goQuoteString(n.name)} ${nodeString(n.pipe)}}}`
        : `{{template ${goQuoteString(n.name)}}}`;
  }
}
