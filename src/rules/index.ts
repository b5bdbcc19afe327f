/** src/rules: rule files (parsing and validation) and the rule manager. */
export { createRuleManager, loadRuleGroups, ruleFilesOf, type RuleManager } from './manager.js';
export { parseRuleFile, loadRuleFile, RuleFileError, type Rule, type RuleGroup } from './rulefile.js';
