/**
 * Go values as a template sees them. Templates are typed in Go: `{{ 1 }}` is an int, `$value` a
 * float64, `$labels` a map[string]string, and functions check their arguments' types, so the
 * interpreter keeps Go's types where they change an outcome: how a value prints (`1` against
 * `1e+06`), which comparisons are allowed (`gt $value 1` is an error in Go), and what an error
 * message names (`can't evaluate field x in type float64`).
 *
 * A JS string is a Go string, a number a float64, a boolean a bool; `undefined` is Go's invalid
 * reflect.Value (printed `<no value>`) and `null` a nil interface (printed `<nil>`). Everything
 * else is one of the tagged classes below.
 */
import { goFormatFloat } from '../golang/index.js';

/** An integer of a named Go integer type (`int`, `int64`, `uint64`, …). */
export class GoInt {
  constructor(
    readonly value: bigint,
    readonly type: 'int' | 'int64' | 'uint' | 'uint64' = 'int',
  ) {}
}

/** A map with string keys (`map[string]string`, `map[string]interface {}`). */
export class GoMap {
  constructor(
    readonly type: string,
    readonly entries: ReadonlyMap<string, Value>,
    /** The element type's zero value: what a missing key reads as under missingkey=zero. */
    readonly zero: Value,
  ) {}
}

/** A slice (or a named slice type such as `template.queryResult`). */
export class GoSlice {
  constructor(
    readonly type: string,
    readonly items: Value[],
  ) {}
}

/** A struct, or a pointer to one (`*template.sample`): fields in declaration order, and methods. */
export class GoStruct {
  constructor(
    readonly type: string,
    readonly fields: ReadonlyMap<string, Value>,
    readonly methods: Readonly<Record<string, Method>> = {},
    /** How fmt prints it when it has a String method (time.Time does). */
    readonly stringer?: () => string,
  ) {}
}

/** A method a template may call: `.Format "2006"`. `params` are Go type names, as for functions. */
export interface Method {
  params: string[];
  call(args: Value[]): Value;
}

/** A value of a named string type (`template.HTML` from safeHtml): prints as its string. */
export class GoNamedString {
  constructor(
    readonly type: string,
    readonly value: string,
  ) {}
}

export type Value = string | number | boolean | null | undefined | GoInt | GoMap | GoSlice | GoStruct | GoNamedString;

/** Go's reflect type name of a value, as fmt's `%T` and template errors print it. */
export function typeName(v: Value): string {
  if (v === undefined) return '<invalid reflect.Value>';
  if (v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
  }
  return v.type;
}

/** A map[string]string from a plain record. */
export function stringMap(record: Readonly<Record<string, string>>): GoMap {
  return new GoMap('map[string]string', new Map(Object.entries(record)), '');
}

/** fmt's `%v` of a value (fmt.Fprint of one operand). */
export function formatValue(v: Value): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return goFormatFloat(v, 'g', -1);
    case 'boolean':
      return String(v);
  }
  if (v instanceof GoInt) return v.value.toString();
  if (v instanceof GoNamedString) return v.value;
  if (v instanceof GoMap) {
    const keys = [...v.entries.keys()].sort(compareStrings);
    return `map[${keys.map((k) => `${k}:${formatValue(v.entries.get(k))}`).join(' ')}]`;
  }
  if (v instanceof GoSlice) return `[${v.items.map(formatValue).join(' ')}]`;
  if (v.stringer) return v.stringer();
  const body = `{${[...v.fields.values()].map(formatValue).join(' ')}}`;
  return v.type.startsWith('*') ? `&${body}` : body;
}

/** Go's string comparison (by UTF-8 bytes, which for valid text is code point order). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ca = [...a];
  const cb = [...b];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]?.codePointAt(0) as number;
    const y = cb[i]?.codePointAt(0) as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}

/** text/template's truth: false, 0, nil, and empty strings, maps and slices are false. */
export function isTrue(v: Value): { truth: boolean; ok: boolean } {
  if (v === undefined) return { truth: false, ok: false };
  if (v === null) return { truth: false, ok: true };
  switch (typeof v) {
    case 'string':
      return { truth: v.length > 0, ok: true };
    case 'number':
      return { truth: v !== 0, ok: true };
    case 'boolean':
      return { truth: v, ok: true };
  }
  if (v instanceof GoInt) return { truth: v.value !== 0n, ok: true };
  if (v instanceof GoNamedString) return { truth: v.value.length > 0, ok: true };
  if (v instanceof GoMap) return { truth: v.entries.size > 0, ok: true };
  if (v instanceof GoSlice) return { truth: v.items.length > 0, ok: true };
  return { truth: true, ok: true };
}

/** Whether a value may be passed where Go type `param` is expected (`any` takes everything). */
export function assignable(v: Value, param: string): boolean {
  if (param === 'any') return true;
  if (v === null) return param.startsWith('*') || param.startsWith('map[') || param.startsWith('[]');
  return typeName(v) === param;
}
