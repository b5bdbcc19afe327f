/**
 * The lifecycle chart as SVG: one lane per actor in add order, its segments (waiting on a latch,
 * running, interrupted until it returned) from src/lanes, the start of each actor's work, the
 * latches opening, the reloads, and a time axis that says where it starts. It draws one view at
 * a time: startup, the running period, shutdown, or the whole run, each at its own scale, so the
 * few milliseconds of startup are as wide as the chart rather than a sliver at its edge.
 */
import { type LaneState, laneSegments, lifecyclePhases, type Phase, type Phases } from '../../../lanes/index.js';
import { svg } from '../dom.js';
import { formatMs } from '../format.js';
import type { LifecycleEvent, LifecycleSnapshot } from './stream.js';

/** The views the chart can show. */
export type ViewName = 'startup' | 'running' | 'shutdown' | 'all';

export const VIEW_LABELS: Readonly<Record<ViewName, string>> = {
  startup: 'Startup',
  running: 'Running',
  shutdown: 'Shutdown',
  all: 'Whole run',
};

/** Lane states the chart draws (not started and returned are empty lane). */
const DRAWN: ReadonlySet<LaneState> = new Set(['waiting', 'running', 'interrupted']);

const LABEL_W = 210; // lane names
const NODE_W = 128; // the compressed stretch before the first event, in the startup view
const TOP = 46; // reload markers, then tick labels
const LANE_H = 26;
const RIGHT_PAD = 18;
/**
 * The least pixels per millisecond in the startup and shutdown views: a 1 ms wait is 3 px, a
 * 10 ms wait 30 px. Wider than the page, the chart scrolls sideways.
 */
const MIN_PX_PER_MS = 3;

/** The stretch of time a view shows, or undefined when that phase has not begun. */
export function viewPhase(phases: Phases, view: ViewName, now: number): Phase | undefined {
  if (view === 'all') return { from: 0, to: Math.max(now, phases.startup.to), open: phases.shutdown?.open ?? true };
  return phases[view];
}

/** What one drawing needs. */
export interface ChartInput {
  snapshot: LifecycleSnapshot;
  view: ViewName;
  /** The server's clock now (ms since its process started), as well as the page can tell. */
  now: number;
  /** The width available, in px; the chart may be wider (then it scrolls). */
  width: number;
  /** The lane shown as selected. */
  selected: string | undefined;
  /** The stream still follows the server: "now" moves. Once it has ended, there is no "now". */
  live: boolean;
}

