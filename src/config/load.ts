/**
 * The config loader: prometheus.yml into the typed model of types.ts, as strictly as upstream's
 * yaml.UnmarshalStrict plus its Validate methods, with every default applied. Each error is one
 * line: `<file>:<line>:<col>: <yaml path>: <detail>`, in upstream's wording where upstream has one.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Document, LineCounter, Parser, parseDocument, type YAMLError } from 'yaml';
import { ConfigError, fileError } from './errors.js';
import { HTTP_CLIENT_FIELDS, parseHeaders, parseHTTPClient } from './http.js';
import { BadPatternError, goGlob, isValidRulePath, isValidScrapeConfigFilePath, joinDir } from './paths.js';
import { checkScrapeProtocol, checkScrapeProtocols, DEFAULT_SCRAPE_PROTOCOLS } from './protocols.js';
import { parseRemoteReads, parseRemoteWrites } from './remote.js';
import { NO_RETENTION, parseStorage } from './storage.js';
import { parseFileSDConfigs, parseRelabelConfigs, parseStaticConfigs } from './targets.js';
import type {
  AlertingConfig,
  AlertmanagerConfig,
  Config,
  GlobalConfig,
  ScrapeConfig,
  ScrapeNaming,
  ScrapeProtocol,
  TracingConfig,
  TSDBRetentionConfig,
} from './types.js';
import { at, type Fields, goQuote, Reader, type Value } from './yaml.js';

export interface LoadOptions {
  /** Prometheus's --agent: alerting, rule_files and remote_read are refused, as upstream. */
  agentMode: boolean;
  /**
   * The retention a file without storage.tsdb.retention gets: upstream's main derives it from its
   * retention flags; promtool has none (zero).
   */
  defaultRetention?: TSDBRetentionConfig;
}

/** Parses and validates a config's text; `file` names it in errors and anchors its relative paths. */
export function parseConfig(text: string, file: string, opts: LoadOptions): Config {
  const sourceFile = resolve(file);
  return readYAML(text, sourceFile, (doc, lines) => readConfig(doc, lines, sourceFile, dirname(sourceFile), opts));
}

/**
 * Parses `text` (from `file`) as upstream's YAML decoder would and gives the document to `read`;
 * syntax errors, and nesting too deep to follow, become one-line ConfigErrors naming `file`.
 */
function readYAML<T>(text: string, file: string, read: (doc: Document, lines: LineCounter) => T): T {
  const { doc, lines } = parsed(text, file);
  try {
    return read(doc, lines);
  } catch (err) {
    if (err instanceof RangeError && isStackOverflow(err)) throw tooDeep(file, text);
    throw err;
  }
}

/**
 * The last document parsed from each file, with the text it was parsed from. A reload of a file
 * that has not changed reads its fields again (every check runs, and the files it names are read
 * anew) but does not parse it again: the yaml package takes ~1.2 ms for a 40-line config, twice
 * Prometheus's whole reload. Documents are only ever read, so one can be read any number of
 * times. Only small files are kept (large ones load in a worker, which keeps nothing), and only
 * the most recent few dozen files (a server reads one config and its scrape config files).
 */
const lastParsed = new Map<string, { text: string; doc: Document; lines: LineCounter }>();
const KEEP_PARSED_MAX_CHARS = 64 * 1024;
const KEEP_PARSED_MAX_FILES = 32;

function parsed(text: string, file: string): { doc: Document; lines: LineCounter } {
  const last = lastParsed.get(file);
  if (last?.text === text) return last;
  const lines = new LineCounter();
  // YAML 1.1 is what upstream's Go yaml.v2 reads: yes/no are booleans and `<<` merges maps.
  // Duplicate keys are found while walking instead (uniqueKeys off), to report them with a path.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, version: '1.1', uniqueKeys: false });
  const syntax = doc.errors[0];
  if (syntax) throw isStackOverflow(syntax) ? tooDeep(file, text) : syntaxError(file, syntax);
  lastParsed.delete(file);
  if (text.length <= KEEP_PARSED_MAX_CHARS) {
    lastParsed.set(file, { text, doc, lines });
    // Map order is insertion order: the first key is the file parsed longest ago.
    if (lastParsed.size > KEEP_PARSED_MAX_FILES) lastParsed.delete(lastParsed.keys().next().value as string);
  }
  return { doc, lines };
}

