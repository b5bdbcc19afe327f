/**
 * One panel of the expression browser: the editor, Execute, and the Table and Graph tabs with
 * their controls (evaluation time; range, end time, resolution, lines or stacked). The table runs
 * an instant query, the graph a range query, both through the HTTP API; its errors, warnings and
 * infos are shown in the panel as the API words them.
 */
import { apiGet, errorText } from '../api.js';
import { el, replaceChildren } from '../dom.js';
import {
  formatPrometheusDuration,
  formatTime,
  humanizeDuration,
  parsePrometheusDuration,
  parseTime,
} from '../format.js';
import { alertBox } from '../layout.js';
import { createEditor, type PromQLEditor } from './editor.js';
import { drawGraph, type Graph, type RangeSeries } from './graph.js';
import { decreaseRange, effectiveResolution, increaseRange, type Panel, type Resolution, type Tab } from './state.js';
import { type QueryData, resultTable } from './table.js';

/** What a panel tells the page. */
export interface PanelHooks {
  /** The panel's settings changed (the page puts them in the URL). */
  changed(): void;
  remove(): void;
}

const RESOLUTIONS: ReadonlyArray<{ label: string; value: string }> = [
  { label: 'Low res.', value: 'low' },
  { label: 'Medium res.', value: 'medium' },
  { label: 'High res.', value: 'high' },
  { label: '10s', value: '10000' },
  { label: '30s', value: '30000' },
  { label: '1m', value: '60000' },
  { label: '5m', value: '300000' },
  { label: '15m', value: '900000' },
  { label: '1h', value: '3600000' },
  { label: 'Custom…', value: 'custom' },
];

export class QueryPanel {
  readonly element: HTMLElement;
  readonly #state: Panel;
  readonly #hooks: PanelHooks;
  readonly #editor: PromQLEditor;
  readonly #result = el('div', { className: 'result-area' });
  readonly #stats = el('span', { className: 'muted stats' });
  readonly #tabButtons: Map<Tab, HTMLButtonElement>;
  readonly #controls = el('div', { className: 'bar controls' });
  #graph: Graph | undefined;
  #inflight: AbortController | undefined;
  /** The expression last run: the tabs and the graph's controls re-run it. */
  #ran = '';

