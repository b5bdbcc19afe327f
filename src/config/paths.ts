/** File paths in a config: resolved against the config file's directory, globs checked as upstream. */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';

/**
 * Upstream's config.JoinDir: a relative path is taken relative to the config file's directory, so
 * the same config works whatever directory Prometheus starts in. Empty stays empty (unset).
 */
export function joinDir(dir: string, path: string): string;
export function joinDir(dir: string, path: string | undefined): string | undefined;
export function joinDir(dir: string, path: string | undefined): string | undefined {
  return path === undefined || path === '' || isAbsolute(path) ? path : join(dir, path);
}

/** Upstream's patRulePath: a `*` may appear only in the last path element. */
const RULE_PATH = /^[^*]*(\*[^/]*)?$/;

/**
 * Whether a rule_files entry is a pattern upstream accepts: its patRulePath rule, and Go's
 * filepath.Match syntax (the rule manager expands it with filepath.Glob, which would otherwise fail
 * at every evaluation instead of once, here, with a position).
 */
export function isValidRulePath(pattern: string): boolean {
  return RULE_PATH.test(pattern) && isValidGlob(pattern);
}

/** Go's filepath.Match syntax: `\` escapes, and `[…]` classes are closed, non-empty and well-formed. */
function isValidGlob(pattern: string): boolean {
  let i = 0;
  // One character of a class (`a`, `\]`); `-` and `]` must be escaped there. Advances i.
  const classChar = (): boolean => {
    const c = pattern[i];
    if (c === undefined || c === '-' || c === ']') return false;
    if (c === '\\') i++;
    if (pattern[i] === undefined) return false;
    i++;
    return true;
  };
  while (i < pattern.length) {
    const c = pattern[i++];
    if (c === '\\') {
      if (pattern[i++] === undefined) return false; // a trailing backslash escapes nothing
    } else if (c === '[') {
      if (pattern[i] === '^') i++;
      let ranges = 0;
      while (!(pattern[i] === ']' && ranges > 0)) {
        if (!classChar()) return false;
        if (pattern[i] === '-') {
          i++;
          if (!classChar()) return false;
        }
        ranges++;
      }
      i++; // the closing ]
    }
  }
  return true;
}

/** Upstream's check of a scrape_config_files entry: patRulePath, the same rule as rule_files. */
export function isValidScrapeConfigFilePath(pattern: string): boolean {
  return RULE_PATH.test(pattern);
}

/** Thrown by goGlob for a malformed pattern, with Go's ErrBadPattern text. */
export class BadPatternError extends Error {
  constructor() {
    super('syntax error in pattern');
  }
}

/**
 * Go's filepath.Glob: every existing path that matches `pattern`, each directory's names in sorted
 * order. A pattern without wildcards gives itself when that path exists, else nothing; a directory
 * that cannot be read matches nothing; a malformed pattern throws BadPatternError. Unlike a shell,
 * `*` matches names starting with a dot, as Go's does.
 */
export function goGlob(pattern: string): string[] {
  if (!isValidGlob(pattern)) throw new BadPatternError();
  if (!hasMeta(pattern)) return existsL(pattern) ? [pattern] : [];
  const cut = pattern.lastIndexOf(sep) + 1;
  const file = pattern.slice(cut);
  // Go's cleanGlobPath: no directory is the current one; the root stays the root.
  let dir = pattern.slice(0, cut);
  if (dir === '') dir = '.';
  else if (dir !== sep) dir = dir.slice(0, -1);
  const dirs = hasMeta(dir) ? goGlob(dir) : [dir];
  return dirs.flatMap((d) => matchIn(d, file));
}

function hasMeta(path: string): boolean {
  return /[*?[\\]/.test(path);
}

function existsL(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The names in `dir` that match the one-segment `pattern`, joined to `dir`, sorted. */
function matchIn(dir: string, pattern: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return [];
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.filter((name) => matchSegment(pattern, name)).map((name) => join(dir, name));
}

/**
 * filepath.Match of one path segment (no separators on either side): `*` any run, `?` any one
 * character, `[…]` a class (`^` negates), `\` escapes. The pattern is already known to be
 * well-formed (isValidGlob).
 */
function matchSegment(pattern: string, name: string): boolean {
  const chars = Array.from(name);
  const pat = Array.from(pattern);
  const go = (pi: number, ni: number): boolean => {
    while (pi < pat.length) {
      const c = pat[pi] as string;
      if (c === '*') {
        while (pat[pi] === '*') pi++;
        for (let k = ni; k <= chars.length; k++) if (go(pi, k)) return true;
        return false;
      }
      if (ni >= chars.length) return false;
      const ch = chars[ni] as string;
      if (c === '?') {
        pi++;
      } else if (c === '[') {
        const end = classEnd(pat, pi);
        if (!classMatches(pat.slice(pi + 1, end), ch)) return false;
        pi = end + 1;
      } else {
        const literal = c === '\\' ? pat[++pi] : c;
        if (literal !== ch) return false;
        pi++;
      }
      ni++;
    }
    return ni === chars.length;
  };
  return go(0, 0);
}

/** The index of the `]` that closes the class opened at `start` (a `]` inside is escaped). */
function classEnd(pat: string[], start: number): number {
  let i = start + 1;
  while (pat[i] !== ']') i += pat[i] === '\\' ? 2 : 1;
  return i;
}

/** Whether `ch` is in the class body (between `[` and `]`). */
function classMatches(body: string[], ch: string): boolean {
  let i = 0;
  const negated = body[0] === '^';
  if (negated) i++;
  const code = ch.codePointAt(0) as number;
  let matched = false;
  const next = () => {
    if (body[i] === '\\') i++;
    return (body[i++] as string).codePointAt(0) as number;
  };
  while (i < body.length) {
    const lo = next();
    let hi = lo;
    if (body[i] === '-') {
      i++;
      hi = next();
    }
    if (lo <= code && code <= hi) matched = true;
  }
  return matched !== negated;
}
