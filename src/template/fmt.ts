/**
 * Go's fmt as templates use it: `printf` (Sprintf), `print` (Sprint) and `println` (Sprintln).
 * The verbs rule files use are here with Go's flags, width and precision (`%s %v %q %d %f %e %g
 * %x %t %c %%`); a verb that does not fit its operand prints Go's `%!d(string=abc)`, a missing
 * operand `%!s(MISSING)`, extra operands `%!(EXTRA float64=1)`.
 */
import { goFormatFloat } from '../golang/index.js';
import { goQuoteString } from './parse.js';
import { formatValue, GoInt, GoNamedString, typeName, type Value } from './values.js';

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  prec?: number;
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: readonly Value[]): string {
  let out = '';
  let argNum = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false };
    flags: for (; i < format.length; i++) {
      switch (format[i]) {
        case '-':
          spec.minus = true;
          spec.zero = false;
          break;
        case '+':
          spec.plus = true;
          break;
        case '#':
          spec.sharp = true;
          break;
        case ' ':
          spec.space = true;
          break;
        case '0':
          spec.zero = !spec.minus;
          break;
        default:
          break flags;
      }
    }
    const readNumber = (): number | undefined => {
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    if (format[i] === '*') {
      i++;
      const w = args[argNum++];
      if (w instanceof GoInt) {
        spec.width = Number(w.value);
        if (spec.width < 0) {
          spec.minus = true;
          spec.width = -spec.width;
        }
      } else out += '%!(BADWIDTH)';
    } else spec.width = readNumber();
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const p = args[argNum++];
        if (p instanceof GoInt) spec.prec = Number(p.value);
        else out += '%!(BADPREC)';
      } else spec.prec = readNumber() ?? 0;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) as number);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(args[argNum++], verb, spec);
  }
  if (argNum < args.length) {
    out += `%!(EXTRA ${args
      .slice(argNum)
      .map((a) => (a === null || a === undefined ? '<nil>' : `${typeName(a)}=${formatValue(a)}`))
      .join(', ')})`;
  }
  return out;
}

function pad(s: string, spec: Spec, zeroOK = false): string {
  const width = spec.width ?? 0;
  const n = [...s].length;
  if (n >= width) return s;
  if (spec.minus) return s + ' '.repeat(width - n);
  if (spec.zero && zeroOK) {
    const sign = /^[+\- ]/.test(s) ? (s[0] as string) : '';
    return sign + '0'.repeat(width - n) + s.slice(sign.length);
  }
  return ' '.repeat(width - n) + s;
}

function badVerb(v: Value, verb: string): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatValue(v)})`;
}

function signed(text: string, negative: boolean, spec: Spec): string {
  if (negative) return `-${text}`;
  if (spec.plus) return `+${text}`;
  if (spec.space) return ` ${text}`;
  return text;
}

function formatOne(v: Value, verb: string, spec: Spec): string {
  if (typeof v === 'number') return formatFloat(v, verb, spec);
  if (v instanceof GoInt) return formatInt(v.value, verb, spec);
  if (typeof v === 'string' || v instanceof GoNamedString) {
    const s = typeof v === 'string' ? v : v.value;
    return formatString(s, verb, spec) ?? badVerb(v, verb);
  }
  if (typeof v === 'boolean') {
    if (verb === 't' || verb === 'v') return pad(String(v), spec);
    return badVerb(v, verb);
  }
  if (v === null || v === undefined) {
    if (verb === 'v' || verb === 's') return pad(v === null ? '<nil>' : '<no value>', spec);
    return `%!${verb}(<nil>)`;
  }
  // Maps, slices and structs: %v and %s print them as fmt's default format does.
  if (verb === 'v' || verb === 's') return pad(formatValue(v), spec);
  return badVerb(v, verb);
}

function formatString(s: string, verb: string, spec: Spec): string | undefined {
  const truncated = spec.prec !== undefined ? [...s].slice(0, spec.prec).join('') : s;
  switch (verb) {
    case 'v':
    case 's':
      return pad(truncated, spec);
    case 'q':
      return pad(spec.sharp && !truncated.includes('`') ? `\`${truncated}\`` : goQuoteString(truncated), spec);
    case 'x':
    case 'X': {
      const hex = [...Buffer.from(truncated, 'utf8')]
        .map((b) => b.toString(16).padStart(2, '0'))
        .join(spec.space ? ' ' : '');
      return pad(verb === 'X' ? hex.toUpperCase() : hex, spec);
    }
  }
  return undefined;
}

function formatInt(value: bigint, verb: string, spec: Spec): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  let digits: string;
  switch (verb) {
    case 'v':
    case 'd':
      digits = abs.toString();
      break;
    case 'b':
      digits = abs.toString(2);
      break;
    case 'o':
      digits = abs.toString(8);
      break;
    case 'x':
      digits = abs.toString(16);
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      break;
    case 'c':
      return pad(String.fromCodePoint(Number(value)), spec);
    case 'q':
      return pad(`'${String.fromCodePoint(Number(value))}'`, spec);
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      return badVerb(new GoInt(value), verb);
    default:
      return badVerb(new GoInt(value), verb);
  }
  if (spec.prec !== undefined) {
    digits = digits.padStart(spec.prec, '0');
    if (spec.prec === 0 && value === 0n) digits = '';
    return pad(signed(digits, negative, spec), { ...spec, zero: false });
  }
  if (spec.sharp) {
    if (verb === 'x') digits = `0x${digits}`;
    else if (verb === 'X') digits = `0X${digits}`;
    else if (verb === 'o') digits = `0${digits}`;
    else if (verb === 'b') digits = `0b${digits}`;
  }
  return pad(signed(digits, negative, spec), spec, true);
}

function formatFloat(v: number, verb: string, spec: Spec): string {
  let text: string;
  switch (verb) {
    case 'v':
      text = goFormatFloat(v, 'g', spec.prec ?? -1);
      break;
    case 'g':
    case 'G':
      text = goFormatFloat(v, verb, spec.prec ?? -1);
      break;
    case 'e':
    case 'E':
      text = goFormatFloat(v, verb, spec.prec ?? 6);
      break;
    case 'f':
    case 'F':
      text = goFormatFloat(v, 'f', spec.prec ?? 6);
      break;
    default:
      return badVerb(v, verb);
  }
  if (Number.isNaN(v)) {
    const s = spec.plus ? '+NaN' : spec.space ? ' NaN' : 'NaN';
    return pad(s, { ...spec, zero: false });
  }
  const negative = text.startsWith('-');
  const unsigned = negative || text.startsWith('+') ? text.slice(1) : text;
  if (!Number.isFinite(v))
    return pad(negative ? `-${unsigned}` : spec.space && !spec.plus ? ` ${unsigned}` : `+${unsigned}`, {
      ...spec,
      zero: false,
    });
  return pad(signed(unsigned, negative, spec), spec, true);
}

/** fmt.Sprint: operands formatted with %v, a space between two operands when neither is a string. */
export function sprint(args: readonly Value[]): string {
  let out = '';
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** fmt.Sprintln: operands with %v, always separated by a space, and a newline. */
export function sprintln(args: readonly Value[]): string {
  return `${args.map(formatValue).join(' ')}\n`;
}