/** The document's fields, read and validated. */
function readConfig(doc: Document, lines: LineCounter, sourceFile: string, dir: string, opts: LoadOptions): Config {
  const r = new Reader(sourceFile, lines, doc);
  const top = r.fields(doc.contents ?? undefined, '', 'config.plain', [
    'global',
    'rule_files',
    'scrape_config_files',
    'scrape_configs',
    'alerting',
    'remote_write',
    'remote_read',
    'storage',
    'tracing',
  ]);
  const global = parseGlobal(r, top.get('global'), dir);
  const ruleFiles = parseRuleFiles(r, top.get('rule_files'), dir);
  const scrapeConfigFiles = parseScrapeConfigFiles(r, top.get('scrape_config_files'), dir);
  const scrapeConfigs = parseScrapeConfigs(r, top.get('scrape_configs'), global, dir);
  const alerting = parseAlerting(r, top.get('alerting'), dir);
  const remoteWrite = parseRemoteWrites(r, top.get('remote_write'), dir);
  const remoteRead = parseRemoteReads(r, top.get('remote_read'), dir);
  const storage = parseStorage(r, top.get('storage'), opts.defaultRetention ?? NO_RETENTION);
  const tracing = parseTracing(r, top.get('tracing'));

  // Upstream checks these after the whole file parsed (config.LoadFile), in this order.
  if (opts.agentMode) {
    if (alerting.alertmanagers.length > 0 || alerting.alertRelabelConfigs.length > 0)
      r.fail(top.key('alerting'), 'alerting', 'field alerting is not allowed in agent mode');
    if (ruleFiles.length > 0)
      r.fail(top.key('rule_files'), 'rule_files', 'field rule_files is not allowed in agent mode');
    if (remoteRead.length > 0)
      r.fail(top.key('remote_read'), 'remote_read', 'field remote_read is not allowed in agent mode');
  }

  // Last, as upstream reads them (GetScrapeConfigs) only once the main file is loaded and checked.
  scrapeConfigs.push(...readScrapeConfigFiles(scrapeConfigFiles, scrapeConfigs, global));
  return {
    sourceFile,
    global,
    ruleFiles,
    scrapeConfigFiles,
    scrapeConfigs,
    alerting,
    remoteWrite,
    remoteRead,
    storage,
    tracing,
  };
}

/** Reads and parses a config file (synchronously: it is small and read once per (re)load). */
export function loadConfigFile(file: string, opts: LoadOptions): Config {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigError(fileError(file, err as NodeJS.ErrnoException));
  }
  return parseConfig(yamlText(bytes), file, opts);
}

/**
 * A YAML file's text as upstream's decoder reads it: UTF-8, or UTF-16 in either byte order when
 * the file starts with that byte-order mark (yaml.v2 determines the encoding from the BOM).
 */
function yamlText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  return bytes.toString('utf8');
}

/** Upstream's YAML decoder (yaml.v2) refuses documents nested deeper than this. */
const MAX_DEPTH = 10_000;

function isStackOverflow(err: { message: string }): boolean {
  return err.message.startsWith('Maximum call stack size exceeded');
}

/**
 * The error for a document nested too deeply to compose: upstream's words past its own limit
 * (`exceeded max depth of 10000`), else a plain one where the nesting is deeper than this reader
 * follows. The depth is measured on the parser's syntax tree without recursion, so the
 * measurement cannot overflow too.
 */
function tooDeep(file: string, text: string): ConfigError {
  const lines = new LineCounter();
  let deepest = { depth: 0, offset: 0 };
  let beyond: number | undefined;
  type Item = { key?: unknown; value?: unknown };
  const stack: Array<[unknown, number]> = [];
  for (const token of new Parser(lines.addNewLine).parse(text)) stack.push([token, 0]);
  while (stack.length > 0 && beyond === undefined) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    const t = node as { type?: string; offset?: number; value?: unknown; items?: Item[] };
    let d = depth;
    if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      d++;
      if (d > deepest.depth) deepest = { depth: d, offset: t.offset ?? 0 };
      if (d > MAX_DEPTH) beyond = t.offset ?? 0;
    }
    if (t.value !== undefined) stack.push([t.value, d]);
    for (const item of t.items ?? []) {
      if (item.key !== undefined) stack.push([item.key, d]);
      if (item.value !== undefined) stack.push([item.value, d]);
    }
  }
  const at = (offset: number) => {
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (beyond !== undefined) {
    const pos = at(beyond);
    return new ConfigError(`${file}:${pos.line}:${pos.column}: exceeded max depth of ${MAX_DEPTH}`, pos);
  }
  const pos = at(deepest.offset);
  return new ConfigError(
    `${file}:${pos.line}:${pos.column}: nested ${deepest.depth} levels deep, more than this reader can follow (Prometheus reads up to ${MAX_DEPTH})`,
    pos,
  );
}

