/**
 * The graph tab's chart: a range query's series drawn by uPlot on a canvas, as lines or stacked,
 * time in UTC as upstream's UI shows it by default. Points the query did not return (and values
 * that are not finite: NaN, ±Inf) are gaps.
 */
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatSeries } from '../format.js';
import { SERIES_COLORS } from './colors.js';
import type { DisplayMode } from './state.js';

/** One series of a matrix result. */
export interface RangeSeries {
  metric: Record<string, string>;
  values?: Array<[number, string]>;
}

/** What to draw: the series, the queried range (s) and step (s), and how. */
export interface GraphInput {
  series: readonly RangeSeries[];
  start: number;
  end: number;
  step: number;
  mode: DisplayMode;
}

/** The columns uPlot draws: one x per step of the range, one y column per series. */
export function alignSeries(input: GraphInput): AlignedData {
  const { start, end, step } = input;
  const xs: number[] = [];
  // The steps the API evaluated at: start, start+step, … up to end.
  for (let i = 0; start + i * step <= end + 1e-9; i++) xs.push(start + i * step);
  const columns = input.series.map((s) => {
    const ys: Array<number | null> = new Array(xs.length).fill(null);
    for (const [t, v] of s.values ?? []) {
      const i = Math.round((t - start) / step);
      const value = Number.parseFloat(v);
      if (i >= 0 && i < xs.length && Number.isFinite(value)) ys[i] = value;
    }
    return ys;
  });
  if (input.mode === 'stacked') {
    // Each series on top of those before it; a gap stays a gap, and adds nothing above it.
    const base: number[] = new Array(xs.length).fill(0);
    for (const ys of columns) {
      for (let i = 0; i < ys.length; i++) {
        const y = ys[i];
        if (y === null || y === undefined) continue;
        base[i] = (base[i] ?? 0) + y;
        ys[i] = base[i] ?? y;
      }
    }
  }
  return [xs, ...columns];
}

/**
 * A time axis label in UTC, as precise as the spacing between labels (`incr`, seconds) needs:
 * `12:34:56`, `12:34`, or `05-01 12:00` once labels are a day or more apart.
 */
export function axisTime(seconds: number, incr: number): string {
  const iso = new Date(seconds * 1000).toISOString(); // 2024-05-01T12:34:56.789Z
  if (incr >= 86_400) return iso.slice(5, 10);
  if (incr >= 3600 * 6) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  if (incr >= 60) return iso.slice(11, 16);
  return iso.slice(11, 19);
}

/** A drawn chart: resize it with its container, destroy it when replaced. */
export interface Graph {
  resize(width: number): void;
  destroy(): void;
}

/**
 * Draws `input` into `parent`, `width` px wide. Dragging across the chart selects a time range:
 * `onSelect` gets its start and end (seconds), as upstream's graph zooms in.
 */
export function drawGraph(
  parent: HTMLElement,
  input: GraphInput,
  width: number,
  onSelect: (start: number, end: number) => void,
): Graph {
  const stacked = input.mode === 'stacked';
  const options: Options = {
    width: Math.max(300, width),
    height: 380,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    cursor: { drag: { x: true, y: false, setScale: false } },
    hooks: {
      setSelect: [
        (u) => {
          const { left, width: w } = u.select;
          if (w < 2) return;
          const start = u.posToVal(left, 'x');
          const end = u.posToVal(left + w, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          onSelect(start, end);
        },
      ],
    },
    legend: { show: true, live: true },
    scales: { x: { time: true, range: [input.start, input.end] } },
    axes: [
      {
        stroke: '#333',
        grid: { stroke: '#0000001a', width: 1 },
        ticks: { stroke: '#0000001a' },
        // Labels are up to 11 characters ("05-01 12:00"): keep them apart.
        space: 90,
        values: (_u, splits, _axis, _space, incr) => splits.map((t) => axisTime(t, incr)),
      },
      { stroke: '#333', grid: { stroke: '#0000001a', width: 1 }, ticks: { stroke: '#0000001a' }, size: 70 },
    ],
    series: [
      { label: 'Time (UTC)' },
      ...input.series.map((s, i) => {
        const color = SERIES_COLORS[i % SERIES_COLORS.length] ?? '#333';
        return {
          label: formatSeries(s.metric),
          stroke: color,
          width: 1.5,
          spanGaps: false,
          points: { show: false },
          // Stacked: each series fills down to the one below it (see bands).
          ...(stacked ? { fill: `${color}55` } : {}),
        };
      }),
    ],
    bands: stacked ? input.series.slice(1).map((_, i) => ({ series: [i + 2, i + 1] as [number, number] })) : [],
  };
  const plot = new uPlot(options, alignSeries(input), parent);
  return {
    resize: (w) => plot.setSize({ width: Math.max(300, w), height: 380 }),
    destroy: () => plot.destroy(),
  };
}