  constructor(state: Panel, hooks: PanelHooks) {
    this.#state = state;
    this.#hooks = hooks;
    const editorBox = el('div', { className: 'editor' });
    this.#editor = createEditor(editorBox, state.expr, () => this.execute());
    this.#tabButtons = new Map(
      (['table', 'graph'] as const).map((tab) => [
        tab,
        el('button', { data: { tab }, on: { click: () => this.#setTab(tab) } }, tab === 'table' ? 'Table' : 'Graph'),
      ]),
    );
    this.element = el(
      'section',
      { className: 'panel' },
      el(
        'div',
        { className: 'editor-row' },
        editorBox,
        el('button', { className: 'primary execute', on: { click: () => this.execute() } }, 'Execute'),
        el('button', { className: 'remove', title: 'Remove query', on: { click: () => this.#remove() } }, '×'),
      ),
      el(
        'div',
        { className: 'bar tabs' },
        el('span', { className: 'segmented' }, ...this.#tabButtons.values()),
        this.#stats,
      ),
      this.#controls,
      this.#result,
    );
    this.#drawControls();
    this.#clear();
  }

  /** The panel's settings, with the editor's current text. */
  get state(): Panel {
    return { ...this.#state, expr: this.#editor.value() };
  }

  focus(): void {
    this.#editor.focus();
  }

  /** Runs the editor's expression in the active tab. */
  execute(): void {
    this.#state.expr = this.#editor.value();
    this.#ran = this.#state.expr;
    this.#hooks.changed();
    // Nothing to ask for, as upstream: an empty editor runs no query.
    this.#rerun();
  }

  /** Redraws the graph at the panel's new width. */
  resize(): void {
    this.#graph?.resize(this.#result.clientWidth);
  }

  #remove(): void {
    this.#inflight?.abort();
    this.#graph?.destroy();
    this.#editor.view.destroy();
    this.#hooks.remove();
  }

  #setTab(tab: Tab): void {
    if (this.#state.tab === tab) return;
    this.#state.tab = tab;
    this.#drawControls();
    this.#hooks.changed();
    this.#rerun();
  }

  /** A setting changed: show it, put it in the URL, and run the last query again. */
  #update(change: Partial<Panel>): void {
    Object.assign(this.#state, change);
    this.#drawControls();
    this.#hooks.changed();
    this.#rerun();
  }

  #rerun(): void {
    if (this.#ran.trim() !== '') void this.#run();
    else {
      this.#inflight?.abort();
      this.#clear();
    }
  }

  #clear(): void {
    this.#graph?.destroy();
    this.#graph = undefined;
    this.#stats.textContent = '';
    replaceChildren(this.#result, el('p', { className: 'muted' }, 'No data queried yet'));
  }

  #drawControls(): void {
    for (const [tab, button] of this.#tabButtons) button.classList.toggle('on', tab === this.#state.tab);
    const p = this.#state;
    if (p.tab === 'table') {
      replaceChildren(this.#controls, ...this.#timeInput('Evaluation time'));
      return;
    }
    const range = el('input', {
      className: 'range',
      attrs: { value: formatPrometheusDuration(p.range), size: 6, 'aria-label': 'Range', title: 'Range' },
    });
    range.addEventListener('change', () => {
      const ms = parsePrometheusDuration(range.value);
      if (ms !== null && ms > 0) this.#update({ range: ms });
      else range.value = formatPrometheusDuration(p.range);
    });
    const modes = (['lines', 'stacked'] as const).map((mode) =>
      el(
        'button',
        {
          className: p.displayMode === mode ? 'on' : '',
          data: { mode },
          on: { click: () => this.#update({ displayMode: mode }) },
        },
        mode === 'lines' ? 'Lines' : 'Stacked',
      ),
    );
    replaceChildren(
      this.#controls,
      el(
        'button',
        { title: 'Decrease range', on: { click: () => this.#update({ range: decreaseRange(p.range) }) } },
        '−',
      ),
      range,
      el(
        'button',
        { title: 'Increase range', on: { click: () => this.#update({ range: increaseRange(p.range) }) } },
        '+',
      ),
      ...this.#timeInput('End time'),
      ...this.#resolutionInput(p.resolution, p.range),
      el('span', { className: 'segmented' }, ...modes),
    );
  }

  /** The end (or evaluation) time: a UTC time, or empty for now; ‹ and › move it by half the range. */
  #timeInput(label: string): HTMLElement[] {
    const p = this.#state;
    const input = el('input', {
      className: 'time',
      attrs: {
        value: p.endTime === null ? '' : formatTime(p.endTime),
        placeholder: 'now (UTC)',
        size: 19,
        'aria-label': label,
        title: `${label}, UTC (YYYY-MM-DD HH:mm:ss); empty for now`,
      },
    });
    input.addEventListener('change', () => {
      const t = parseTime(input.value);
      if (input.value.trim() === '') this.#update({ endTime: null });
      else if (t !== null) this.#update({ endTime: t });
      else input.value = p.endTime === null ? '' : formatTime(p.endTime);
    });
    const base = () => p.endTime ?? Date.now();
    return [
      el('span', { className: 'label' }, label),
      el('button', { title: 'Earlier', on: { click: () => this.#update({ endTime: base() - p.range / 2 }) } }, '‹'),
      input,
      el('button', { title: 'Later', on: { click: () => this.#update({ endTime: base() + p.range / 2 }) } }, '›'),
      el('button', { title: 'Now', on: { click: () => this.#update({ endTime: null }) } }, 'now'),
    ];
  }

  #resolutionInput(resolution: Resolution, range: number): HTMLElement[] {
    const select = el(
      'select',
      { className: 'resolution', attrs: { 'aria-label': 'Resolution', title: 'Resolution' } },
      ...RESOLUTIONS.map(({ label, value }) => el('option', { attrs: { value } }, label)),
    );
    select.value =
      resolution.type === 'auto'
        ? resolution.density
        : resolution.type === 'fixed'
          ? String(resolution.step)
          : 'custom';
    select.addEventListener('change', () => {
      const v = select.value;
      if (v === 'low' || v === 'medium' || v === 'high') this.#update({ resolution: { type: 'auto', density: v } });
      else if (v === 'custom') {
        this.#update({ resolution: { type: 'custom', step: effectiveResolution(resolution, range) } });
      } else this.#update({ resolution: { type: 'fixed', step: Number.parseInt(v, 10) } });
    });
    const out: HTMLElement[] = [select];
    if (resolution.type === 'custom') {
      const step = el('input', {
        className: 'step',
        attrs: { value: formatPrometheusDuration(resolution.step), size: 6, 'aria-label': 'Step' },
      });
      step.addEventListener('change', () => {
        const ms = parsePrometheusDuration(step.value);
        if (ms !== null && ms > 0) this.#update({ resolution: { type: 'custom', step: ms } });
        else step.value = formatPrometheusDuration(resolution.step);
      });
      out.push(step);
    }
    return out;
  }

  async #run(): Promise<void> {
    this.#inflight?.abort();
    const controller = new AbortController();
    this.#inflight = controller;
    const p = this.#state;
    const expr = this.#ran;
    const end = (p.endTime ?? Date.now()) / 1000;
    const started = performance.now();
    this.#result.classList.add('loading');
    try {
      if (p.tab === 'table') {
        const answer = await apiGet<QueryData>('/query', { query: expr, time: String(end) }, controller.signal);
        const took = Math.round(performance.now() - started);
        const count =
          answer.data.resultType === 'vector' || answer.data.resultType === 'matrix' ? answer.data.result.length : 1;
        this.#graph?.destroy();
        this.#graph = undefined;
        this.#stats.textContent = `Load time: ${took}ms · Result series: ${count}`;
        const show = (all: boolean) =>
          replaceChildren(
            this.#result,
            ...notices(answer.warnings, answer.infos),
            count === 0 && answer.data.resultType !== 'scalar' && answer.data.resultType !== 'string'
              ? alertBox('info', 'Empty query result', 'This query returned no data.')
              : null,
            resultTable(answer.data, () => show(true), all),
          );
        show(false);
      } else {
        const step = effectiveResolution(p.resolution, p.range) / 1000;
        const start = end - p.range / 1000;
        const answer = await apiGet<{ resultType: string; result: RangeSeries[] }>(
          '/query_range',
          { query: expr, start: String(start), end: String(end), step: String(step) },
          controller.signal,
        );
        const took = Math.round(performance.now() - started);
        this.#stats.textContent = `Load time: ${took}ms · Resolution: ${humanizeDuration(step * 1000)} · Result series: ${answer.data.result.length}`;
        this.#graph?.destroy();
        const chart = el('div', { className: 'graph', data: { series: String(answer.data.result.length) } });
        replaceChildren(
          this.#result,
          ...notices(answer.warnings, answer.infos),
          answer.data.result.length === 0
            ? alertBox('info', 'Empty query result', 'This query returned no data.')
            : null,
          chart,
        );
        this.#graph =
          answer.data.result.length === 0
            ? undefined
            : drawGraph(
                chart,
                { series: answer.data.result, start, end, step, mode: p.displayMode },
                this.#result.clientWidth,
                // A dragged selection becomes the range and end time, whole seconds.
                (from, to) =>
                  this.#update({ range: Math.max(1, Math.round(to - from)) * 1000, endTime: Math.round(to) * 1000 }),
              );
      }
    } catch (err) {
      if (controller.signal.aborted) return;
      this.#graph?.destroy();
      this.#graph = undefined;
      this.#stats.textContent = '';
      replaceChildren(this.#result, alertBox('error', 'Error executing query', errorText(err)));
    } finally {
      if (this.#inflight === controller) {
        this.#inflight = undefined;
        this.#result.classList.remove('loading');
      }
    }
  }
}

function notices(warnings: string[], infos: string[]): HTMLElement[] {
  return [
    ...warnings.map((w) => alertBox('warning', 'Query warning', w)),
    ...infos.map((i) => alertBox('info', 'Query notice', i)),
  ];
}