/** A YAML syntax error as one line, its position in front like every other config error. */
function syntaxError(file: string, err: YAMLError): ConfigError {
  const pos = err.linePos?.[0];
  // prettyErrors appends " at line L, column C:" and a code excerpt on further lines; the position
  // goes in front instead, and the JavaScript-specific advice about parseAllDocuments goes away.
  const detail = (err.message.split('\n')[0] ?? '')
    .replace(/ at line \d+, column \d+:?$/, '')
    .replace(/; please use YAML\.parseAllDocuments\(\)/, '');
  const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
  return new ConfigError(`${where}: ${detail}`, { line: pos?.line, column: pos?.col });
}

// ---- global ----

/** Upstream's DefaultGlobalConfig. */
const DEFAULT_SCRAPE_INTERVAL = 60_000;
const DEFAULT_SCRAPE_TIMEOUT = 10_000;
const DEFAULT_EVALUATION_INTERVAL = 60_000;

/** Limits that a scrape config inherits from global when it sets none (or 0), in upstream's order. */
const LIMITS = [
  ['sample_limit', 'sampleLimit'],
  ['target_limit', 'targetLimit'],
  ['label_limit', 'labelLimit'],
  ['label_name_length_limit', 'labelNameLengthLimit'],
  ['label_value_length_limit', 'labelValueLengthLimit'],
] as const;

const GLOBAL_FIELDS = [
  'scrape_interval',
  'scrape_timeout',
  'evaluation_interval',
  'rule_query_offset',
  'external_labels',
  'query_log_file',
  'body_size_limit',
  'scrape_protocols',
  ...LIMITS.map(([name]) => name),
  'metric_name_validation_scheme',
  'metric_name_escaping_scheme',
  'convert_classic_histograms_to_nhcb',
  'always_scrape_classic_histograms',
];

function parseGlobal(r: Reader, value: Value, dir: string): GlobalConfig {
  const f = r.fields(value, 'global', 'config.plain', GLOBAL_FIELDS);
  const get = (name: string) => f.get(name);
  // Upstream takes a zero duration as unset throughout (`if gc.ScrapeInterval == 0 { default }`).
  const scrapeInterval = r.duration(get('scrape_interval'), 'global.scrape_interval') || DEFAULT_SCRAPE_INTERVAL;
  const scrapeTimeout = r.duration(get('scrape_timeout'), 'global.scrape_timeout') || undefined;
  if (scrapeTimeout !== undefined && scrapeTimeout > scrapeInterval)
    r.fail(get('scrape_timeout'), 'global.scrape_timeout', 'global scrape timeout greater than scrape interval');
  const labels = Object.entries(r.labels(get('external_labels'), 'global.external_labels'));
  const queryLogFile = r.string(get('query_log_file'), 'global.query_log_file');
  // Without a global section upstream keeps its DefaultGlobalConfig, which names the default
  // schemes; a section starts from empty ones (GlobalConfig.UnmarshalYAML), resolved per job.
  const absent = r.isNull(value);
  return {
    scrapeInterval,
    // Unset, the timeout is the default 10s but never more than the interval.
    scrapeTimeout: scrapeTimeout ?? Math.min(DEFAULT_SCRAPE_TIMEOUT, scrapeInterval),
    evaluationInterval:
      r.duration(get('evaluation_interval'), 'global.evaluation_interval') || DEFAULT_EVALUATION_INTERVAL,
    ruleQueryOffset: r.duration(get('rule_query_offset'), 'global.rule_query_offset') ?? 0,
    externalLabels: Object.fromEntries(labels.map(([name, text]) => [name, expandEnv(text)])),
    ...(queryLogFile && { queryLogFile: joinDir(dir, queryLogFile) }),
    bodySizeLimit: r.size(get('body_size_limit'), 'global.body_size_limit') ?? 0,
    ...readLimits(r, f, 'global', () => 0),
    scrapeProtocols: readScrapeProtocols(
      r,
      get('scrape_protocols'),
      'global.scrape_protocols',
      'for global config',
    ) ?? [...DEFAULT_SCRAPE_PROTOCOLS],
    metricNameValidationScheme: absent
      ? 'utf8'
      : (r.string(get('metric_name_validation_scheme'), 'global.metric_name_validation_scheme') ?? ''),
    metricNameEscapingScheme: absent
      ? 'allow-utf-8'
      : (r.string(get('metric_name_escaping_scheme'), 'global.metric_name_escaping_scheme') ?? ''),
    convertClassicHistogramsToNHCB:
      r.bool(get('convert_classic_histograms_to_nhcb'), 'global.convert_classic_histograms_to_nhcb') ?? false,
    alwaysScrapeClassicHistograms:
      r.bool(get('always_scrape_classic_histograms'), 'global.always_scrape_classic_histograms') ?? false,
  };
}

