/** File paths in a config: resolved against the config file's directory, globs checked as upstream. */
import { isAbsolute, join } from 'node:path';

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