/** The SVG for `input`; `null` before there are events. */
export function drawTimeline(input: ChartInput): SVGSVGElement | null {
  const { snapshot, view, now } = input;
  const { actors, events } = snapshot;
  const phases = lifecyclePhases(events, now);
  if (!phases) return null;
  const phase = viewPhase(phases, view, now) ?? phases.startup;
  // Lanes run to the latest time known: the server's clock, or the last event.
  const end = Math.max(now, phases.last);

  // The window: the phase with a margin, except that the whole run starts at process start.
  const span = Math.max(phase.to - phase.from, 0.5);
  const pad = Math.max(0.5, span * 0.04);
  const from = view === 'all' ? 0 : Math.max(0, phase.from - pad);
  const to = phase.to + pad;
  // In the startup view, the time before the first event gets a fixed, compressed band.
  const compressed = view === 'startup' && from > 0;
  const plotLeft = LABEL_W + (compressed ? NODE_W : 0);
  const available = Math.max(input.width, 760) - plotLeft - RIGHT_PAD;
  const minScale = view === 'startup' || view === 'shutdown' ? MIN_PX_PER_MS : 0;
  const scale = Math.max(minScale, available / (to - from));
  const W = plotLeft + (to - from) * scale + RIGHT_PAD;
  const lanesBottom = TOP + actors.length * LANE_H;
  const H = lanesBottom + 52;
  const x = (t: number) => plotLeft + (t - from) * scale;
  const inView = (t: number) => t >= from && t <= to;

  const root = svg('svg', {
    id: 'timeline',
    width: Math.ceil(W),
    height: H,
    'font-size': 12,
    'data-view': view,
    'data-px-per-ms': scale.toFixed(3),
  });
  // In the startup view, no tick label right after the break: it would sit on the band's "0 ms".
  root.append(...ticks(from, to, scale, x, lanesBottom, compressed ? plotLeft + 28 : 0));
  if (compressed) root.append(nodeBand(phases.first, lanesBottom));
  else if (view === 'all' && phases.first > 0)
    root.append(nodeStretch(x(0), x(phases.first), phases.first, lanesBottom));
  root.append(...reloadBands(events, from, to, x, lanesBottom));

  actors.forEach((actor, i) => {
    const y = TOP + i * LANE_H;
    const lane = svg(
      'g',
      { class: actor.name === input.selected ? 'lane selected' : 'lane', 'data-actor': actor.name },
      svg('rect', { class: 'lane-bg', x: 0, y, width: Math.ceil(W), height: LANE_H }),
      svg('text', { x: 8, y: y + 17, class: 'lane-name' }, `${i + 1}. ${actor.name}`),
    );
    for (const s of laneSegments(actor.name, events, end)) {
      if (!DRAWN.has(s.state)) continue;
      const a = Math.max(s.from, from);
      const b = Math.min(s.to, to);
      if (b < a || (b === a && !inView(s.from))) continue;
      const what = s.state === 'waiting' ? `waiting on ${s.latch ?? 'a latch'}` : s.state;
      lane.append(
        svg(
          'rect',
          {
            class: `seg ${s.state}`,
            x: x(a),
            y: y + 6,
            // A segment of 0.3 ms is still a visible sliver.
            width: Math.max(1.5, (b - a) * scale),
            height: 14,
            rx: 3,
            'data-ms': (s.to - s.from).toFixed(1),
          },
          svg(
            'title',
            {},
            `${actor.name}: ${what}, ${(s.to - s.from).toFixed(1)} ms (${formatMs(s.from)} → ${s.last ? 'now' : formatMs(s.to)})`,
          ),
        ),
      );
    }
    // Where the actor's execute function began: the order actors begin is the point of startup.
    const started = events.find((e) => e.actor === actor.name && e.event === 'execute started');
    if (started && inView(started.t)) {
      lane.append(
        svg(
          'line',
          { class: 'start', x1: x(started.t), x2: x(started.t), y1: y + 3, y2: y + LANE_H - 3 },
          svg('title', {}, `${actor.name}: execute started at ${formatMs(started.t)}`),
        ),
      );
    }
    root.append(lane);
  });

  root.append(...latchMarkers(events, inView, x, lanesBottom, W));
  root.append(...reloadMarkers(events, inView, x));
  if (input.live && phase.open && inView(now)) {
    root.append(
      svg('line', { class: 'now', x1: x(now), x2: x(now), y1: TOP - 4, y2: lanesBottom }),
      svg('text', { class: 'now-label', x: x(now) - 4, y: lanesBottom + 42, 'text-anchor': 'end' }, 'now'),
    );
  }
  return root;
}

/** Tick spacing of about 110 px, rounded to 1, 2 or 5 times a power of ten (ms). */
function tickStep(scale: number): number {
  const raw = 110 / scale;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  return step;
}

function ticks(
  from: number,
  to: number,
  scale: number,
  x: (t: number) => number,
  bottom: number,
  labelsFrom: number,
): SVGElement[] {
  const step = tickStep(scale);
  const out: SVGElement[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    const tx = x(t);
    out.push(svg('line', { class: 'tick', x1: tx, x2: tx, y1: TOP - 4, y2: bottom }));
    if (tx >= labelsFrom) {
      out.push(svg('text', { class: 'tick-label', x: tx, y: TOP - 10, 'text-anchor': 'middle' }, formatMs(t, step)));
    }
  }
  return out;
}

/**
 * Startup view: the time from process start to the first event, drawn compressed and marked as
 * such, so the axis visibly starts at 0 without spending the chart's width on it.
 */
function nodeBand(first: number, bottom: number): SVGElement {
  const x0 = LABEL_W;
  const x1 = LABEL_W + NODE_W - 10;
  return svg(
    'g',
    { class: 'node-start', 'data-until': first.toFixed(1) },
    svg('rect', { class: 'node-band', x: x0, y: TOP - 4, width: x1 - x0, height: bottom - TOP + 4 }),
    // The axis break: two slanted strokes between the band and the scaled part.
    svg('path', { class: 'axis-break', d: `M${x1 + 1},${TOP + 2} l6,-12 M${x1 + 6},${TOP + 2} l6,-12` }),
    svg('text', { class: 'tick-label', x: x0 + 2, y: TOP - 10 }, '0 ms'),
    svg('text', { class: 'node-label', x: x0 + 6, y: TOP + 16 }, 'Node.js start-up'),
    svg('text', { class: 'node-label', x: x0 + 6, y: TOP + 30 }, 'and main() before'),
    svg('text', { class: 'node-label', x: x0 + 6, y: TOP + 44 }, 'the run group'),
    svg('text', { class: 'node-label strong', x: x0 + 6, y: TOP + 62 }, `0 → ${formatMs(first)}`),
    svg('text', { class: 'node-label', x: x0 + 6, y: TOP + 76 }, '(not to scale)'),
    svg(
      'title',
      {},
      `From process start to the first lifecycle event (${formatMs(first)}): Node.js starts and loads the modules, main() reads flags and config and opens the web listener. Not to scale.`,
    ),
  );
}