/**
 * scrape_protocols: undefined when absent or null (the default applies, as upstream's nil slice);
 * otherwise checked as upstream's validateAcceptScrapeProtocols, `where` closing its message.
 */
function readScrapeProtocols(r: Reader, value: Value, path: string, where: string): ScrapeProtocol[] | undefined {
  if (r.isNull(value)) return undefined;
  const names = r.list(value, path).map((node, i) => r.string(node, `${path}[${i}]`, 'config.ScrapeProtocol') ?? '');
  try {
    return checkScrapeProtocols(names);
  } catch (err) {
    return r.fail(value, path, `${(err as Error).message} ${where}`);
  }
}

type LimitKey = (typeof LIMITS)[number][1];

/** A section's LIMITS; `inherited(key)` is the value of one left unset or 0. */
function readLimits(
  r: Reader,
  f: Fields,
  path: string,
  inherited: (key: LimitKey) => number,
): Record<LimitKey, number> {
  const limits = LIMITS.map(([name, key]) => [key, r.uint(f.get(name), at(path, name)) || inherited(key)]);
  return Object.fromEntries(limits) as Record<LimitKey, number>;
}

/** http or https: the only schemes miniprom's fetch speaks (upstream leaves it to the HTTP client). */
function parseScheme(r: Reader, value: Value, path: string): 'http' | 'https' {
  const scheme = r.string(value, path) ?? 'http';
  if (scheme !== 'http' && scheme !== 'https')
    r.fail(value, path, `invalid scheme ${JSON.stringify(scheme)}: want http or https`);
  return scheme;
}

/**
 * Go's os.Expand as upstream applies it to external label values: `$VAR`, `${VAR}`, `$$` for a
 * literal `$`; an unset variable expands to "" (upstream logs a warning).
 */
