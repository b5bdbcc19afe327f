// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Go's template syntax is what these tests are about
import { describe, expect, it } from 'vitest';
import { compileRegex, expandTemplate, RegexError } from '../../src/regex/index.js';

describe('compileRegex', () => {
  it('anchors the pattern at both ends', () => {
    const re = compileRegex('fo+');
    expect(re.test('foo')).toBe(true);
    expect(re.test('xfoo')).toBe(false);
    expect(re.test('foox')).toBe(false);
  });

  it('lets . match a newline, as upstream compiles (?s:…)', () => {
    expect(compileRegex('a.b').test('a\nb')).toBe(true);
  });

  it('takes RE2 syntax: named groups (?P<name>…) and flags (?i)', () => {
    const m = compileRegex('(?P<word>(?i)FOO)-(\\d+)').match('foo-42');
    expect(m?.groups).toEqual(['foo-42', 'foo', '42']);
    expect(m?.named).toEqual({ word: 'foo' });
  });

  it("refuses what RE2 refuses, in Go's words, naming the pattern as written", () => {
    expect(() => compileRegex('(a')).toThrow(RegexError);
    expect(() => compileRegex('(a')).toThrow('error parsing regexp: missing closing ): `(a`');
    expect(() => compileRegex('a(?=b)')).toThrow('error parsing regexp: invalid or unsupported Perl syntax: `(?=`');
  });

  it("gives relabeling the anchored form upstream's relabel rules report", () => {
    try {
      compileRegex('(unclosed');
      expect.unreachable();
    } catch (err) {
      expect((err as RegexError).anchoredMessage).toBe('error parsing regexp: missing closing ): `^(?s:(unclosed)$`');
    }
  });

  it('matches in linear time: (a+)+$ against a long value answers at once', () => {
    // V8's backtracking engine takes longer than the age of the universe for this input.
    expect(compileRegex('(a+)+$').test(`${'a'.repeat(100_000)}b`)).toBe(false);
  });
});

describe('expandTemplate (Go regexp.Expand)', () => {
  const m = compileRegex('(?P<first>a+)-(b+)').match('aa-bbb');
  if (!m) throw new Error('no match');
  it.each([
    ['$1', 'aa'],
    ['${1}', 'aa'],
    ['$first', 'aa'],
    ['${first}', 'aa'],
    ['$2:$1', 'bbb:aa'],
    ['$$1', '$1'],
    ['$1x', ''], // the group named "1x"
    ['${1}x', 'aax'],
    ['$01', ''], // a leading zero makes it a name
    ['$9', ''], // no such group
    ['$nope', ''],
    ['a$', 'a$'], // malformed: the dollar stays
    ['${1', '${1'],
    ['$-', '$-'],
  ])('%s → %s', (template, expected) => {
    expect(expandTemplate(template, m)).toBe(expected);
  });
});
