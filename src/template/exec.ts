/**
 * The executor of Go's text/template (text/template/exec.go), over the trees parse.ts builds and
 * the values of values.ts. It follows exec.go's structure closely, including where it records the
 * node at hand, because Go's error messages name that node and its position: `template:
 * NAME:LINE:COL: executing "NAME" at <first>: error calling first: …`. It is asynchronous only
 * because a function (Prometheus's `query`) may be.
 */
import type {
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  RangeNode,
  TemplateNode,
  Tree,
  VariableNode,
} from './parse.js';
import { nodeString } from './parse.js';
import {
  assignable,
  compareStrings,
  formatValue,
  GoInt,
  GoMap,
  GoSlice,
  GoStruct,
  isTrue,
  typeName,
  type Value,
} from './values.js';

/** A function a template may call: its Go parameter types, and whether the last is variadic. */
export interface TemplateFunction {
  /** Go type names: `string`, `float64`, `any`, `*template.sample`, `template.queryResult`, … */
  params: string[];
  variadic?: boolean;
  /** Throws a `FunctionError` for Go's returned error (`error calling X: …`). */
  call(args: Value[]): Value | Promise<Value>;
  /** and/or: arguments are evaluated one by one and the call stops early (exec.go's special case). */
  shortCircuit?: 'and' | 'or';
}

/** The error a function returns; the executor reports it as `error calling NAME: MESSAGE`. */
export class FunctionError extends Error {
  override readonly name = 'FunctionError';
}

/** An execution error in Go's words (`template: NAME:L:C: executing "NAME" at <…>: …`). */
export class TemplateExecError extends Error {
  override readonly name = 'TemplateExecError';
}

export type MissingKey = 'invalid' | 'zero' | 'error';

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');
const MISSING = Symbol('missing');
type Final = Value | typeof MISSING;

/** Go's maxExecDepth. */
const MAX_DEPTH = 100000;

interface Context {
  trees: ReadonlyMap<string, Tree>;
  funcs: ReadonlyMap<string, TemplateFunction>;
  missingKey: MissingKey;
}

/** Executes the tree named `name` with `data` as dot; resolves to the output. */
export async function execute(ctx: Context, name: string, data: Value): Promise<string> {
  const tree = ctx.trees.get(name);
  if (!tree)
    throw new TemplateExecError(
      `template: ${name}: no template ${JSON.stringify(name)} associated with template ${JSON.stringify(name)}`,
    );
  const state = new State(ctx, tree, [{ name: '$', value: data }], 0);
  await state.walk(data, tree.root);
  return state.out.join('');
}

class State {
  node: Node | undefined;
  readonly out: string[];

  constructor(
    private readonly ctx: Context,
    private tree: Tree,
    private vars: Array<{ name: string; value: Value }>,
    private readonly depth: number,
    out: string[] = [],
  ) {
    this.out = out;
  }

  at(node: Node): void {
    this.node = node;
  }

  errorf(message: string): never {
    const name = this.tree.name;
    if (!this.node) throw new TemplateExecError(`template: ${name}: ${message}`);
    const pos = this.node.pos;
    const before = this.tree.text.slice(0, pos);
    const lastNewline = before.lastIndexOf('\n');
    const col = lastNewline === -1 ? pos : pos - (lastNewline + 1);
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    throw new TemplateExecError(
      `template: ${this.tree.parseName}:${line}:${col}: executing ${JSON.stringify(name)} at <${nodeString(this.node)}>: ${message}`,
    );
  }

  mark(): number {
    return this.vars.length;
  }

  pop(mark: number): void {
    this.vars.length = mark;
  }

  push(name: string, value: Value): void {
    this.vars.push({ name, value });
  }