/** Whole-run view: the same stretch at scale. */
function nodeStretch(x0: number, x1: number, first: number, bottom: number): SVGElement {
  return svg(
    'g',
    { class: 'node-start', 'data-until': first.toFixed(1) },
    svg('rect', { class: 'node-band', x: x0, y: TOP - 4, width: Math.max(1, x1 - x0), height: bottom - TOP + 4 }),
    x1 - x0 > 90 ? svg('text', { class: 'node-label', x: x0 + 6, y: TOP + 16 }, 'Node.js start-up') : null,
    svg('title', {}, `Node.js start-up and main() before the run group: 0 → ${formatMs(first)}`),
  );
}

function latchMarkers(
  events: readonly LifecycleEvent[],
  inView: (t: number) => boolean,
  x: (t: number) => number,
  bottom: number,
  width: number,
): SVGElement[] {
  return events
    .filter((e) => e.latch !== undefined && e.actor === undefined && e.event === 'opened')
    .flatMap((e, i) => (inView(e.t) ? [{ e, i }] : []))
    .map(({ e, i }) =>
      svg(
        'g',
        { class: 'latch', 'data-latch': e.latch ?? '' },
        svg('line', { x1: x(e.t), x2: x(e.t), y1: TOP - 4, y2: bottom }),
        // Two label rows: the latches often open a fraction of a millisecond apart. Near the
        // right edge a label ends at its line instead of starting there.
        svg(
          'text',
          x(e.t) > width - 170
            ? { x: x(e.t) - 4, y: bottom + 14 + (i % 2) * 14, 'text-anchor': 'end' }
            : { x: x(e.t) + 4, y: bottom + 14 + (i % 2) * 14 },
          `${e.latch} opened ${formatMs(e.t)}`,
        ),
      ),
    );
}

/** Reloads, numbered over the whole run: the initial configuration is reload 1. */
function reloads(
  events: readonly LifecycleEvent[],
): Array<{ n: number; start: number | undefined; end: LifecycleEvent }> {
  const out: Array<{ n: number; start: number | undefined; end: LifecycleEvent }> = [];
  let start: number | undefined;
  for (const e of events) {
    if (e.event === 'reload started') start = e.t;
    else if (e.event === 'reload finished') {
      // Numbered by the server: a bounded timeline lets older reloads go between the first and the latest.
      out.push({ n: e.reload ?? out.length + 1, start, end: e });
      start = undefined;
    }
  }
  return out;
}

function reloadBands(
  events: readonly LifecycleEvent[],
  from: number,
  to: number,
  x: (t: number) => number,
  bottom: number,
): SVGElement[] {
  return reloads(events)
    .filter(({ start, end }) => start !== undefined && end.t >= from && start <= to)
    .map(({ start, end }) => {
      const a = Math.max(start ?? end.t, from);
      const b = Math.min(end.t, to);
      return svg('rect', {
        class: 'reload-band',
        x: x(a),
        y: TOP - 4,
        width: Math.max(1, x(b) - x(a)),
        height: bottom - TOP + 4,
      });
    });
}

function reloadMarkers(
  events: readonly LifecycleEvent[],
  inView: (t: number) => boolean,
  x: (t: number) => number,
): SVGElement[] {
  let labelEnd = Number.NEGATIVE_INFINITY;
  return reloads(events)
    .filter(({ end }) => inView(end.t))
    .map(({ n, start, end }) => {
      const ok = end.result === 'success';
      const took = start === undefined ? '' : ` in ${(end.t - start).toFixed(1)} ms`;
      const timings = end.timingsMs ? ` ${JSON.stringify(end.timingsMs)}` : '';
      const error = end.error ? `: ${end.error}` : '';
      const name = n === 1 ? 'config' : `reload ${n - 1}`;
      // Reloads close together share one label: the first; the others keep their marker and title.
      const labelled = x(end.t) > labelEnd;
      if (labelled) labelEnd = x(end.t) + 14 + name.length * 7;
      return svg(
        'g',
        { class: `reload ${ok ? 'ok' : 'failed'}`, 'data-reload': n, 'data-result': end.result ?? '' },
        svg('circle', { cx: x(end.t), cy: 14, r: 6 }),
        labelled ? svg('text', { x: x(end.t) + 9, y: 18 }, name) : null,
        svg(
          'title',
          {},
          `${n === 1 ? 'initial configuration' : `reload ${n - 1}`}: ${end.result ?? ''}${took}${error}${timings}`,
        ),
      );
    });
}
