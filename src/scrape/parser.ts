/**
 * The Prometheus text exposition format (0.0.4), parsed in one pass over the body. This is the
 * scrape hot path: no regex per line, no intermediate arrays beyond the samples themselves.
 */

export interface ParsedSample {
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57);

function parseValue(text: string, lineNo: number): number {
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  const v = Number(text);
  if (text === '' || Number.isNaN(v))
    throw new Error(`line ${lineNo}: expected value after metric, got ${JSON.stringify(text)}`);
  return v;
}

export function parseTextFormat(body: string): ParsedSample[] {
  const out: ParsedSample[] = [];
  const n = body.length;
  let pos = 0;
  let lineNo = 0;
  while (pos < n) {
    lineNo++;
    let end = body.indexOf('\n', pos);
    if (end < 0) end = n;
    let i = pos;
    pos = end + 1;
    while (i < end && (body.charCodeAt(i) === 32 || body.charCodeAt(i) === 9)) i++;
    if (i >= end || body.charCodeAt(i) === 35 /* # */ || (end - i === 1 && body.charCodeAt(i) === 13)) continue;

    const nameStart = i;
    if (!isNameStart(body.charCodeAt(i)))
      throw new Error(`line ${lineNo}: expected metric name, got ${JSON.stringify(body.slice(i, end))}`);
    while (i < end && isNameChar(body.charCodeAt(i))) i++;
    const labels: Record<string, string> = { __name__: body.slice(nameStart, i) };
    while (i < end && body.charCodeAt(i) === 32) i++;
    if (body.charCodeAt(i) === 123 /* { */) {
      i++;
      for (;;) {
        while (i < end && body.charCodeAt(i) === 32) i++;
        if (body.charCodeAt(i) === 125 /* } */) {
          i++;
          break;
        }
        const ls = i;
        if (!isNameStart(body.charCodeAt(i)) || body.charCodeAt(i) === 58) {
          throw new Error(`line ${lineNo}: expected label name, got ${JSON.stringify(body.slice(i, end))}`);
        }
        while (i < end && isNameChar(body.charCodeAt(i)) && body.charCodeAt(i) !== 58) i++;
        const name = body.slice(ls, i);
        while (i < end && body.charCodeAt(i) === 32) i++;
        if (body.charCodeAt(i) !== 61 /* = */)
          throw new Error(`line ${lineNo}: expected equal sign after label name ${JSON.stringify(name)}`);
        i++;
        while (i < end && body.charCodeAt(i) === 32) i++;
        if (body.charCodeAt(i) !== 34 /* " */)
          throw new Error(`line ${lineNo}: expected quoted label value for ${JSON.stringify(name)}`);
        i++;
        let value = '';
        let chunk = i;
        for (;;) {
          if (i >= end) throw new Error(`line ${lineNo}: unterminated label value for ${JSON.stringify(name)}`);
          const c = body.charCodeAt(i);
          if (c === 34) break;
          if (c === 92 /* \ */) {
            value += body.slice(chunk, i);
            const e = body.charCodeAt(i + 1);
            value += e === 110 ? '\n' : e === 92 ? '\\' : e === 34 ? '"' : `\\${body[i + 1] ?? ''}`;
            i += 2;
            chunk = i;
            continue;
          }
          i++;
        }
        value += body.slice(chunk, i);
        i++;
        if (name in labels && name !== '__name__')
          throw new Error(`line ${lineNo}: duplicate label name ${JSON.stringify(name)}`);
        labels[name] = value;
        while (i < end && body.charCodeAt(i) === 32) i++;
        const c = body.charCodeAt(i);
        if (c === 44 /* , */) i++;
        else if (c !== 125) throw new Error(`line ${lineNo}: expected comma or closing brace after label value`);
      }
    }
    while (i < end && body.charCodeAt(i) === 32) i++;
    let lineEnd = end;
    if (body.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    const rest = body.slice(i, lineEnd).trim();
    const space = rest.indexOf(' ');
    const value = parseValue(space < 0 ? rest : rest.slice(0, space), lineNo);
    const sample: ParsedSample = { labels, value };
    if (space >= 0) {
      const ts = Number(rest.slice(space + 1).trim());
      if (!Number.isInteger(ts))
        throw new Error(`line ${lineNo}: invalid timestamp ${JSON.stringify(rest.slice(space + 1))}`);
      sample.timestamp = ts;
    }
    out.push(sample);
  }
  return out;
}
