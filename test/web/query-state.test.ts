/**
 * The expression browser's URL state (src/web/ui/query/state.ts) against upstream 3.5's
 * urlStateEncoding.ts: the same parameters, the old UI's still read.
 */
import { describe, expect, it } from 'vitest';
import { formatPrometheusDuration, parsePrometheusDuration } from '../../src/web/ui/format.js';
import {
  decodePanels,
  decreaseRange,
  effectiveResolution,
  encodePanels,
  increaseRange,
  newPanel,
} from '../../src/web/ui/query/state.js';

describe('decodePanels', () => {
  it('reads upstream 3.x parameters, one gN. prefix per panel', () => {
    const panels = decodePanels(
      '?g0.expr=up&g0.tab=graph&g0.range_input=1h&g0.display_mode=stacked&g0.res_type=fixed&g0.res_step=30' +
        '&g1.expr=rate(x%5B5m%5D)&g1.tab=table&g1.end_input=2024-05-01%2012%3A00%3A00',
    );
    expect(panels).toHaveLength(2);
    expect(panels[0]).toMatchObject({
      expr: 'up',
      tab: 'graph',
      range: 3600_000,
      displayMode: 'stacked',
      resolution: { type: 'fixed', step: 30_000 },
    });
    expect(panels[1]).toMatchObject({ expr: 'rate(x[5m])', tab: 'table', endTime: Date.UTC(2024, 4, 1, 12) });
  });

  it("still reads the old UI's numeric tabs, stacked=1 and step_input", () => {
    const [graph, table] = decodePanels('g0.expr=a&g0.tab=0&g0.stacked=1&g0.step_input=15&g1.expr=b&g1.tab=1');
    expect(graph).toMatchObject({ tab: 'graph', displayMode: 'stacked', resolution: { type: 'custom', step: 15_000 } });
    expect(table?.tab).toBe('table');
  });

  it('stops at the first panel without an expr, and gives none for an empty query string', () => {
    expect(decodePanels('g0.expr=a&g2.expr=c')).toHaveLength(1);
    expect(decodePanels('')).toEqual([]);
  });

  it('keeps the defaults for values it cannot read', () => {
    const [panel] = decodePanels('g0.expr=a&g0.range_input=soon&g0.res_type=auto&g0.res_density=extreme');
    expect(panel).toMatchObject({ range: 3600_000, resolution: { type: 'auto', density: 'medium' } });
  });
});

describe('encodePanels', () => {
  it('writes every parameter as upstream does, and reads back the same panels', () => {
    const panel = { ...newPanel('sum(up)'), tab: 'graph' as const, endTime: Date.UTC(2024, 0, 2, 3, 4, 5) };
    const params = encodePanels([panel]);
    expect(params.toString()).toBe(
      'g0.expr=sum%28up%29&g0.show_tree=0&g0.tab=graph&g0.end_input=2024-01-02+03%3A04%3A05' +
        '&g0.moment_input=2024-01-02+03%3A04%3A05&g0.range_input=1h&g0.res_type=auto&g0.res_density=medium' +
        '&g0.display_mode=lines&g0.show_exemplars=0',
    );
    expect(decodePanels(params.toString())).toEqual([panel]);
  });
});

describe('the graph step and range', () => {
  it("derives the step from the range as upstream's getEffectiveResolution, at least 1s", () => {
    expect(effectiveResolution({ type: 'auto', density: 'medium' }, 3600_000)).toBe(14_000);
    expect(effectiveResolution({ type: 'auto', density: 'high' }, 3600_000)).toBe(4000);
    expect(effectiveResolution({ type: 'auto', density: 'low' }, 60_000)).toBe(1000);
    expect(effectiveResolution({ type: 'custom', step: 2500 }, 3600_000)).toBe(2500);
  });

  it('steps the range through upstream’s list', () => {
    expect(increaseRange(3600_000)).toBe(2 * 3600_000);
    expect(decreaseRange(3600_000)).toBe(30 * 60_000);
    expect(increaseRange(90 * 60_000)).toBe(2 * 3600_000);
  });

  it('parses and prints Prometheus durations', () => {
    expect(parsePrometheusDuration('1d2h3m4s5ms')).toBe(((26 * 60 + 3) * 60 + 4) * 1000 + 5);
    expect(parsePrometheusDuration('1.5h')).toBeNull();
    expect(formatPrometheusDuration(90 * 24 * 3600_000)).toBe('90d');
    expect(formatPrometheusDuration(14 * 24 * 3600_000)).toBe('2w');
  });
});
