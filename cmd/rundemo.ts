#!/usr/bin/env node
/**
 * The article's oklog/run demo (../shared/seed/), ported: three actors in one run group.
 *   g1 waits for Ctrl+C / SIGTERM (and returns an error) or for its own cancellation;
 *   g2 and g3 are tickers that print their name and the time every --interval.
 * The first actor to return (g1, on a signal) makes the group interrupt g1, g2, g3 in add order;
 * each ticker finishes the sleep it is in, prints a last tick, notices the cancellation and exits.
 * run() resolves to g1's error, so the program prints `program exiting...` and exits 1.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '../src/config/index.js';
import { Group, SignalError, signalHandler } from '../src/run/index.js';

const started = performance.now();

/** g2/g3: like the article's Xtimer, whose sleep is not interruptible; only the loop checks cancel. */
function ticker(name: string, intervalMs: number) {
  const cancel = new AbortController();
  return {
    execute: async () => {
      for (;;) {
        if (cancel.signal.aborted) {
          console.log(`${name} exit`);
          throw new Error(`${name} stop`);
        }
        await sleep(intervalMs);
        const monotonic = ((performance.now() - started) / 1000).toFixed(6);
        console.log(`${name} ${new Date().toISOString()} m=+${monotonic}`);
      }
    },
    interrupt: () => {
      cancel.abort();
      console.log(`${name} interrupt`);
    },
  };
}

async function main(): Promise<void> {
  const program = new Command('rundemo')
    .description("oklog/run's demo from the article: Ctrl+C interrupts g1, g2, g3 in add order")
    .option(
      '--interval <duration>',
      'how often g2 and g3 tick (a Prometheus duration)',
      (v) => {
        try {
          return parseDuration(v);
        } catch (err) {
          throw new InvalidArgumentError((err as Error).message);
        }
      },
      2000,
    )
    .parse();
  const { interval } = program.opts<{ interval: number }>();

  const g = new Group();

  // g1: installed now, so Ctrl+C is never the default (fatal) action once the demo has begun.
  const term = signalHandler(['SIGINT', 'SIGTERM']);
  g.add(
    async () => {
      try {
        await term.execute();
        console.log('g1 cancelled');
      } catch (err) {
        if (!(err instanceof SignalError)) throw err;
        console.log(`g1 received signal ${err.signal}`);
        throw new Error('g1 received a signal, exiting', { cause: err });
      }
    },
    (err) => {
      console.log('g1 interrupt');
      term.interrupt(err);
    },
  );

  const g2 = ticker('g2', interval);
  g.add(g2.execute, g2.interrupt);
  const g3 = ticker('g3', interval);
  g.add(g3.execute, g3.interrupt);

  const err = await g.run();
  if (err !== undefined) {
    console.log('program exiting...');
    process.exitCode = 1;
  }
}

await main();
