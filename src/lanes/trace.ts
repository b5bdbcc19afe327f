/**
 * The timeline as text, for a terminal (`--startup.trace`): one lane per actor in add order, the
 * latches as markers, and the critical chains — what decided the time to ready, and which
 * interrupt held the exit longest — in the spirit of `systemd-analyze critical-chain`.
 */
import { ACTORS, isStorageActor, LATCHES } from './actors.js';
import { type LaneEvent, type LaneState, laneSegments } from './segments.js';

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** One character per lane state; the legend under the chart says which is which. */
const MARKS: Readonly<Record<LaneState, string>> = {
  'not started': '.',
  waiting: '-',
  running: '=',
  interrupted: 'x',
  returned: ' ',
};

/** Lanes: `.` not started, `-` waiting on a latch, `=` running, `x` interrupted until it returned. */
export function renderTimeline(
  actors: ReadonlyArray<{ name: string }>,
  events: readonly LaneEvent[],
  width = 60,
): string {
  if (events.length === 0) return '(no lifecycle events)\n';
  const end = Math.max(...events.map((e) => e.t), 1);
  const col = (t: number) => Math.min(width - 1, Math.floor((t / end) * width));
  const nameWidth = Math.max(...actors.map((a) => a.name.length), LATCHES.reloadReady.length);
  const lines: string[] = [`${' '.repeat(nameWidth)}  0 ms${' '.repeat(Math.max(1, width - 10))}${fmt(end)}`];
  for (const { name } of actors) {
    const lane = Array.from({ length: width }, () => ' ');
    for (const segment of laneSegments(name, events, end)) {
      // Each state fills its columns up to the next event's; the last one runs to the edge.
      const to = segment.last ? width : col(segment.to);
      for (let i = col(segment.from); i < to; i++) lane[i] = MARKS[segment.state];
    }
    lines.push(`${name.padEnd(nameWidth)}  ${lane.join('')}`);
  }
  for (const latch of [LATCHES.dbOpen, LATCHES.reloadReady]) {
    const opened = events.find((e) => e.latch === latch && e.event === 'opened');
    const lane = Array.from({ length: width }, () => ' ');
    if (opened) lane[col(opened.t)] = '|';
    lines.push(
      `${latch.padEnd(nameWidth)}  ${lane.join('')}${opened ? `  opened at ${fmt(opened.t)}` : '  never opened'}`,
    );
  }
  return `${lines.join('\n')}\n  . not started  - waiting on a latch  = running  x interrupted, not yet returned  | latch opened\n`;
}

/** Why ready came when it did, and which interrupt held the exit longest. */
export function criticalChains(actors: ReadonlyArray<{ name: string }>, events: readonly LaneEvent[]): string {
  const at = (pred: (e: LaneEvent) => boolean) => events.find(pred)?.t;
  const out: string[] = [];
  const ready = at((e) => e.latch === LATCHES.reloadReady && e.event === 'opened');
  const dbOpen = at((e) => e.latch === LATCHES.dbOpen && e.event === 'opened');
  const storage = actors.find((a) => isStorageActor(a.name))?.name;
  const storageRunning = storage ? at((e) => e.actor === storage && e.event === 'running') : undefined;
  const init = ACTORS.initialConfiguration.name;
  const initRunning = at((e) => e.actor === init && e.event === 'running');
  if (ready !== undefined && dbOpen !== undefined && initRunning !== undefined && storageRunning !== undefined) {
    out.push(
      `startup: reloadReady at ${fmt(ready)}`,
      `  ← ${init} applied the config in ${fmt(ready - initRunning)}`,
      `  ← dbOpen at ${fmt(dbOpen)}`,
      `  ← ${storage} opened storage in ${fmt(dbOpen - storageRunning)} (from ${fmt(storageRunning)})`,
    );
  } else {
    out.push('startup: never ready (shut down before the first configuration was applied)');
  }
  const interrupts = actors
    .map(({ name }) => ({ name, t: at((e) => e.actor === name && e.event === 'interrupted') }))
    .filter((x): x is { name: string; t: number } => x.t !== undefined);
  const last = Math.max(...events.map((e) => e.t));
  if (interrupts.length > 0) {
    // Interrupts run one after another: each one's share is the time until the next began.
    const held = interrupts.map((x, i) => ({ name: x.name, ms: (interrupts[i + 1]?.t ?? last) - x.t }));
    const longest = held.reduce((a, b) => (b.ms > a.ms ? b : a));
    out.push(
      `shutdown: ${fmt(last - (interrupts[0]?.t ?? last))} from the first interrupt to the last return`,
      ...held.map((h) => `  ${h.name === longest.name ? '*' : ' '} ${h.name.padEnd(26)} ${fmt(h.ms)}`),
      `  (* held the exit longest)`,
    );
  }
  return `${out.join('\n')}\n`;
}
