/**
 * Reading rule files off the event loop. Parsing YAML, decoding it twice as rulefmt does and
 * parsing every expression is synchronous work: ten thousand rules hold a thread for most of a
 * second. A reload runs while the server serves, so it does that work in a worker thread and
 * takes back only the groups (plain data). The answer is exactly `loadRuleGroups`'s.
 */
import { createRequire } from 'node:module';
import { RuleFileError, type RuleGroup } from './rulefile.js';

type Reply = { groups: RuleGroup[] } | { error: { errors: string[]; ruleFile: boolean } };

/** node:worker_threads, loaded by the first large reload rather than at every start (~1.5 ms). */
const workerThreads = (): typeof import('node:worker_threads') => createRequire(import.meta.url)('node:worker_threads');

/** `loadRuleGroups(patterns)`, run in a worker thread; rejects with the same RuleFileError. */
export function loadRuleGroupsInWorker(patterns: readonly string[]): Promise<RuleGroup[]> {
  return new Promise((resolve, reject) => {
    const { Worker } = workerThreads();
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: { patterns } });
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      if ('groups' in reply) resolve(reply.groups);
      else
        reject(reply.error.ruleFile ? new RuleFileError(reply.error.errors) : new Error(reply.error.errors.join('\n')));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`loading the rule files stopped unexpectedly (exit code ${code})`));
    });
  });
}
