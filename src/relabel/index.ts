/**
 * src/relabel: Prometheus's relabeling (model/relabel): the config with upstream's defaults and
 * validation rules, and `process`, which applies a list of steps to a label set. Used by the
 * scrape manager (relabel_configs, metric_relabel_configs) and the notifier (alert_relabel_configs).
 * Regexes are upstream's: RE2 (src/regex), fully anchored, `.` matching newlines.
 */
import { createHash } from 'node:crypto';
import { compileRegex, expandTemplate, type Regex, RegexError } from '../regex/index.js';

export const ACTIONS = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
] as const;
export type Action = (typeof ACTIONS)[number];

export interface RelabelConfig {
  sourceLabels: string[];
  separator: string;
  /** The regex as written (unanchored); `compiled` is the anchored form. */
  regex: string;
  modulus: number;
  targetLabel: string;
  replacement: string;
  action: Action;
}

export const DEFAULT_RELABEL: Readonly<Omit<RelabelConfig, 'sourceLabels' | 'action'>> = {
  separator: ';',
  regex: '(.*)',
  modulus: 0,
  targetLabel: '',
  replacement: '$1',
};

/**
 * model.LabelName.IsValid as Prometheus 3.5 runs it (UTF-8 names, process-wide): any non-empty
 * valid UTF-8. A template target (`$1`, `${name}`) is such a name too, so upstream's separate
 * template check accepts the same set. (Invalid UTF-8 from a config arrives as lone surrogates.)
 */
function isValidLabelName(name: string): boolean {
  return name !== '' && !/\p{Cs}/u.test(name);
}

/** Upstream's checks (relabel.Config.Validate), with its wording. Throws on the first problem. */
export function validateRelabel(c: RelabelConfig & { sourceLabelsSet: boolean }): void {
  const a = c.action;
  // Upstream compiles the regex while unmarshaling, before Validate: a bad regex is reported first.
  compile(c.regex);
  if (!(ACTIONS as readonly string[]).includes(a)) throw new Error(`unknown relabel action ${JSON.stringify(a)}`);
  if (c.modulus === 0 && a === 'hashmod')
    throw new Error('relabel configuration for hashmod requires non-zero modulus');
  const needsTarget: Action[] = ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'];
  if (needsTarget.includes(a) && c.targetLabel === '') {
    throw new Error(`relabel configuration for ${a} action requires 'target_label' value`);
  }
  if (a === 'replace' && !isValidLabelName(c.targetLabel)) {
    throw new Error(`${JSON.stringify(c.targetLabel)} is invalid 'target_label' for ${a} action`);
  }
  if (['lowercase', 'uppercase', 'keepequal', 'dropequal', 'hashmod'].includes(a) && !isValidLabelName(c.targetLabel)) {
    throw new Error(`${JSON.stringify(c.targetLabel)} is invalid 'target_label' for ${a} action`);
  }
  if (
    (a === 'lowercase' || a === 'uppercase' || a === 'keepequal' || a === 'dropequal') &&
    c.replacement !== DEFAULT_RELABEL.replacement
  ) {
    throw new Error(`'replacement' can not be set for ${a} action`);
  }
  if (
    (a === 'keepequal' || a === 'dropequal') &&
    (c.regex !== DEFAULT_RELABEL.regex ||
      c.modulus !== 0 ||
      c.separator !== DEFAULT_RELABEL.separator ||
      c.replacement !== DEFAULT_RELABEL.replacement)
  ) {
    throw new Error(`${a} action requires only 'source_labels' and \`target_label\`, and no other fields`);
  }
  if (
    (a === 'labeldrop' || a === 'labelkeep') &&
    (c.sourceLabelsSet ||
      c.targetLabel !== '' ||
      c.modulus !== 0 ||
      c.separator !== DEFAULT_RELABEL.separator ||
      c.replacement !== DEFAULT_RELABEL.replacement)
  ) {
    throw new Error(`${a} action requires only 'regex', and no other fields`);
  }
  if (a === 'labelmap' && !isValidLabelName(c.replacement)) {
    throw new Error(`${JSON.stringify(c.replacement)} is invalid 'replacement' for ${a} action`);
  }
}

/** The anchored RE2 regex; throws upstream's relabel message (which quotes the anchored form). */
export function compile(regex: string): Regex {
  try {
    return compileRegex(regex);
  } catch (err) {
    throw err instanceof RegexError ? new Error(err.anchoredMessage) : err;
  }
}

/**
 * Applies the steps in order. Returns the new label set, or undefined when a step drops it.
 * The input is not modified.
 */
export function applyRelabel(
  labels: Readonly<Record<string, string>>,
  steps: readonly RelabelConfig[],
): Record<string, string> | undefined {
  const out: Record<string, string> = { ...labels };
  for (const c of steps) {
    const value = c.sourceLabels.map((n) => out[n] ?? '').join(c.separator);
    const re = compile(c.regex);
    switch (c.action) {
      case 'drop':
        if (re.test(value)) return undefined;
        break;
      case 'keep':
        if (!re.test(value)) return undefined;
        break;
      case 'dropequal':
        if ((out[c.targetLabel] ?? '') === value) return undefined;
        break;
      case 'keepequal':
        if ((out[c.targetLabel] ?? '') !== value) return undefined;
        break;
      case 'replace': {
        const m = re.match(value);
        if (!m) break;
        const target = expandTemplate(c.targetLabel, m);
        if (!isValidLabelName(target)) break;
        const result = expandTemplate(c.replacement, m);
        if (result === '') delete out[target];
        else out[target] = result;
        break;
      }
      case 'lowercase':
        out[c.targetLabel] = value.toLowerCase();
        break;
      case 'uppercase':
        out[c.targetLabel] = value.toUpperCase();
        break;
      case 'hashmod': {
        // As upstream: the last 8 bytes of the MD5 sum, big-endian, modulo the modulus.
        const sum = createHash('md5').update(value).digest();
        out[c.targetLabel] = String(sum.readBigUInt64BE(8) % BigInt(c.modulus));
        break;
      }
      case 'labelmap':
        for (const [name, v] of Object.entries(out)) {
          const m = re.match(name);
          if (m) out[expandTemplate(c.replacement, m)] = v;
        }
        break;
      case 'labeldrop':
        for (const name of Object.keys(out)) if (re.test(name)) delete out[name];
        break;
      case 'labelkeep':
        for (const name of Object.keys(out)) if (!re.test(name)) delete out[name];
        break;
    }
  }
  return out;
}
