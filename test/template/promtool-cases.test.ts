/**
 * Alert templates beyond upstream's unit tests (printf's verbs, if/else if, range over maps and
 * ints, with, and/or, the escapers, Go's number printing, type errors in comparisons), each with
 * the output promtool 3.5.3 gave when it expanded it as an alert annotation. The fixture comes
 * from test/fixtures/template/gen-promtool-cases.py: it writes one alerting rule whose
 * annotations are these templates and a unit test expecting no alert, so promtool prints what
 * it got.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALERT_TEMPLATE_DEFS, alertTemplateData, expandTemplate, parseExternalURL } from '../../src/template/index.js';

interface Fixture {
  alert: {
    name: string;
    value: number;
    labels: Record<string, string>;
    externalLabels: Record<string, string>;
    externalURL: string;
    queries: Record<string, Array<{ labels: Record<string, string>; value: number }>>;
  };
  cases: Array<{ template: string; output: string }>;
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/template/promtool-cases.json', import.meta.url), 'utf8'),
) as Fixture;
const { alert } = fixture;

/** As the rule manager expands an annotation: an error becomes the annotation's text. */
async function expandAsAlert(text: string): Promise<string> {
  try {
    return await expandTemplate({
      name: `__alert_${alert.name}`,
      text: ALERT_TEMPLATE_DEFS + text,
      data: alertTemplateData(alert.labels, alert.externalLabels, alert.externalURL, alert.value),
      query: async (q) => alert.queries[q] ?? [],
      externalURL: parseExternalURL(alert.externalURL),
    });
  } catch (err) {
    return `<error expanding template: ${(err as Error).message}>`;
  }
}

describe('alert templates as promtool 3.5 expands them', () => {
  it.each(fixture.cases.map((c) => [c.template, c.output]))('%s', async (template, output) => {
    expect(await expandAsAlert(template)).toBe(output);
  });
});
