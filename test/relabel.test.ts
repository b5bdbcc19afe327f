import { describe, expect, it } from 'vitest';
import { applyRelabel, DEFAULT_RELABEL, type RelabelConfig, validateRelabel } from '../src/relabel/index.js';

const step = (c: Partial<RelabelConfig>): RelabelConfig => ({
  ...DEFAULT_RELABEL,
  sourceLabels: [],
  action: 'replace',
  ...c,
});
const base = { __address__: 'db-1.example.org:9100', job: 'node', __meta_env: 'Prod', tmp_a: '1' };

describe('applyRelabel', () => {
  it('replace: sets the target label from capture groups, and deletes it when the result is empty', () => {
    expect(
      applyRelabel(base, [step({ sourceLabels: ['__address__'], regex: '([^.]+)\\..*', targetLabel: 'host' })])?.host,
    ).toBe('db-1');
    expect(
      applyRelabel(base, [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a relabel replacement template, not JS
        step({ sourceLabels: ['__address__'], regex: '(?<h>[^.]+)\\..*', targetLabel: 'host', replacement: '${h}-x' }),
      ])?.host,
    ).toBe('db-1-x');
    expect(applyRelabel(base, [step({ sourceLabels: ['missing'], targetLabel: 'job' })])).not.toHaveProperty('job');
    // No match: nothing changes.
    expect(
      applyRelabel(base, [step({ sourceLabels: ['job'], regex: 'web', targetLabel: 'job', replacement: 'x' })]),
    ).toEqual(base);
  });

  it('joins source labels with the separator and anchors the regex', () => {
    const keepNodeProd = step({ action: 'keep', sourceLabels: ['job', '__meta_env'], regex: 'node;Prod' });
    expect(applyRelabel(base, [keepNodeProd])).toEqual(base);
    expect(applyRelabel(base, [step({ action: 'keep', sourceLabels: ['job'], regex: 'nod' })])).toBeUndefined();
    expect(applyRelabel(base, [step({ action: 'drop', sourceLabels: ['job'], regex: 'node' })])).toBeUndefined();
  });

  it('keepequal / dropequal compare the joined source labels with the target label', () => {
    const labels = { a: 'x', b: 'x', c: 'y' };
    expect(applyRelabel(labels, [step({ action: 'keepequal', sourceLabels: ['a'], targetLabel: 'b' })])).toEqual(
      labels,
    );
    expect(
      applyRelabel(labels, [step({ action: 'keepequal', sourceLabels: ['a'], targetLabel: 'c' })]),
    ).toBeUndefined();
    expect(
      applyRelabel(labels, [step({ action: 'dropequal', sourceLabels: ['a'], targetLabel: 'b' })]),
    ).toBeUndefined();
  });

  it('lowercase, uppercase and hashmod (MD5, as upstream)', () => {
    const out = applyRelabel(base, [
      step({ action: 'lowercase', sourceLabels: ['__meta_env'], targetLabel: 'env' }),
      step({ action: 'uppercase', sourceLabels: ['job'], targetLabel: 'JOB' }),
      step({ action: 'hashmod', sourceLabels: ['__address__'], modulus: 1000, targetLabel: 'shard' }),
    ]);
    expect(out).toMatchObject({ env: 'prod', JOB: 'NODE' });
    expect(Number(out?.shard)).toBeGreaterThanOrEqual(0);
    expect(Number(out?.shard)).toBeLessThan(1000);
    // Deterministic across runs and processes.
    expect(
      applyRelabel(base, [
        step({ action: 'hashmod', sourceLabels: ['__address__'], modulus: 1000, targetLabel: 'shard' }),
      ])?.shard,
    ).toBe(out?.shard);
  });

  it('labelmap, labeldrop and labelkeep work on label names', () => {
    expect(applyRelabel(base, [step({ action: 'labelmap', regex: '__meta_(.+)' })])).toMatchObject({
      env: 'Prod',
      __meta_env: 'Prod',
    });
    expect(applyRelabel(base, [step({ action: 'labeldrop', regex: 'tmp_.*' })])).not.toHaveProperty('tmp_a');
    expect(Object.keys(applyRelabel(base, [step({ action: 'labelkeep', regex: '__.*|job' })]) ?? {})).toEqual([
      '__address__',
      'job',
      '__meta_env',
    ]);
  });

  it('does not modify its input', () => {
    const input = { ...base };
    applyRelabel(input, [step({ action: 'labeldrop', regex: '.*' })]);
    expect(input).toEqual(base);
  });
});

describe('regexes are RE2, as upstream', () => {
  it("expands RE2's named groups (?P<name>…) in the replacement", () => {
    const out = applyRelabel({ a: 'foo-bar' }, [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's template syntax under test
      step({ sourceLabels: ['a'], regex: '(?P<head>[a-z]+)-(.*)', targetLabel: 'b', replacement: '${head}:$2' }),
    ]);
    expect(out).toEqual({ a: 'foo-bar', b: 'foo:bar' });
  });

  it('matches a hostile pattern against a long value in linear time', () => {
    // (a+)+$ backtracks exponentially on V8's engine: 35 characters froze the process before.
    const value = `${'a'.repeat(10_000)}!`;
    expect(applyRelabel({ a: value }, [step({ sourceLabels: ['a'], action: 'drop', regex: '(a+)+$' })])).toEqual({
      a: value,
    });
  });

  it("refuses a regex RE2 refuses, quoting the anchored form as upstream's message does", () => {
    expect(() => validateRelabel({ ...step({ regex: '(unclosed' }), sourceLabelsSet: true })).toThrow(
      'error parsing regexp: missing closing ): `^(?s:(unclosed)$`',
    );
  });
});