function expandEnv(text: string): string {
  // `${name}`, an unclosed `${`, a shell special character ($1, $$…) or a run of [A-Za-z0-9_];
  // any other `$` is kept as it is.
  return text.replace(
    /\$(?:\{([^}]*)\}|(\{)|([*#$@!?\-0-9])|([A-Za-z0-9_]+))/g,
    (_, braced?: string, unclosed?: string, special?: string, bare?: string) => {
      if (special === '$') return '$';
      // Go eats malformed "${}" and "${" without expanding anything.
      if (unclosed !== undefined || braced === '') return '';
      return process.env[braced ?? special ?? bare ?? ''] ?? '';
    },
  );
}

// ---- rule_files ----

function parseRuleFiles(r: Reader, value: Value, dir: string): string[] {
  return r.list(value, 'rule_files', '[]string').map((node, i) => {
    const path = `rule_files[${i}]`;
    const pattern = r.string(node, path);
    if (!pattern) return r.fail(node, path, 'empty or null rule file path');
    if (!isValidRulePath(pattern)) r.fail(node, path, `invalid rule file path ${JSON.stringify(pattern)}`);
    // Resolved, not expanded: the rule manager globs on every (re)load, as upstream.
    return joinDir(dir, pattern);
  });
}

// ---- scrape_config_files ----

function parseScrapeConfigFiles(r: Reader, value: Value, dir: string): string[] {
  return r.list(value, 'scrape_config_files', '[]string').map((node, i) => {
    const path = `scrape_config_files[${i}]`;
    // A null entry is Go's "" for a string: allowed, and it matches no file.
    const pattern = r.string(node, path) ?? '';
    if (!isValidScrapeConfigFilePath(pattern))
      r.fail(node, path, `invalid scrape config file path ${goQuote(pattern)}`);
    return joinDir(dir, pattern);
  });
}

/**
 * The jobs of the scrape_config_files, as upstream's GetScrapeConfigs reads them: each pattern
 * globbed, each file read strictly as a `scrape_configs:` list, each job checked against global
 * and against every job seen before it (the main file's first), its relative paths anchored at
 * its own file's directory.
 */
function readScrapeConfigFiles(patterns: string[], mainJobs: ScrapeConfig[], global: GlobalConfig): ScrapeConfig[] {
  // Where each job name was first seen, in upstream's words for its duplicate error.
  const firstFound = new Map(mainJobs.map((sc) => [sc.jobName, 'main config file']));
  const jobs: ScrapeConfig[] = [];
  for (const pattern of patterns) {
    let files: string[];
    try {
      files = goGlob(pattern);
    } catch (err) {
      if (!(err instanceof BadPatternError)) throw err;
      throw new ConfigError(`error retrieving scrape config files for ${goQuote(pattern)}: ${err.message}`);
    }
    for (const file of files) {
      const abs = resolve(file);
      let bytes: Buffer;
      try {
        bytes = readFileSync(abs);
      } catch (err) {
        throw new ConfigError(`${goQuote(abs)}: ${fileError(abs, err as NodeJS.ErrnoException)}`);
      }
      readYAML(yamlText(bytes), abs, (doc, lines) => {
        const r = new Reader(abs, lines, doc);
        const top = r.fields(doc.contents ?? undefined, '', 'config.ScrapeConfigs', ['scrape_configs']);
        r.list(top.get('scrape_configs'), 'scrape_configs').forEach((item, i) => {
          const path = `scrape_configs[${i}]`;
          if (r.isNull(item)) r.fail(item, path, 'empty or null scrape config section');
          const { config, jobNameNode } = parseScrapeConfig(r, item, path, global, dirname(abs));
          const first = firstFound.get(config.jobName);
          if (first !== undefined)
            r.fail(
              jobNameNode,
              `${path}.job_name`,
              `found multiple scrape configs with job name ${goQuote(config.jobName)}, first found in ${first}`,
            );
          firstFound.set(config.jobName, goQuote(abs));
          jobs.push({ ...config, fromFile: abs });
        });
      });
    }
  }
  return jobs;
}

// ---- scrape_configs ----

const SCRAPE_FIELDS = [
  'job_name',
  'honor_labels',
  'honor_timestamps',
  'params',
  'scrape_interval',
  'scrape_timeout',
  'metrics_path',
  'scheme',
  'always_scrape_classic_histograms',
  'convert_classic_histograms_to_nhcb',
  'body_size_limit',
  'scrape_protocols',
  'fallback_scrape_protocol',
  'enable_compression',
  ...LIMITS.map(([name]) => name),
  'metric_name_validation_scheme',
  'metric_name_escaping_scheme',
  ...HTTP_CLIENT_FIELDS,
  'static_configs',
  'file_sd_configs',
  'relabel_configs',
  'metric_relabel_configs',
];

function parseScrapeConfigs(r: Reader, value: Value, global: GlobalConfig, dir: string): ScrapeConfig[] {
  const jobs = new Set<string>();
  return r.list(value, 'scrape_configs').map((item, i) => {
    const path = `scrape_configs[${i}]`;
    if (r.isNull(item)) r.fail(item, path, 'empty or null scrape config section');
    const sc = parseScrapeConfig(r, item, path, global, dir);
    // Job names identify scrape pools (and the job label): upstream refuses duplicates.
    if (jobs.has(sc.config.jobName))
      r.fail(
        sc.jobNameNode,
        `${path}.job_name`,
        `found multiple scrape configs with job name ${JSON.stringify(sc.config.jobName)}`,
      );
    jobs.add(sc.config.jobName);
    return sc.config;
  });
}

function parseScrapeConfig(
  r: Reader,
  item: Value,
  path: string,
  global: GlobalConfig,
  dir: string,
): { config: ScrapeConfig; jobNameNode: Value } {
  const f = r.fields(item, path, 'config.ScrapeConfig', SCRAPE_FIELDS);
  const get = (name: string) => f.get(name);
  const jobName = r.string(get('job_name'), at(path, 'job_name'));
  if (!jobName) r.fail(get('job_name') ?? item, at(path, 'job_name'), 'job_name is empty');

  // Zero is unset, as upstream; an unset timeout is global's, but never more than the interval.
  const scrapeInterval = r.duration(get('scrape_interval'), at(path, 'scrape_interval')) || global.scrapeInterval;
  const timeout = r.duration(get('scrape_timeout'), at(path, 'scrape_timeout')) || undefined;
  if (timeout !== undefined && timeout > scrapeInterval)
    r.fail(
      get('scrape_timeout'),
      at(path, 'scrape_timeout'),
      `scrape timeout greater than scrape interval for scrape config with job name ${JSON.stringify(jobName)}`,
    );

  const naming = parseNaming(r, f, path, global);

  const relabelConfigs = parseRelabelConfigs(
    r,
    get('relabel_configs'),
    at(path, 'relabel_configs'),
    'empty or null target relabeling rule in scrape config',
  );
  const job = `scrape config with job name ${JSON.stringify(jobName)}`;
  const scrapeProtocols =
    readScrapeProtocols(r, get('scrape_protocols'), at(path, 'scrape_protocols'), `for ${job}`) ??
    global.scrapeProtocols;
  const fallback = r.string(
    get('fallback_scrape_protocol'),
    at(path, 'fallback_scrape_protocol'),
    'config.ScrapeProtocol',
  );
  let fallbackScrapeProtocol: ScrapeProtocol | undefined;
  // An empty one is unset, as upstream's `!= ""`.
  if (fallback) {
    try {
      fallbackScrapeProtocol = checkScrapeProtocol(fallback);
    } catch (err) {
      r.fail(
        get('fallback_scrape_protocol'),
        at(path, 'fallback_scrape_protocol'),
        `invalid fallback_scrape_protocol for ${job}: ${(err as Error).message}`,
      );
    }
  }
  const config: ScrapeConfig = {
    jobName,
    scrapeInterval,
    scrapeTimeout: timeout ?? Math.min(global.scrapeTimeout, scrapeInterval),
    metricsPath: r.string(get('metrics_path'), at(path, 'metrics_path')) ?? '/metrics',
    scheme: parseScheme(r, get('scheme'), at(path, 'scheme')),
    params: parseParams(r, get('params'), at(path, 'params')),
    honorLabels: r.bool(get('honor_labels'), at(path, 'honor_labels')) ?? false,
    honorTimestamps: r.bool(get('honor_timestamps'), at(path, 'honor_timestamps')) ?? true,
    scrapeProtocols,
    ...(fallbackScrapeProtocol && { fallbackScrapeProtocol }),
    enableCompression: r.bool(get('enable_compression'), at(path, 'enable_compression')) ?? true,
    // A limit left unset (or 0) is global's, as upstream.
    bodySizeLimit: r.size(get('body_size_limit'), at(path, 'body_size_limit')) || global.bodySizeLimit,
    ...readLimits(r, f, path, (key) => global[key] ?? 0),
    ...naming,
    httpClient: parseHTTPClient(r, f, path, dir),
    // Upstream checks static targets for URLs only when no relabeling could fix `__address__`.
    staticConfigs: parseStaticConfigs(
      r,
      get('static_configs'),
      at(path, 'static_configs'),
      relabelConfigs.length === 0,
    ),
    fileSDConfigs: parseFileSDConfigs(r, get('file_sd_configs'), at(path, 'file_sd_configs'), dir),
    relabelConfigs,
    metricRelabelConfigs: parseRelabelConfigs(
      r,
      get('metric_relabel_configs'),
      at(path, 'metric_relabel_configs'),
      'empty or null metric relabeling rule in scrape config',
    ),
  };
  return { config, jobNameNode: get('job_name') };
}

const VALIDATION_SCHEMES: readonly string[] = ['legacy', 'utf8'];
const ESCAPING_SCHEMES: readonly string[] = ['allow-utf-8', 'underscores', 'dots', 'values'];
const ESCAPING_CHOICES = "must be one of 'allow-utf-8', 'underscores', 'dots', or 'values'";

/**
 * A job's name validation and escaping schemes and classic-histogram switches, inherited from
 * global when unset, checked in upstream's order and words (ScrapeConfig.Validate). Global's
 * schemes are checked here too, as upstream checks them only when a job inherits them. Upstream's
 * escaping errors print the validation scheme after "got" (its own slip, kept so that messages
 * match).
 */
function parseNaming(r: Reader, f: Fields, path: string, global: GlobalConfig): ScrapeNaming {
  // An error about a field points at it when the job sets it, else at the job (it inherited it).
  const field = (name: string) => f.get(name) ?? f.node;
  const fieldPath = (name: string) => (f.has(name) ? at(path, name) : path);
  const globalValidation = global.metricNameValidationScheme || 'utf8';
  if (!VALIDATION_SCHEMES.includes(globalValidation))
    r.fail(
      f.node,
      path,
      `unknown global name validation method specified, must be either 'legacy' or 'utf8', got ${globalValidation}`,
    );
  const validation =
    r.string(f.get('metric_name_validation_scheme'), fieldPath('metric_name_validation_scheme')) || globalValidation;
  if (!VALIDATION_SCHEMES.includes(validation))
    r.fail(
      field('metric_name_validation_scheme'),
      fieldPath('metric_name_validation_scheme'),
      `unknown scrape config name validation method specified, must be either 'legacy' or 'utf8', got ${validation}`,
    );

  let globalEscaping = global.metricNameEscapingScheme;
  if (globalEscaping === '') globalEscaping = globalValidation === 'legacy' ? 'underscores' : 'allow-utf-8';
  else if (!ESCAPING_SCHEMES.includes(globalEscaping))
    r.fail(f.node, path, `unknown global name escaping method specified, ${ESCAPING_CHOICES}, got ${globalValidation}`);
  const escaping =
    r.string(f.get('metric_name_escaping_scheme'), fieldPath('metric_name_escaping_scheme')) || globalEscaping;
  if (escaping === 'allow-utf-8') {
    if (validation !== 'utf8')
      r.fail(
        field('metric_name_escaping_scheme'),
        fieldPath('metric_name_escaping_scheme'),
        'utf8 metric names requested but validation scheme is not set to UTF8',
      );
  } else if (!ESCAPING_SCHEMES.includes(escaping))
    r.fail(
      field('metric_name_escaping_scheme'),
      fieldPath('metric_name_escaping_scheme'),
      `unknown scrape config name escaping method specified, ${ESCAPING_CHOICES}, got ${validation}`,
    );

  // Pointers upstream: unset or null inherits global's value.
  const inherited = (name: string, fromGlobal: boolean) =>
    r.isNull(f.get(name)) ? fromGlobal : (r.bool(f.get(name), fieldPath(name)) ?? fromGlobal);
  return {
    metricNameValidationScheme: validation as ScrapeNaming['metricNameValidationScheme'],
    metricNameEscapingScheme: escaping as ScrapeNaming['metricNameEscapingScheme'],
    alwaysScrapeClassicHistograms: inherited('always_scrape_classic_histograms', global.alwaysScrapeClassicHistograms),
    convertClassicHistogramsToNHCB: inherited(
      'convert_classic_histograms_to_nhcb',
      global.convertClassicHistogramsToNHCB,
    ),
  };
}

/** params: URL query parameters, each name with a list of values (Go's url.Values). */
function parseParams(r: Reader, value: Value, path: string): Record<string, string[]> {
  const entries = r.map(value, path, 'a map of string lists').map((e) => {
    const values = r.list(e.value, at(path, e.name)).map((node, i) => {
      const text = r.string(node, `${at(path, e.name)}[${i}]`);
      if (text === undefined) return r.fail(node, `${at(path, e.name)}[${i}]`, 'empty or null parameter value');
      return text;
    });
    return [e.name, values] as const;
  });
  return Object.fromEntries(entries);
}

// ---- alerting ----

const ALERTMANAGER_FIELDS = [
  'scheme',
  'path_prefix',
  'timeout',
  'api_version',
  ...HTTP_CLIENT_FIELDS,
  'static_configs',
  'file_sd_configs',
  'relabel_configs',
  'alert_relabel_configs',
];

function parseAlerting(r: Reader, value: Value, dir: string): AlertingConfig {
  const f = r.fields(value, 'alerting', 'config.plain', ['alert_relabel_configs', 'alertmanagers']);
  return {
    alertRelabelConfigs: parseRelabelConfigs(
      r,
      f.get('alert_relabel_configs'),
      'alerting.alert_relabel_configs',
      'empty or null alert relabeling rule',
    ),
    alertmanagers: r.list(f.get('alertmanagers'), 'alerting.alertmanagers').map((item, i) => {
      const path = `alerting.alertmanagers[${i}]`;
      if (r.isNull(item)) r.fail(item, path, 'empty or null alertmanager config section');
      return parseAlertmanager(r, item, path, dir);
    }),
  };
}

function parseAlertmanager(r: Reader, item: Value, path: string, dir: string): AlertmanagerConfig {
  const f = r.fields(item, path, 'config.AlertmanagerConfig', ALERTMANAGER_FIELDS);
  const apiVersion = r.string(f.get('api_version'), at(path, 'api_version')) ?? 'v2';
  if (apiVersion !== 'v2')
    r.fail(
      f.get('api_version'),
      at(path, 'api_version'),
      `expected Alertmanager api version to be one of [v2] but got ${apiVersion}`,
    );
  const relabelConfigs = parseRelabelConfigs(
    r,
    f.get('relabel_configs'),
    at(path, 'relabel_configs'),
    'empty or null Alertmanager target relabeling rule',
  );
  return {
    scheme: parseScheme(r, f.get('scheme'), at(path, 'scheme')),
    // `/` by default, as upstream's docs state (its struct default is empty; both mean the root).
    pathPrefix: r.string(f.get('path_prefix'), at(path, 'path_prefix')) ?? '/',
    timeout: r.duration(f.get('timeout'), at(path, 'timeout')) || 10_000,
    apiVersion,
    httpClient: parseHTTPClient(r, f, path, dir),
    staticConfigs: parseStaticConfigs(
      r,
      f.get('static_configs'),
      at(path, 'static_configs'),
      relabelConfigs.length === 0,
    ),
    fileSDConfigs: parseFileSDConfigs(r, f.get('file_sd_configs'), at(path, 'file_sd_configs'), dir),
    relabelConfigs,
    alertRelabelConfigs: parseRelabelConfigs(
      r,
      f.get('alert_relabel_configs'),
      at(path, 'alert_relabel_configs'),
      'empty or null Alertmanager alert relabeling rule',
    ),
  };
}

// ---- tracing ----

function parseTracing(r: Reader, value: Value): TracingConfig {
  const defaults: TracingConfig = {
    endpoint: '',
    clientType: 'grpc',
    samplingFraction: 0,
    insecure: false,
    timeout: 10_000,
    headers: {},
    compression: '',
  };
  // No section, no tracing; a section, though, must name an endpoint (as upstream).
  if (r.isNull(value)) return defaults;
  const f = r.fields(value, 'tracing', 'config.plain', [
    'client_type',
    'endpoint',
    'sampling_fraction',
    'insecure',
    'headers',
    'compression',
    'timeout',
  ]);
  // Every value is read (and type-checked) first, then the section is validated: upstream's
  // unmarshal-then-check order, so a bad duration is reported before a missing endpoint.
  const clientType = r.string(f.get('client_type'), 'tracing.client_type') ?? 'grpc';
  if (clientType !== 'grpc' && clientType !== 'http')
    r.fail(
      f.get('client_type'),
      'tracing.client_type',
      // Upstream's wording, its doubled "to be" included, so that searches for it find both.
      `expected tracing client type to be to be http or grpc, but got ${clientType}`,
    );
  const endpoint = r.string(f.get('endpoint'), 'tracing.endpoint') ?? '';
  const samplingFraction = r.float(f.get('sampling_fraction'), 'tracing.sampling_fraction') ?? 0;
  const insecure = r.bool(f.get('insecure'), 'tracing.insecure') ?? false;
  const timeout = r.duration(f.get('timeout'), 'tracing.timeout') || defaults.timeout;
  const compression = (r.string(f.get('compression'), 'tracing.compression') ?? '') as TracingConfig['compression'];
  const tracing: TracingConfig = {
    endpoint,
    clientType,
    samplingFraction,
    insecure,
    timeout,
    // Checked after the other fields are read; authorization would need secret handling the
    // exporter lacks (upstream's validateHeadersForTracing).
    headers: parseHeaders(
      r,
      f.get('headers'),
      'tracing.headers',
      'custom authorization header configuration is not yet supported',
    ),
    compression,
  };
  if (tracing.endpoint === '') r.fail(f.get('endpoint') ?? f.node, 'tracing.endpoint', 'tracing endpoint must be set');
  if (tracing.compression !== '' && tracing.compression !== 'gzip')
    r.fail(
      f.get('compression'),
      'tracing.compression',
      `invalid compression type ${tracing.compression} provided, valid options: gzip`,
    );
  return tracing;
}
