/**
 * Upstream's answer to a malformed protobuf body, before protobufjs decodes it. Upstream's
 * messages are gogo-protobuf generated code, which refuses what protobufjs lets through (a known
 * field sent with another wire type is read as garbage by protobufjs, refused by gogo) and words
 * each refusal its own way (`unexpected EOF`, `proto: wrong wireType = 0 for field Timeseries`).
 * This walks the body once along the reflected schema (the same protobufjs types the decoder
 * uses: no second copy of the schema), checking only framing, and returns gogo's error text for
 * the first problem, or undefined when gogo would accept the body. Values are not decoded here.
 */
import type protobuf from 'protobufjs';

const UNEXPECTED_EOF = 'unexpected EOF';
const INTEGER_OVERFLOW = 'proto: integer overflow';
const NEGATIVE_LENGTH = 'proto: negative length found during unmarshaling';

/** Thrown inside the walk with gogo's text; caught at the top. */
class WireError {
  constructor(readonly message: string) {}
}

/** gogo's error text for the first framing problem of `buf` as a `type`, or undefined. */
export function checkWire(type: protobuf.Type, buf: Uint8Array): string | undefined {
  try {
    walk(type, buf, 0, buf.length);
    return undefined;
  } catch (err) {
    if (err instanceof WireError) return err.message;
    throw err;
  }
}

/** A varint at `pos` (before `end`) as [value, next position]: gogo's loop, its errors. */
function varint(buf: Uint8Array, pos: number, end: number): [number, number] {
  let value = 0;
  let scale = 1;
  let i = pos;
  for (let shift = 0; ; shift += 7) {
    if (shift >= 64) throw new WireError(INTEGER_OVERFLOW);
    if (i >= end) throw new WireError(UNEXPECTED_EOF);
    const b = buf[i++] as number;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return [value, i];
  }
}

/** A length prefix: a varint that, as Go's int, must not be negative (≥ 2^63). */
function length(buf: Uint8Array, pos: number, end: number): [number, number] {
  const [n, next] = varint(buf, pos, end);
  if (n >= 2 ** 63) throw new WireError(NEGATIVE_LENGTH);
  return [n, next];
}

/** The wire type a field's values use unpacked. */
function wireTypeOf(field: protobuf.Field): number {
  if (field.resolvedType && !('values' in field.resolvedType)) return 2; // a message (an enum has `values`)
  switch (field.type) {
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return 1;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return 5;
    case 'string':
    case 'bytes':
      return 2;
    default:
      return 0; // varints: ints, bools, enums
  }
}

/** gogo's Go field name: the proto name in CamelCase (`labels_refs` → `LabelsRefs`). */
function goName(name: string): string {
  return name
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function walk(type: protobuf.Type, buf: Uint8Array, start: number, end: number): void {
  let i = start;
  while (i < end) {
    const tagStart = i;
    const [wire, afterTag] = varint(buf, i, end);
    i = afterTag;
    const wireType = wire % 8;
    // Go's int32(wire >> 3): the field number, wrapped as Go wraps it.
    const fieldNum = Math.floor(wire / 8) | 0;
    if (wireType === 4) throw new WireError(`proto: ${type.name}: wiretype end group for non-group`);
    if (fieldNum <= 0) throw new WireError(`proto: ${type.name}: illegal tag ${fieldNum} (wire type ${wire})`);
    const field = type.fieldsById[fieldNum];
    if (!field) {
      i = tagStart + skip(buf, tagStart, end);
      if (i > end) throw new WireError(UNEXPECTED_EOF);
      continue;
    }
    const expected = wireTypeOf(field);
    const packable = field.repeated && expected !== 2;
    if (wireType !== expected && !(packable && wireType === 2)) {
      throw new WireError(`proto: wrong wireType = ${wireType} for field ${goName(field.name)}`);
    }
    switch (wireType) {
      case 0:
        i = varint(buf, i, end)[1];
        break;
      case 1:
      case 5: {
        const size = wireType === 1 ? 8 : 4;
        if (i + size > end) throw new WireError(UNEXPECTED_EOF);
        i += size;
        break;
      }
      default: {
        const [n, body] = length(buf, i, end);
        const next = body + n;
        if (next > end) throw new WireError(UNEXPECTED_EOF);
        if (expected === 2 && field.resolvedType && !('values' in field.resolvedType)) {
          walk(field.resolvedType as protobuf.Type, buf, body, next);
        } else if (packable && expected === 0) {
          // Packed varints: each must end inside the packed field.
          for (let k = body; k < next; ) k = varint(buf, k, next)[1];
        }
        i = next;
      }
    }
  }
}

/** gogo's skip for an unknown field at `pos`: the bytes it spans (the caller checks the end). */
function skip(buf: Uint8Array, pos: number, end: number): number {
  let i = pos;
  let depth = 0;
  for (;;) {
    const [wire, afterTag] = varint(buf, i, end);
    i = afterTag;
    switch (wire % 8) {
      case 0:
        i = varint(buf, i, end)[1];
        break;
      case 1:
        i += 8;
        break;
      case 2: {
        const [n, body] = length(buf, i, end);
        i = body + n;
        break;
      }
      case 3:
        depth++;
        break;
      case 4:
        if (depth === 0) throw new WireError('proto: unexpected end of group');
        depth--;
        break;
      case 5:
        i += 4;
        break;
      default:
        throw new WireError(`proto: illegal wireType ${wire % 8}`);
    }
    if (depth === 0) return i - pos;
  }
}
