#!/usr/bin/env node
/**
 * The entry of `miniprom` (dist/cmd/prometheus.js). Its one job comes before everything else: on
 * Node a signal with no listener kills the process, and loading main's modules takes a few hundred
 * milliseconds, so SIGHUP, SIGINT and SIGTERM are listened for here, before anything heavy is
 * imported (this file has no static imports). What arrives meanwhile is held, one of each kind (a
 * one-slot buffer, like Go's `signal.Notify` channel), and handed to main's own listeners once main
 * has installed them (`EarlySignals.release`): an early SIGHUP becomes the reload that runs once
 * the server is ready, an early SIGTERM a graceful shutdown. main() is in cmd/main.ts.
 */
import type { EarlySignals, TestHooks } from './main.js';

const SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM'] as const;
const held = new Set<NodeJS.Signals>();
const hold = (signal: NodeJS.Signals) => held.add(signal);
for (const signal of SIGNALS) process.on(signal, hold);

let released = false;
const early: EarlySignals = {
  release() {
    if (released) return;
    released = true;
    for (const signal of SIGNALS) process.off(signal, hold);
    // In arrival order, to whatever main listens with now.
    for (const signal of held) process.emit(signal, signal);
    held.clear();
  },
};

// The testing aids (see TestHooks in main.ts), read once, here.
const hooks: TestHooks = {
  storageOpenDelay: process.env.MINIPROM_TEST_STORAGE_OPEN_DELAY,
  ruleEvalHold: process.env.MINIPROM_TEST_RULE_EVAL_HOLD,
};

try {
  const { main } = await import('./main.js');
  // The bundle's code cache is worth writing once a run has done all of startup (code-cache.ts).
  const { markReady } = await import('./code-cache.js');
  process.exitCode = await main(early, hooks, { ready: markReady });
} finally {
  // main returned before it listened (a flag error, --help): nothing of ours may stay installed.
  for (const signal of SIGNALS) process.off(signal, hold);
}
