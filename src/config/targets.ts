/**
 * What scrape configs and Alertmanager configs share besides HTTP: where targets come from
 * (static_configs, file_sd_configs) and how they are relabeled (relabel_configs and friends).
 */
import { ACTIONS, type Action, DEFAULT_RELABEL, type RelabelConfig, validateRelabel } from '../relabel/index.js';
import { joinDir } from './paths.js';
import type { FileSDConfig, TargetGroup } from './types.js';
import { at, goQuote, isValidLabelName, type Reader, type Value } from './yaml.js';

/**
 * The Go type upstream decodes a static config into (targetgroup.Group's anonymous struct), as
 * go-yaml prints it in `field … not found in type …`.
 */
const STATIC_CONFIG_TYPE =
  'struct { Targets []string "yaml:\\"targets\\""; Labels model.LabelSet "yaml:\\"labels\\"" }';

/**
 * static_configs. `checkAddresses` is upstream's "users putting URLs in target groups" check, which
 * it skips when relabel_configs exist (they may rewrite `__address__`).
 */
export function parseStaticConfigs(r: Reader, value: Value, path: string, checkAddresses: boolean): TargetGroup[] {
  return r.list(value, path).map((item, i) => {
    const groupPath = `${path}[${i}]`;
    if (r.isNull(item)) r.fail(item, groupPath, 'empty or null section in static_configs');
    const f = r.fields(item, groupPath, STATIC_CONFIG_TYPE, ['targets', 'labels']);
    const targets = r.list(f.get('targets'), at(groupPath, 'targets')).map((node, j) => {
      const targetPath = `${groupPath}.targets[${j}]`;
      const address = r.string(node, targetPath);
      if (!address) return r.fail(node, targetPath, 'empty or null target');
      if (checkAddresses && address.includes('/'))
        r.fail(node, targetPath, `${JSON.stringify(address)} is not a valid hostname`);
      return { __address__: address };
    });
    // The group's index identifies it within the config, as upstream's Source does.
    return { source: String(i), targets, labels: r.labels(f.get('labels'), at(groupPath, 'labels')) };
  });
}

/** Upstream's patFileSDName: a JSON or YAML extension, and `*` only in the last path element. */
const FILE_SD_NAME = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;

export function parseFileSDConfigs(r: Reader, value: Value, path: string, dir: string): FileSDConfig[] {
  return r.list(value, path).map((item, i) => {
    const sdPath = `${path}[${i}]`;
    if (r.isNull(item)) r.fail(item, sdPath, 'empty or null section in file_sd_configs');
    const f = r.fields(item, sdPath, 'file.plain', ['files', 'refresh_interval']);
    const files = r.list(f.get('files'), at(sdPath, 'files')).map((node, j) => {
      const name = r.string(node, `${sdPath}.files[${j}]`) ?? '';
      if (!FILE_SD_NAME.test(name))
        r.fail(node, `${sdPath}.files[${j}]`, `path name ${JSON.stringify(name)} is not valid for file discovery`);
      return joinDir(dir, name);
    });
    if (files.length === 0)
      r.fail(
        f.get('files') ?? item,
        at(sdPath, 'files'),
        'file service discovery config must contain at least one path name',
      );
    const refreshInterval = r.duration(f.get('refresh_interval'), at(sdPath, 'refresh_interval')) || 5 * 60_000;
    return { files, refreshInterval };
  });
}

const RELABEL_FIELDS = ['source_labels', 'separator', 'regex', 'modulus', 'target_label', 'replacement', 'action'];

/** A list of relabel steps; `nullMessage` is upstream's wording for a null step in this list. */
export function parseRelabelConfigs(r: Reader, value: Value, path: string, nullMessage: string): RelabelConfig[] {
  return r.list(value, path).map((item, i) => {
    const stepPath = `${path}[${i}]`;
    if (r.isNull(item)) r.fail(item, stepPath, nullMessage);
    const f = r.fields(item, stepPath, 'relabel.plain', RELABEL_FIELDS);
    const sourceLabels = r.list(f.get('source_labels'), at(stepPath, 'source_labels')).map((node, j) => {
      const name = r.string(node, `${stepPath}.source_labels[${j}]`) ?? '';
      if (!isValidLabelName(name))
        r.fail(node, `${stepPath}.source_labels[${j}]`, `${goQuote(name)} is not a valid label name`);
      return name;
    });
    const actionPath = at(stepPath, 'action');
    // Upstream lower-cases the action before checking it (`Replace` is `replace`).
    // An explicit `action: null` is Go's zero value, "", not the default: upstream then says so.
    const explicitNull = f.has('action') && r.isNull(f.get('action'));
    const action = explicitNull ? '' : (r.string(f.get('action'), actionPath) ?? 'replace').toLowerCase();
    if (action === '') r.fail(f.get('action'), actionPath, 'relabel action cannot be empty');
    if (!(ACTIONS as readonly string[]).includes(action))
      r.fail(f.get('action'), actionPath, `unknown relabel action ${JSON.stringify(action)}`);
    const step: RelabelConfig = {
      sourceLabels,
      separator: r.string(f.get('separator'), at(stepPath, 'separator')) ?? DEFAULT_RELABEL.separator,
      regex: r.string(f.get('regex'), at(stepPath, 'regex')) ?? DEFAULT_RELABEL.regex,
      modulus: r.uint(f.get('modulus'), at(stepPath, 'modulus')) ?? DEFAULT_RELABEL.modulus,
      targetLabel: r.string(f.get('target_label'), at(stepPath, 'target_label')) ?? DEFAULT_RELABEL.targetLabel,
      replacement: r.string(f.get('replacement'), at(stepPath, 'replacement')) ?? DEFAULT_RELABEL.replacement,
      action: action as Action,
    };
    try {
      // labeldrop/labelkeep refuse source_labels even when empty, so whether it was written matters.
      validateRelabel({ ...step, sourceLabelsSet: !r.isNull(f.get('source_labels')) });
    } catch (err) {
      r.fail(item, stepPath, (err as Error).message);
    }
    return step;
  });
}
