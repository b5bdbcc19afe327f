/**
 * filepath.Glob, as Prometheus expands rule_files patterns: `*`, `?` and `[…]` within one path
 * segment. Node 20 has no fs.glob, and a pattern language this small needs no dependency.
 * As in Go, a pattern that matches nothing is not an error; unlike Go, a pattern without any
 * wildcard that names a missing file is returned anyway, so the caller reports it (contract.md §2).
 */
import { readdirSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';

const META = /[*?[]/;

export function hasMeta(pattern: string): boolean {
  return META.test(pattern);
}

/** Converts one glob segment to an anchored RegExp; throws `syntax error in pattern` like Go. */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) throw new Error('syntax error in pattern');
      let body = segment.slice(i + 1, end);
      if (body.startsWith('^')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Every existing path matching `pattern` (absolute), sorted; literal patterns are returned as is. */
export function glob(pattern: string): string[] {
  if (!hasMeta(pattern)) return [pattern];
  const segments = pattern.split(sep);
  let bases = [isAbsolute(pattern) ? sep : '.'];
  for (const [i, segment] of segments.entries()) {
    if (segment === '' && i === 0) continue;
    if (!hasMeta(segment)) {
      bases = bases.map((b) => join(b, segment));
      continue;
    }
    const re = segmentRegExp(segment);
    const next: string[] = [];
    for (const base of bases) {
      let names: string[];
      try {
        names = readdirSync(base);
      } catch {
        continue; // like Go: an unreadable directory simply matches nothing
      }
      for (const name of names)
        if (re.test(name) && !(name.startsWith('.') && !segment.startsWith('.'))) next.push(join(base, name));
    }
    bases = next;
  }
  return bases.sort();
}
