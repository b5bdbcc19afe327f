/**
 * GET /api/v1/rules and GET /api/v1/alerts, as upstream's web/api/v1 (api.rules, api.alerts):
 * the rule groups with their rules' health, last error, evaluation times and alerts, filtered by
 * `type` (alert|record), `rule_name[]`, `rule_group[]`, `file[]` and `match[]` (on the rules'
 * labels), `exclude_alerts`, and paginated by `group_limit` / `group_next_token`. A group whose
 * rules are all filtered out is left out, as upstream does (so a group without rules never shows).
 */
import { createHash } from 'node:crypto';
import { compileRegex } from '../../regex/index.js';
import type { Labels, Matcher } from '../../storage/index.js';
import type { ApiHandler } from './http.js';
import { invalidParam } from './query.js';
import { ApiError } from './response.js';
import { parseMatchers } from './series.js';
import type { PromQLParser } from './types.js';

/** A rule as the rule manager shows it in upstream's shape (api.go's AlertingRule / RecordingRule). */
export interface ApiRuleView {
  name: string;
  labels?: Labels;
  type: 'alerting' | 'recording';
  alerts?: unknown[] | null;
}

/** A rule group in upstream's shape (api.go's RuleGroup). */
export interface ApiRuleGroupView {
  name: string;
  file: string;
  rules: ApiRuleView[];
}

export interface RulesApiDeps {
  /** The groups, by file then name (server mode); undefined in agent mode. */
  rules: () => ApiRuleGroupView[];
  /** `{ alerts: [...] }`: every active alert. */
  alerts: () => unknown;
  parser?: PromQLParser;
}

function matches(labels: Labels, matchers: readonly Matcher[]): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.type) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return compileRegex(m.value).test(v);
      default:
        return !compileRegex(m.value).test(v);
    }
  });
}

/** getRuleGroupNextToken: sha1 of `file;group`, hex. */
const nextToken = (file: string, group: string) => createHash('sha1').update(`${file};${group}`).digest('hex');

/** strconv.ParseBool. */
function parseBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

export function rulesHandler(deps: RulesApiDeps): ApiHandler {
  return ({ form }) => {
    if (form.error) return { error: new ApiError('bad_data', `error parsing form values: ${form.error}`) };
    const set = (name: string) => new Set(form.all(name));
    const names = set('rule_name[]');
    const groupNames = set('rule_group[]');
    const files = set('file[]');
    let matcherSets: Matcher[][] = [];
    const selectors = form.all('match[]');
    if (selectors.length > 0 && deps.parser) {
      const parsed = parseMatchers(deps.parser, selectors);
      if ('error' in parsed) return { error: new ApiError('bad_data', parsed.error) };
      matcherSets = parsed.value;
    }
    const type = form.get('type').toLowerCase();
    if (type !== '' && type !== 'alert' && type !== 'record')
      return invalidParam('type', `not supported value ${JSON.stringify(type)}`);
    const excludeText = form.get('exclude_alerts').toLowerCase();
    let excludeAlerts = false;
    if (excludeText !== '') {
      const parsed = parseBool(excludeText);
      if (parsed === undefined)
        return invalidParam(
          'exclude_alerts',
          `error converting exclude_alerts: strconv.ParseBool: parsing ${JSON.stringify(excludeText)}: invalid syntax`,
        );
      excludeAlerts = parsed;
    }
    const limitText = form.get('group_limit');
    const token = form.get('group_next_token');
    if (token !== '' && limitText === '')
      return invalidParam('group_next_token', 'group_limit needs to be present in order to paginate over the groups');
    let maxGroups = -1;
    if (limitText !== '') {
      if (!/^[+-]?\d+$/.test(limitText) || Math.abs(Number(limitText)) > 2 ** 31 - 1)
        return invalidParam(
          'group_limit',
          `group_limit needs to be a valid number: strconv.ParseInt: parsing ${JSON.stringify(limitText)}: ${
            /^[+-]?\d+$/.test(limitText) ? 'value out of range' : 'invalid syntax'
          }`,
        );
      maxGroups = Number(limitText);
      if (maxGroups <= 0) return invalidParam('group_limit', 'group_limit needs to be greater than 0');
    }

    const groups: ApiRuleGroupView[] = [];
    let groupNextToken: string | undefined;
    let foundToken = false;
    for (const g of deps.rules()) {
      if (maxGroups > 0 && token !== '' && !foundToken) {
        if (token !== nextToken(g.file, g.name)) continue;
        foundToken = true;
      }
      if (groupNames.size > 0 && !groupNames.has(g.name)) continue;
      if (files.size > 0 && !files.has(g.file)) continue;
      const rules = g.rules
        .filter((r) => matcherSets.length === 0 || matcherSets.some((ms) => matches(r.labels ?? {}, ms)))
        .filter((r) => names.size === 0 || names.has(r.name))
        .filter((r) => (r.type === 'alerting' ? type !== 'record' : type !== 'alert'))
        .map((r) => (r.type === 'alerting' && excludeAlerts ? { ...r, alerts: null } : r));
      if (rules.length === 0) continue;
      if (maxGroups > 0 && groups.length === maxGroups) {
        // A page and one more group: the next page starts there.
        groupNextToken = nextToken(g.file, g.name);
        break;
      }
      groups.push({ ...g, rules });
    }
    if (maxGroups > 0 && token !== '' && !foundToken)
      return invalidParam('group_next_token', `invalid group_next_token '${token}'. were rule groups changed?`);
    return { data: { groups, ...(groupNextToken !== undefined && { groupNextToken }) } };
  };
}

export function alertsHandler(deps: RulesApiDeps): ApiHandler {
  return () => ({ data: deps.alerts() });
}
