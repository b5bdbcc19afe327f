/**
 * The expression browser's panels and their place in the URL, in upstream 3.x's form
 * (web/ui/mantine-ui/src/pages/query/urlStateEncoding.ts): `g0.expr=…&g0.tab=graph&
 * g0.range_input=1h&…`, one `gN.` prefix per panel, decoded until a panel has no `expr`. The old
 * UI's parameters still decode (`g0.tab=0|1`, `stacked`, `step_input`, `moment_input`). Pure
 * functions: no DOM, so the tests run them directly.
 */
import { formatPrometheusDuration, formatTime, parsePrometheusDuration, parseTime } from '../format.js';

export type Tab = 'table' | 'graph';
export type DisplayMode = 'lines' | 'stacked';
export type Density = 'low' | 'medium' | 'high';

/** How the graph's step is chosen: from the range (auto), from a list (fixed), or typed (custom). */
export type Resolution = { type: 'auto'; density: Density } | { type: 'fixed' | 'custom'; step: number };

/** One panel: an expression and how its result is shown. Times and durations in ms. */
export interface Panel {
  expr: string;
  tab: Tab;
  /** The graph's end and the table's evaluation time; null is "now". */
  endTime: number | null;
  range: number;
  resolution: Resolution;
  displayMode: DisplayMode;
  /** Kept as the URL had them, though miniprom has neither a tree view nor exemplars. */
  showTree: boolean;
  showExemplars: boolean;
}

/** A new panel as upstream makes one: table tab, one hour, medium auto resolution. */
export function newPanel(expr = ''): Panel {
  return {
    expr,
    tab: 'table',
    endTime: null,
    range: 3600 * 1000,
    resolution: { type: 'auto', density: 'medium' },
    displayMode: 'lines',
    showTree: false,
    showExemplars: false,
  };
}

/** The step (ms) a panel's graph queries with: upstream's getEffectiveResolution. */
export function effectiveResolution(resolution: Resolution, range: number): number {
  if (resolution.type !== 'auto') return resolution.step;
  const factor = resolution.density === 'high' ? 750 : resolution.density === 'medium' ? 250 : 100;
  return Math.max(Math.floor(range / factor / 1000) * 1000, 1000);
}

/** The ranges the − and + buttons step through (upstream's RangeInput). */
export const RANGE_STEPS: readonly number[] = [
  1,
  10,
  60,
  5 * 60,
  15 * 60,
  30 * 60,
  3600,
  2 * 3600,
  6 * 3600,
  12 * 3600,
  24 * 3600,
  48 * 3600,
  7 * 24 * 3600,
  14 * 24 * 3600,
  28 * 24 * 3600,
  56 * 24 * 3600,
  112 * 24 * 3600,
  182 * 24 * 3600,
  365 * 24 * 3600,
  730 * 24 * 3600,
].map((s) => s * 1000);

/** The next larger range step (or the largest). */
export function increaseRange(range: number): number {
  return RANGE_STEPS.find((step) => step > range) ?? range;
}

/** The next smaller range step (or the smallest). */
export function decreaseRange(range: number): number {
  return [...RANGE_STEPS].reverse().find((step) => step < range) ?? range;
}

/** The panels a query string describes; none when it has no `g0.expr`. */
export function decodePanels(search: string): Panel[] {
  const params = new URLSearchParams(search);
  const panels: Panel[] = [];
  for (let i = 0; params.has(`g${i}.expr`); i++) {
    const panel = newPanel();
    const setting = (name: string, read: (value: string) => void) => {
      const value = params.get(`g${i}.${name}`);
      if (value !== null) read(value);
    };
    setting('expr', (v) => {
      panel.expr = v;
    });
    setting('show_tree', (v) => {
      panel.showTree = v === '1';
    });
    setting('tab', (v) => {
      // The numeric values are the old UI's; upstream still reads them.
      if (v === '0' || v === 'graph') panel.tab = 'graph';
      else if (v === '1' || v === 'table') panel.tab = 'table';
      // upstream's 'explain' tab: miniprom has none, so the table stays.
    });
    setting('display_mode', (v) => {
      // upstream's heatmap mode is for native histograms, which miniprom does not have.
      panel.displayMode = v === 'stacked' ? 'stacked' : 'lines';
    });
    setting('stacked', (v) => {
      panel.displayMode = v === '1' ? 'stacked' : 'lines';
    });
    setting('show_exemplars', (v) => {
      panel.showExemplars = v === '1';
    });
    setting('range_input', (v) => {
      panel.range = parsePrometheusDuration(v) || panel.range;
    });
    setting('end_input', (v) => {
      panel.endTime = parseTime(v);
    });
    // The old step_input, overridden by res_type below when that is there too.
    setting('step_input', (v) => {
      const seconds = Number.parseInt(v, 10);
      if (seconds > 0) panel.resolution = { type: 'custom', step: seconds * 1000 };
    });
    setting('res_type', (v) => {
      if (v === 'auto') {
        setting('res_density', (density) => {
          if (density === 'low' || density === 'medium' || density === 'high') {
            panel.resolution = { type: 'auto', density };
          }
        });
      } else if (v === 'fixed' || v === 'custom') {
        setting('res_step', (step) => {
          panel.resolution = { type: v, step: Number.parseFloat(step) * 1000 };
        });
      }
    });
    setting('moment_input', (v) => {
      panel.endTime = parseTime(v);
    });
    panels.push(panel);
  }
  return panels;
}

/** The query string for `panels`, parameter for parameter as upstream writes it. */
export function encodePanels(panels: readonly Panel[]): URLSearchParams {
  const params = new URLSearchParams();
  panels.forEach((p, i) => {
    const add = (name: string, value: string) => params.append(`g${i}.${name}`, value);
    add('expr', p.expr);
    add('show_tree', p.showTree ? '1' : '0');
    add('tab', p.tab);
    if (p.endTime !== null) {
      add('end_input', formatTime(p.endTime));
      add('moment_input', formatTime(p.endTime));
    }
    add('range_input', formatPrometheusDuration(p.range));
    if (p.resolution.type === 'auto') {
      add('res_type', 'auto');
      add('res_density', p.resolution.density);
    } else {
      add('res_type', p.resolution.type);
      add('res_step', (p.resolution.step / 1000).toString());
    }
    add('display_mode', p.displayMode);
    add('show_exemplars', p.showExemplars ? '1' : '0');
  });
  return params;
}
