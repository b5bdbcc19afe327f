/**
 * The worker thread behind `loadRuleGroupsInWorker`: expands the patterns, loads and checks every
 * rule file, and posts back the groups (structured-cloned) or the RuleFileError's messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadRuleGroups } from './manager.js';
import { RuleFileError } from './rulefile.js';

const { patterns } = workerData as { patterns: string[] };
try {
  parentPort?.postMessage({ groups: loadRuleGroups(patterns) });
} catch (err) {
  const ruleFile = err instanceof RuleFileError;
  parentPort?.postMessage({ error: { errors: ruleFile ? err.errors : [(err as Error).message], ruleFile } });
}