  setVar(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as { name: string; value: Value };
      if (v.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  setTopVar(n: number, value: Value): void {
    const v = this.vars[this.vars.length - n];
    if (v) v.value = value;
  }

  varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as { name: string; value: Value };
      if (v.name === name) return v.value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  async walk(dot: Value, node: Node): Promise<void> {
    this.at(node);
    switch (node.type) {
      case 'action': {
        // Variables declared by an action persist until the next {{end}}; an action that declares
        // variables prints nothing.
        const val = await this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
      case 'if':
      case 'with':
        return this.walkIfOrWith(node.type, dot, node.pipe, node.list, node.elseList);
      case 'list':
        for (const n of node.nodes) await this.walk(dot, n);
        return;
      case 'range':
        return this.walkRange(dot, node);
      case 'template':
        return this.walkTemplate(dot, node);
      case 'text':
        this.out.push(node.text);
        return;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  async walkIfOrWith(
    type: 'if' | 'with',
    dot: Value,
    pipe: PipeNode,
    list: ListNode,
    elseList: ListNode | undefined,
  ): Promise<void> {
    const mark = this.mark();
    try {
      const val = await this.evalPipeline(dot, pipe);
      const { truth, ok } = isTrue(val);
      if (!ok) this.errorf(`if/with can't use ${val === undefined ? '<invalid reflect.Value>' : formatValue(val)}`);
      if (truth) await this.walk(type === 'with' ? val : dot, list);
      else if (elseList) await this.walk(dot, elseList);
    } finally {
      this.pop(mark);
    }
  }

  async walkRange(dot: Value, r: RangeNode): Promise<void> {
    this.at(r);
    const outer = this.mark();
    try {
      const val = await this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const oneIteration = async (index: Value, elem: Value): Promise<'break' | undefined> => {
        const decl = r.pipe.decl;
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0]?.ident[0] as string, decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]?.ident[0] as string, elem);
          else this.setTopVar(2, index);
        }
        try {
          await this.walk(elem, r.list);
        } catch (err) {
          if (err === BREAK) return 'break';
          if (err !== CONTINUE) throw err;
        } finally {
          this.pop(mark);
        }
        return undefined;
      };
      let iterated = false;
      if (val instanceof GoSlice) {
        for (const [i, item] of val.items.entries()) {
          iterated = true;
          if ((await oneIteration(new GoInt(BigInt(i)), item)) === 'break') break;
        }
      } else if (val instanceof GoMap) {
        for (const key of [...val.entries.keys()].sort(compareStrings)) {
          iterated = true;
          if ((await oneIteration(key, val.entries.get(key))) === 'break') break;
        }
      } else if (val instanceof GoInt) {
        if (r.pipe.decl.length > 1) this.errorf(`can't use ${formatValue(val)} to iterate over more than one variable`);
        for (let i = 0n; i < val.value; i++) {
          iterated = true;
          if ((await oneIteration(new GoInt(i, val.type), new GoInt(i, val.type))) === 'break') break;
        }
      } else if (val !== undefined && val !== null) {
        this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      if (!iterated && r.elseList) await this.walk(dot, r.elseList);
    } finally {
      this.pop(outer);
    }
  }

  async walkTemplate(dot: Value, t: TemplateNode): Promise<void> {
    this.at(t);
    const tree = this.ctx.trees.get(t.name);
    if (!tree) this.errorf(`template ${JSON.stringify(t.name)} not defined`);
    if (this.depth === MAX_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = t.pipe ? await this.evalPipeline(dot, t.pipe) : undefined;
    // No dynamic scoping: a template invocation inherits no variables.
    const inner = new State(this.ctx, tree, [{ name: '$', value: newDot }], this.depth + 1, this.out);
    await inner.walk(newDot, tree.root);
  }

  async evalPipeline(dot: Value, pipe: PipeNode): Promise<Value> {
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = await this.evalCommand(dot, cmd, value);
    const result = value === MISSING ? undefined : value;
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.setVar(variable.ident[0] as string, result);
      else this.push(variable.ident[0] as string, result);
    }
    return result;
  }

  notAFunction(args: readonly Node[], final: Final): void {
    if (args.length > 1 || final !== MISSING)
      this.errorf(`can't give argument to non-function ${nodeString(args[0] as Node)}`);
  }

  async evalCommand(dot: Value, cmd: CommandNode, final: Final): Promise<Value> {
    const first = cmd.args[0] as Node;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
    return this.errorf(`can't evaluate command ${JSON.stringify(nodeString(first))}`);
  }

  idealConstant(n: NumberNode): Value {
    this.at(n);
    if (n.isFloat && !/^[+-]?0[xX]/.test(n.text) && !n.text.startsWith("'") && /[.eEpP]/.test(n.text)) return n.float64;
    if (n.isInt) return new GoInt(n.int64);
    if (n.isUint) this.errorf(`${n.text} overflows int`);
    return undefined;
  }

  async evalFieldNode(dot: Value, field: FieldNode, args: readonly Node[], final: Final): Promise<Value> {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  async evalChainNode(dot: Value, chain: ChainNode, args: readonly Node[], final: Final): Promise<Value> {
    this.at(chain);
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = await this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  async evalVariableNode(dot: Value, variable: VariableNode, args: readonly Node[], final: Final): Promise<Value> {
    this.at(variable);
    const value = this.varValue(variable.ident[0] as string);
    if (variable.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  async evalFieldChain(
    dot: Value,
    receiver: Value,
    node: Node,
    ident: readonly string[],
    args: readonly Node[],
    final: Final,
  ): Promise<Value> {
    let r = receiver;
    for (const name of ident.slice(0, -1)) r = await this.evalField(dot, name, node, [], MISSING, r);
    return this.evalField(dot, ident[ident.length - 1] as string, node, args, final, r);
  }

  async evalField(
    dot: Value,
    fieldName: string,
    node: Node,
    args: readonly Node[],
    final: Final,
    receiver: Value,
  ): Promise<Value> {
    if (receiver === undefined) {
      if (this.ctx.missingKey === 'error') this.errorf(`nil data; no entry for key ${JSON.stringify(fieldName)}`);
      return undefined;
    }
    const type = typeName(receiver);
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    if (receiver instanceof GoStruct) {
      const method = receiver.methods[fieldName];
      if (method)
        return this.evalCall(dot, { params: method.params, call: (a) => method.call(a) }, node, fieldName, args, final);
    }
    const hasArgs = args.length > 1 || final !== MISSING;
    if (receiver instanceof GoStruct && receiver.fields.has(fieldName)) {
      if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
      return receiver.fields.get(fieldName);
    }
    if (receiver instanceof GoMap) {
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      if (receiver.entries.has(fieldName)) return receiver.entries.get(fieldName);
      switch (this.ctx.missingKey) {
        case 'zero':
          return receiver.zero;
        case 'error':
          return this.errorf(`map has no entry for key ${JSON.stringify(fieldName)}`);
        default:
          return undefined;
      }
    }
    return this.errorf(`can't evaluate field ${fieldName} in type ${type}`);
  }

  async evalFunction(dot: Value, node: IdentifierNode, cmd: Node, args: readonly Node[], final: Final): Promise<Value> {
    this.at(node);
    const name = node.ident;
    const fn = this.ctx.funcs.get(name);
    if (!fn) return this.errorf(`${JSON.stringify(name)} is not a defined function`);
    return this.evalCall(dot, fn, cmd, name, args, final);
  }

  async evalCall(
    dot: Value,
    fn: TemplateFunction,
    node: Node,
    name: string,
    allArgs: readonly Node[],
    final: Final,
  ): Promise<Value> {
    // The zeroth arg is the function's name (or the field naming a method); it is not passed.
    const args = allArgs.slice(1);
    let numIn = args.length;
    if (final !== MISSING) numIn++;
    const nparams = fn.params.length;
    let numFixed = args.length;
    if (fn.variadic) {
      numFixed = nparams - 1;
      if (numIn < numFixed)
        this.errorf(`wrong number of args for ${name}: want at least ${nparams - 1} got ${args.length}`);
    } else if (numIn !== nparams) {
      this.errorf(`wrong number of args for ${name}: want ${nparams} got ${numIn}`);
    }

    if (fn.shortCircuit) {
      let v: Value;
      for (const arg of args) {
        v = await this.evalArg(dot, 'any', arg);
        if (isTrue(v).truth === (fn.shortCircuit === 'or')) return v;
      }
      if (final !== MISSING) v = this.validateType(final, 'any');
      return v;
    }

    const argv: Value[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++)
      argv.push(await this.evalArg(dot, fn.params[i] as string, args[i] as Node));
    if (fn.variadic) {
      const elem = fn.params[nparams - 1] as string;
      for (; i < args.length; i++) argv.push(await this.evalArg(dot, elem, args[i] as Node));
    }
    if (final !== MISSING) {
      const t =
        fn.variadic && numIn - 1 >= numFixed ? (fn.params[nparams - 1] as string) : (fn.params[numIn - 1] as string);
      argv.push(this.validateType(final, t));
    }
    try {
      return await fn.call(argv);
    } catch (err) {
      if (err instanceof TemplateExecError) throw err;
      this.at(node);
      // A function's returned error, or a panic inside it (safeCall turns both into an error).
      return this.errorf(`error calling ${name}: ${(err as Error).message}`);
    }
  }

  async evalArg(dot: Value, type: string | undefined, n: Node): Promise<Value> {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, type);
      case 'nil':
        if (
          type === undefined ||
          type === 'any' ||
          type.startsWith('*') ||
          type.startsWith('map[') ||
          type.startsWith('[]')
        )
          return null;
        return this.errorf(`cannot assign nil to ${type}`);
      case 'field':
        return this.validateType(await this.evalFieldNode(dot, n, [n], MISSING), type);
      case 'variable':
        return this.validateType(await this.evalVariableNode(dot, n, [], MISSING), type);
      case 'pipe':
        return this.validateType(await this.evalPipeline(dot, n), type);
      case 'identifier':
        return this.validateType(await this.evalFunction(dot, n, n, [], MISSING), type);
      case 'chain':
        return this.validateType(await this.evalChainNode(dot, n, [], MISSING), type);
    }
    switch (type) {
      case 'bool':
        if (n.type === 'bool') return n.value;
        return this.errorf(`expected bool; found ${nodeString(n)}`);
      case 'float64':
        if (n.type === 'number' && n.isFloat) return n.float64;
        return this.errorf(`expected float; found ${nodeString(n)}`);
      case 'int':
      case 'int64':
        if (n.type === 'number' && n.isInt) return new GoInt(n.int64, type);
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'string':
        if (n.type === 'string') return n.text;
        return this.errorf(`expected string; found ${nodeString(n)}`);
      case undefined:
      case 'any':
        return this.evalEmptyInterface(dot, n);
    }
    return this.errorf(`can't handle ${nodeString(n)} for arg of type ${type}`);
  }

  evalEmptyInterface(dot: Value, n: Node): Value {
    this.at(n);
    switch (n.type) {
      case 'bool':
        return n.value;
      case 'dot':
        return dot;
      case 'number':
        return this.idealConstant(n);
      case 'string':
        return n.text;
    }
    return this.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
  }

  validateType(value: Value, type: string | undefined): Value {
    if (value === undefined) {
      if (type === undefined || type === 'any') return null;
      if (type.startsWith('*') || type.startsWith('map[') || type.startsWith('[]')) return null;
      return this.errorf(`invalid value; expected ${type}`);
    }
    if (type !== undefined && !assignable(value, type))
      this.errorf(`wrong type for value; expected ${type}; got ${typeName(value)}`);
    return value;
  }

  printValue(n: Node, v: Value): void {
    this.at(n);
    this.out.push(formatValue(v));
  }
}
