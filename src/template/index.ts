/**
 * src/template: Prometheus's template language, the part rule files use. Go's text/template
 * (lexer, parser, executor; `{{ }}` actions with trim markers, pipelines, variables, `if`/`else
 * if`/`range`/`with`/`break`/`continue`, `define`/`template`/`block`, the builtins) with
 * Prometheus's functions (template/template.go at v3.5.3), answering with Go's outputs and error
 * texts. No npm package implements Go templates faithfully, so this is a small interpreter of our
 * own. What it does not do: HTML mode (html/template's contextual escaping, which only console
 * templates use), native histogram values, `call`, `slice`, complex numbers, method values other
 * than time.Time's.
 *
 * Imports `golang` (float formatting), `regex` (RE2 for `reReplaceAll` and `match`) and `config`
 * (model.ParseDuration for `parseDuration`).
 */
import { execute, FunctionError, type MissingKey, TemplateExecError, type TemplateFunction } from './exec.js';
import { BUILTINS, type ExternalURL, prometheusFunctions } from './functions.js';
import { parseTemplate, TemplateParseError } from './parse.js';
import { GoStruct, stringMap, type Value } from './values.js';

export { type ExternalURL, parseExternalURL, queryEscape } from './functions.js';
export { GoInt, GoMap, GoSlice, GoStruct, stringMap, type Value } from './values.js';
export { goQuoteString as goQuote } from './parse.js';
export { TemplateExecError, TemplateParseError };

/** What a query from a template answers: a vector (a scalar is a sample without labels). */
export type TemplateQuery = (
  query: string,
) => Promise<ReadonlyArray<{ labels: Readonly<Record<string, string>>; value: number }>>;

/** Upstream's Expander: one template text with its data, time-bound query and external URL. */
export interface ExpandOptions {
  /** The template's name, which errors quote (`__alert_HighLatency` for alert rules). */
  name: string;
  text: string;
  data: Value;
  /** `query` evaluates PromQL at the evaluation's time; without it, `query` fails. */
  query?: TemplateQuery;
  externalURL?: ExternalURL;
  /** text/template's missingkey option; Prometheus uses `zero`. */
  missingKey?: MissingKey;
}

/** Why expanding failed, worded as upstream's Expand: `error parsing template …` / `error executing template …`. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

function functions(opts: { query?: TemplateQuery; externalURL?: ExternalURL }): Map<string, TemplateFunction> {
  return new Map([...BUILTINS, ...prometheusFunctions(opts)]);
}

const CHECK_FUNCTIONS = functions({});

/** Expander.Expand: the template's output, or a `TemplateError` in upstream's words. */
export async function expandTemplate(opts: ExpandOptions): Promise<string> {
  const funcs = functions(opts);
  let trees: ReturnType<typeof parseTemplate>;
  try {
    trees = parseTemplate(opts.name, opts.text, (name) => funcs.has(name));
  } catch (err) {
    throw new TemplateError(`error parsing template ${opts.name}: ${(err as Error).message}`);
  }
  try {
    return await execute({ trees, funcs, missingKey: opts.missingKey ?? 'zero' }, opts.name, opts.data);
  } catch (err) {
    if (err instanceof TemplateExecError)
      throw new TemplateError(`error executing template ${opts.name}: ${err.message}`);
    if (err instanceof FunctionError) throw new TemplateError(err.message);
    throw new TemplateError(`panic expanding template ${opts.name}: ${(err as Error).message ?? String(err)}`);
  }
}

/** Expander.ParseTest: throws Go's parse error (`template: NAME:1: …`) when the text does not parse. */
export function parseTemplateTest(name: string, text: string): void {
  try {
    parseTemplate(name, text, (fn) => CHECK_FUNCTIONS.has(fn));
  } catch (err) {
    if (err instanceof TemplateParseError) throw err;
    throw new TemplateParseError((err as Error).message);
  }
}

/**
 * The variables Prometheus defines before every alert label and annotation template, so rule
 * files can write `$labels`, `$externalLabels`, `$externalURL` and `$value`.
 */
export const ALERT_TEMPLATE_DEFS =
  '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

/** template.AlertTemplateData: the data an alert's templates see as dot. */
export function alertTemplateData(
  labels: Readonly<Record<string, string>>,
  externalLabels: Readonly<Record<string, string>>,
  externalURL: string,
  value: number,
): Value {
  return new GoStruct(
    'struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }',
    new Map<string, Value>([
      ['Labels', stringMap(labels)],
      ['ExternalLabels', stringMap(externalLabels)],
      ['ExternalURL', externalURL],
      ['Value', value],
    ]),
  );
}
