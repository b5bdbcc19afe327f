/** src/rules: rule files (parsing and validation) and the rule manager. */
export { rulesDiscovery } from './api.js';
export { createRuleManager, loadRuleGroups, type RuleManager, ruleFilesOf } from './manager.js';
export { loadRuleFile, parseRuleFile, type Rule, RuleFileError, type RuleGroup } from './rulefile.js';
