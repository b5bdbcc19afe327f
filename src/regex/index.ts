/**
 * src/regex: Prometheus's regexes, which are Go's RE2. Every regex a user gives miniprom (relabel
 * rules, PromQL matchers, `label_replace`) compiles here, on `re2js`, a pure-JS port of RE2:
 *
 * - the same syntax as upstream (`(?P<name>…)`, `(?i)`, `\C` refused, no backreferences or
 *   lookarounds) and the same error text (`error parsing regexp: missing closing ): …`);
 * - linear time: no pattern and no input can make a match backtrack, so one hostile regex such as
 *   `(a+)+$` cannot stall the event loop (V8's own engine can take seconds or forever);
 * - fully anchored with `.` matching newlines, as upstream compiles `^(?s:re)$` for both relabel
 *   rules and label matchers.
 *
 * Imports nothing of ours.
 */
import { RE2JS } from 're2js';

export interface Regex {
  /** The pattern as written, unanchored. */
  readonly source: string;
  /** Whether the pattern matches the whole of `value`. */
  test(value: string): boolean;
  /** The groups of a match of the whole of `value` (`[0]` is the whole), or undefined. */
  match(value: string): RegexMatch | undefined;
}

/** A match's groups: by number, and by name for `(?P<name>…)`; an unmatched group is undefined. */
export interface RegexMatch {
  readonly groups: ReadonlyArray<string | undefined>;
  readonly named: Readonly<Record<string, string | undefined>>;
}

/**
 * Go's `error parsing regexp: …` message (re2js words its errors as Go's regexp/syntax does),
 * naming the pattern as written, as PromQL's matchers report it. Relabel rules report the
 * anchored form upstream compiles (`` `^(?s:(a)$` ``): that text is `anchoredMessage`.
 * (The fragment Go quotes is the whole pattern for most errors; for the others both name the
 * same fragment.)
 */
export class RegexError extends Error {
  constructor(
    message: string,
    readonly anchoredMessage: string,
  ) {
    super(message);
  }
}

/**
 * Compiled regexes by pattern. Bounded, because queries bring arbitrary patterns; relabel rules
 * and rule files bring few, and those stay hot.
 */
const cache = new Map<string, Regex>();
const CACHE_LIMIT = 4096;

/** The pattern, anchored at both ends with `.` matching newlines; throws `RegexError`. */
export function compileRegex(source: string): Regex {
  const hit = cache.get(source);
  if (hit) return hit;
  const compiled = compileUncached(source);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(source, compiled);
  return compiled;
}

function compileUncached(source: string): Regex {
  try {
    // The pattern alone first, as PromQL's matchers parse it before anchoring: a pattern that is
    // only valid inside the wrapper (`a)(?s:(b`) is refused. Upstream's relabel rules would take
    // it; nobody writes one, so both get the stricter answer.
    RE2JS.compile(source);
  } catch (err) {
    const message = (err as Error).message;
    const anchored = `\`^(?s:${source})$\``;
    throw new RegexError(
      message,
      message.replace(`\`${source}\``, () => anchored),
    );
  }
  const re = RE2JS.compile(`^(?s:${source})$`);
  return {
    source,
    // testExact asks for no groups, which keeps re2js on its DFA: the fast path for matchers.
    test: (value) => re.testExact(value),
    match(value) {
      const m = re.exec(value) as (Array<string | undefined> & { groups?: Record<string, string> }) | null;
      if (!m) return undefined;
      return { groups: Array.from(m, (g) => g ?? undefined), named: m.groups ?? {} };
    },
  };
}

/** An unanchored regex, as Go's `regexp.Compile` gives Prometheus's template functions. */
export interface SearchRegex {
  /** regexp.MatchString: whether the pattern matches anywhere in `value`. */
  test(value: string): boolean;
  /**
   * regexp.ReplaceAllString: every non-overlapping match replaced by `template` expanded as
   * `regexp.Expand` does (`$1`, `${name}`); an empty match right after a match is skipped, as Go.
   */
  replaceAll(value: string, template: string): string;
}

/** Compiles `source` unanchored (as written); throws `RegexError` with Go's message. */
export function compileSearch(source: string): SearchRegex {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    const message = (err as Error).message;
    throw new RegexError(message, message);
  }
  const names = Object.entries(re.namedGroups() as Record<string, number>);
  return {
    test: (value) => re.matcher(value).find(),
    replaceAll(value, template) {
      const m = re.matcher(value);
      let out = '';
      let last = 0;
      let prevEnd = -1;
      let from = 0;
      while (from <= value.length && m.find(from)) {
        const start = m.start();
        const end = m.end();
        if (start === end && start === prevEnd) {
          // Go skips an empty match abutting the previous one; try one character later.
          from = start + 1;
          continue;
        }
        const groups: Array<string | undefined> = [];
        for (let g = 0; g <= m.groupCount(); g++) groups.push(m.group(g) ?? undefined);
        const named = Object.fromEntries(names.map(([name, g]) => [name, groups[g]]));
        out += value.slice(last, start) + expandTemplate(template, { groups, named });
        last = end;
        prevEnd = end;
        from = end === start ? end + 1 : end;
      }
      return out + value.slice(last);
    },
  };
}

/**
 * Go's `regexp.Expand` as relabeling uses it: `$1`, `${1}`, `$name`, `${name}`, and `$$` for a
 * dollar. A name is the longest run of letters, digits and `_` (so `$1x` is the group named `1x`,
 * which expands to ""); a number with a leading zero is a name too; an unknown or unmatched group
 * expands to ""; a `$` not followed by a valid reference is kept as it is.
 */
export function expandTemplate(template: string, m: RegexMatch): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) break;
    out += template.slice(i, dollar);
    if (template[dollar + 1] === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    const ref = reference(template, dollar + 1);
    if (!ref) {
      out += '$'; // malformed: the dollar is literal text, as in Go
      i = dollar + 1;
      continue;
    }
    out += (ref.num >= 0 ? m.groups[ref.num] : m.named[ref.name]) ?? '';
    i = ref.end;
  }
  return out + template.slice(i);
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** Go's regexp `extract`: the reference starting at `at` (after the `$`), or undefined. */
function reference(s: string, at: number): { name: string; num: number; end: number } | undefined {
  const brace = s[at] === '{';
  let i = brace ? at + 1 : at;
  const start = i;
  for (const ch of s.slice(start)) {
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === start) return undefined;
  const name = s.slice(start, i);
  if (brace) {
    if (s[i] !== '}') return undefined;
    i++;
  }
  let num = /^\d+$/.test(name) && name.length <= 8 ? Number(name) : -1;
  if (name.length > 1 && name[0] === '0') num = -1;
  return { name, num, end: i };
}
