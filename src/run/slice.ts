/**
 * Long synchronous work (a large scrape's parsing and appending, a sync of thousands of targets,
 * building thousands of rules on a reload) runs in slices of about SLICE_MS, and yields to the
 * event loop between them, so that one large job never holds the server: another target's
 * scrape, /-/healthy, a query.
 *
 * The clock is shared: every piece of work in progress measures from the last time any of them
 * yielded. Two hundred pools syncing a hundred targets each would otherwise each stay under the
 * budget on its own, and together hold the event loop for the sum.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

const SLICE_MS = 10;
let sliceStart = performance.now();
/** The turn every piece of work over its slice waits for: one, however many are waiting. */
let turn: Promise<void> | undefined;

/**
 * Undefined while the current slice lasts; once it is over, a promise of the next turn of the
 * event loop (await it, then go on). Callers test the result rather than awaiting it always:
 * every `await` is a turn of its own.
 *
 * All the work waiting resumes in the same turn (Node runs every queued setImmediate before it
 * polls for I/O again), so they share one: the first to resume starts a new slice, and the others
 * find it over soon enough and wait for the next turn, instead of each taking a slice of its own
 * before the server gets to answer anyone.
 */
export function pause(): Promise<void> | undefined {
  if (performance.now() - sliceStart < SLICE_MS) return undefined;
  turn ??= nextTurn().then(() => {
    sliceStart = performance.now();
    turn = undefined;
  });
  return turn;
}
