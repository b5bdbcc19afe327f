/**
 * src/rules: rule files (parsed and validated as upstream's rulefmt), and the rule manager that
 * evaluates their groups: recording rules into storage, alerting rules into alerts, sent through
 * the notify function main gives it. Its state in upstream's API shapes is in api.ts.
 */
export { type Alert, AlertingRule, type AlertState, type NotifyFunc } from './alerting.js';
export {
  type ApiAlert,
  type ApiAlertingRule,
  type ApiRecordingRule,
  type ApiRule,
  type ApiRuleGroup,
  apiAlertList,
  apiAlerts,
  apiRuleGroups,
} from './api.js';
export { Group, type GroupContext, groupKey } from './group.js';
export { loadRuleGroupsInWorker } from './load-async.js';
export {
  buildGroups,
  buildGroupsInSlices,
  checkRuleFiles,
  createRuleManager,
  type GroupSettings,
  loadRuleGroups,
  type RuleManager,
  type RuleManagerOptions,
  ruleFilesOf,
} from './manager.js';
export { type PostableAlert, sendAlerts, tableLinkForExpression } from './notify.js';
export { RecordingRule } from './recording.js';
export { BaseRule, engineQueryFunc, type QueryFunc, type RuleHealth, type RuleSample } from './rule.js';
export {
  loadRuleFile,
  type ParseOptions,
  parseRuleFile,
  parseRules,
  type Rule,
  RuleFileError,
  type RuleGroup,
} from './rulefile.js';
export { type Nanos, nsToMs, rfc3339Nano } from './time.js';
