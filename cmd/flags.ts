/**
 * Prometheus's command-line flags, with upstream's names, defaults and mode rules (kingpin in
 * upstream, commander here). Parse errors exit 2 with usage; flags of the wrong mode are reported
 * by main (after the --enable-feature lines, as upstream) with upstream's exact message, exit 3.
 */
import { hostname } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { formatDuration, parseDuration, parseSize } from '../src/config/index.js';
import { LOG_LEVELS, type LogFormat, type Logger, type LogLevel } from '../src/log/index.js';
import { type ActorMove, parseActorMoves } from '../src/lifecycle/index.js';

export interface Flags {
  configFile: string;
  webListenAddress: string;
  webEnableLifecycle: boolean;
  webExternalUrl: string | undefined;
  /** --web.route-prefix as given (main defaults it to the external URL's path). */
  webRoutePrefix: string | undefined;
  /** --web.config.file ('' when not given). */
  webConfigFile: string;
  /** --web.cors.origin, the regex as given (anchored when compiled). */
  webCorsOrigin: string;
  webEnableAdminApi: boolean;
  /** --web.read-timeout (ms). */
  webReadTimeoutMs: number;
  webMaxConnections: number;
  tsdbPath: string;
  tsdbRetentionMs: number;
  tsdbWalSegmentSize: number;
  tsdbMaxBlockChunkSegmentSize: number;
  agentPath: string;
  agentWalSegmentSize: number;
  remoteFlushDeadlineMs: number;
  agent: boolean;
  alertmanagerTimeout: string | undefined;
  /** --alertmanager.notification-queue-capacity. */
  notificationQueueCapacity: number;
  /** --alertmanager.notification-batch-size. */
  notificationBatchSize: number;
  /** --alertmanager.drain-notification-queue-on-shutdown. */
  drainNotificationQueue: boolean;
  /** --rules.alert.for-outage-tolerance (ms). */
  rulesAlertForOutageToleranceMs: number;
  /** --rules.alert.for-grace-period (ms). */
  rulesAlertForGracePeriodMs: number;
  /** --rules.alert.resend-delay (ms). */
  rulesAlertResendDelayMs: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  startupTrace: boolean;
  /** The teaching switch's moves; empty (upstream's add order) unless --debug.actor-order is given. */
  debugActorOrder: ActorMove[];
  /** --query.lookback-delta (ms). */
  queryLookbackDeltaMs: number;
  /** --query.timeout (ms). */
  queryTimeoutMs: number;
  queryMaxConcurrency: number;
  queryMaxSamples: number;
  /** --enable-feature, every value split at commas, in order (empty names kept, as upstream skips them). */
  featureList: string[];
  webEnableRemoteWriteReceiver: boolean;
  /**
   * Upstream's message when flags of the other mode were given (`The following flag(s) can not
   * be used in agent mode: […]`); main prints it and exits 3.
   */
  modeError: string | undefined;
  /** Every flag and its value as upstream prints it, for /api/v1/status/flags. */
  values: Record<string, string>;
}

/** Upstream's retention when no retention is given. */
const DEFAULT_RETENTION_MS = 15 * 24 * 3600 * 1000;

/** Flags that only make sense with a TSDB, a rule manager or a notifier (upstream's serverOnlyFlag). */
const SERVER_ONLY = [
  'storage.tsdb.path',
  'storage.tsdb.retention.time',
  'storage.tsdb.retention.size',
  'storage.tsdb.wal-segment-size',
  'storage.tsdb.max-block-chunk-segment-size',
  'alertmanager.timeout',
  'rules.alert.for-outage-tolerance',
  'rules.alert.for-grace-period',
  'rules.alert.resend-delay',
  'alertmanager.notification-queue-capacity',
  'alertmanager.notification-batch-size',
  'alertmanager.drain-notification-queue-on-shutdown',
  'query.lookback-delta',
  'query.timeout',
  'query.max-concurrency',
  'query.max-samples',
];
/** Flags of the agent's WAL storage (upstream's agentOnlyFlag). */
const AGENT_ONLY = ['storage.agent.path', 'storage.agent.wal-segment-size'];

const unit =
  <T>(parse: (text: string) => T) =>
  (text: string): T => {
    try {
      return parse(text);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };

/** A whole number flag (kingpin's IntVar): Go's error text for anything else. */
function integer(text: string): number {
  if (!/^[+-]?\d+$/.test(text))
    throw new InvalidArgumentError(`strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  return Number(text);
}

/** A boolean flag's value (kingpin's strconv.ParseBool). */
function boolean(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new InvalidArgumentError(`strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`);
}

/**
 * A size as upstream's flags print it (alecthomas/units Base2Bytes.String): every nonzero
 * 1024-power part, largest first, `1GiB512MiB`; zero is `0B`.
 */
export function formatBase2Bytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  const parts: string[] = [];
  let n = bytes;
  for (let i = 0; i < units.length; i++) {
    const part = n % 1024;
    if (part !== 0 || (i === 0 && n === 0)) parts.unshift(`${part}${units[i]}`);
    n = Math.floor(n / 1024);
    if (n === 0) break;
  }
  return parts.join('');
}

/** How /api/v1/status/flags prints the flags whose values are not plain strings. */
const PRINTERS: Record<string, (value: unknown) => string> = {
  'storage.tsdb.retention.time': (v) => formatDuration(v as number),
  'storage.tsdb.wal-segment-size': (v) => formatBase2Bytes(v as number),
  'storage.tsdb.max-block-chunk-segment-size': (v) => formatBase2Bytes(v as number),
  'storage.agent.wal-segment-size': (v) => formatBase2Bytes(v as number),
  'storage.tsdb.retention.size': (v) => formatBase2Bytes(v as number),
  'storage.remote.flush-deadline': (v) => formatDuration(v as number),
  'web.read-timeout': (v) => formatDuration(v as number),
  'query.lookback-delta': (v) => formatDuration(v as number),
  'rules.alert.for-outage-tolerance': (v) => formatDuration(v as number),
  'rules.alert.for-grace-period': (v) => formatDuration(v as number),
  'rules.alert.resend-delay': (v) => formatDuration(v as number),
  'query.timeout': (v) => formatDuration(v as number),
  'enable-feature': (v) => (v as string[]).join(','),
  'debug.actor-order': () => '',
};

/** Go's GOARCH for Node's process.arch, as upstream's platform line spells it. */
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };

/**
 * `--version` as prometheus/common's version.Print writes it; this build has no branch,
 * revision, build user or date to stamp, so those stay empty as in an unstamped Go build, and
 * the runtime stands where Go's version would.
 */
export function versionText(program: string, version: string): string {
  return [
    `${program}, version ${version} (branch: , revision: )`,
    '  build user:       ',
    '  build date:       ',
    `  go version:       node ${process.version}`,
    `  platform:         ${process.platform}/${GOARCH[process.arch] ?? process.arch}`,
    '  tags:             unknown',
  ].join('\n');
}

function program(version: string): Command {
  const cmd = new Command('prometheus')
    .description('The Prometheus monitoring server')
    .helpOption('-h, --help', 'Show context-sensitive help.')
    .version(versionText('miniprom', version), '--version', 'Show application version.')
    .option('--config.file <path>', 'Prometheus configuration file path.', 'prometheus.yml')
    .option('--web.listen-address <address>', 'Address to listen on for UI, API, and telemetry.', '0.0.0.0:9090')
    .option('--web.enable-lifecycle', 'Enable shutdown and reload via HTTP request.', false)
    .option('--web.external-url <url>', 'The URL under which Prometheus is externally reachable.')
    .option(
      '--web.route-prefix <path>',
      'Prefix for the internal routes of web endpoints. Defaults to path of --web.external-url.',
    )
    .option(
      '--web.config.file <path>',
      '[EXPERIMENTAL] Path to configuration file that can enable TLS or authentication.',
      '',
    )
    .option('--web.enable-admin-api', 'Enable API endpoints for admin control actions.', false)
    .option(
      '--web.cors.origin <regex>',
      "Regex for CORS origin. It is fully anchored. Example: 'https?://(domain1|domain2)\\.com'",
      '.*',
    )
    .option(
      '--web.read-timeout <duration>',
      'Maximum duration before timing out read of the request, and closing idle connections.',
      unit(parseDuration),
      5 * 60_000,
    )
    .option(
      '--web.max-connections <int>',
      'Maximum number of simultaneous connections across all listeners.',
      integer,
      512,
    )
    .option('--storage.tsdb.path <path>', 'Base path for metrics storage. Use with server mode only.', 'data/')
    .option(
      '--storage.tsdb.retention.time <duration>',
      '[DEPRECATED] How long to retain samples in storage. If not set, the retention time defaults to 15d. Deprecated as upstream: the storage.tsdb.retention.time field of the config file, when present, takes precedence. Use with server mode only.',
      unit(parseDuration),
    )
    .option(
      '--storage.tsdb.retention.size <size>',
      'Maximum number of bytes that can be stored for blocks. miniprom refuses a nonzero value: its TSDB deletes by time only. Use with server mode only.',
      unit(parseSize),
      0,
    )
    .option(
      '--storage.tsdb.wal-segment-size <size>',
      'Size at which to split the tsdb WAL segment files. Example: 100MB. Use with server mode only.',
      unit(parseSize),
      0,
    )
    .option(
      '--storage.tsdb.max-block-chunk-segment-size <size>',
      'The maximum size for a single chunk segment in a block. Example: 512MB. Use with server mode only.',
      unit(parseSize),
      0,
    )
    .option('--storage.agent.path <path>', 'Base path for metrics storage. Use with agent mode only.', 'data-agent/')
    .option(
      '--storage.agent.wal-segment-size <size>',
      'Size at which to split WAL segment files. Example: 100MB. Use with agent mode only.',
      unit(parseSize),
      0,
    )
    .option(
      '--storage.remote.flush-deadline <duration>',
      'How long to wait flushing sample on shutdown or config reload.',
      unit(parseDuration),
      60_000,
    )
    .option('--web.enable-remote-write-receiver', 'Enable API endpoint accepting remote write requests.', false)
    .option(
      '--rules.alert.for-outage-tolerance <duration>',
      'Max time to tolerate prometheus outage for restoring "for" state of alert. Use with server mode only.',
      unit(parseDuration),
      3_600_000,
    )
    .option(
      '--rules.alert.for-grace-period <duration>',
      'Minimum duration between alert and restored "for" state. This is maintained only for alerts with configured "for" time greater than grace period. Use with server mode only.',
      unit(parseDuration),
      600_000,
    )
    .option(
      '--rules.alert.resend-delay <duration>',
      'Minimum amount of time to wait before resending an alert to Alertmanager. Use with server mode only.',
      unit(parseDuration),
      60_000,
    )
    .option(
      '--alertmanager.notification-queue-capacity <int>',
      'The capacity of the queue for pending Alertmanager notifications. Use with server mode only.',
      integer,
      10_000,
    )
    .option(
      '--alertmanager.notification-batch-size <int>',
      'The maximum number of notifications per batch to send to the Alertmanager. Use with server mode only.',
      integer,
      256,
    )
    .addOption(
      // kingpin's BoolVar: `--flag`, `--flag=false` and `--no-flag` all work.
      new Option(
        '--alertmanager.drain-notification-queue-on-shutdown [bool]',
        'Send any outstanding Alertmanager notifications when shutting down. If false, any outstanding Alertmanager notifications will be dropped when shutting down. Use with server mode only.',
      )
        .preset('true')
        .default(true)
        .argParser(boolean),
    )
    .addOption(new Option('--no-alertmanager.drain-notification-queue-on-shutdown').hideHelp())
    .option(
      '--query.lookback-delta <duration>',
      'The maximum lookback duration for retrieving metrics during expression evaluations and federation. Use with server mode only.',
      unit(parseDuration),
      5 * 60_000,
    )
    .option(
      '--query.timeout <duration>',
      'Maximum time a query may take before being aborted. Use with server mode only.',
      unit(parseDuration),
      2 * 60_000,
    )
    .option(
      '--query.max-concurrency <int>',
      'Maximum number of queries executed concurrently. Use with server mode only.',
      integer,
      20,
    )
    .option(
      '--query.max-samples <int>',
      'Maximum number of samples a single query can load into memory. Note that queries will fail if they try to load more samples than this into memory, so this also limits the number of samples a query can return. Use with server mode only.',
      integer,
      50_000_000,
    )
    .option(
      '--enable-feature <features>',
      'Comma separated feature names to enable. Valid options: exemplar-storage, expand-external-labels, memory-snapshot-on-shutdown, promql-per-step-stats, promql-experimental-functions, extra-scrape-metrics, auto-gomaxprocs, native-histograms, created-timestamp-zero-ingestion, concurrent-rule-eval, delayed-compaction, old-ui, otlp-deltatocumulative, promql-duration-expr, use-uncached-io. See https://prometheus.io/docs/prometheus/latest/feature_flags/ for more details.',
      // Repeatable, as kingpin's Strings: every occurrence is kept.
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--agent', "Run Prometheus in 'Agent mode'.", false)
    .option('--alertmanager.timeout <duration>', 'Timeout for sending alerts to Alertmanager. (No effect.)')
    .addOption(
      new Option('--log.level <level>', 'Only log messages with the given severity or above.')
        .choices(LOG_LEVELS)
        .default('info'),
    )
    .addOption(
      new Option('--log.format <format>', 'Output format of log messages.')
        .choices(['logfmt', 'json'])
        .default('logfmt'),
    )
    .option(
      '--startup.trace',
      'At exit, print the lifecycle timeline and its critical chains to stderr (a miniprom teaching aid).',
      false,
    )
    .addOption(
      // Hidden, as upstream hides its debugging flags: a teaching aid, never for a real deployment.
      new Option(
        '--debug.actor-order <moves>',
        'Teaching aid: move actors in the add order, e.g. "TSDB before Scrape manager", to see what shutdown order prevents.',
      )
        .argParser((text) => {
          try {
            return parseActorMoves(text);
          } catch (err) {
            throw new InvalidArgumentError((err as Error).message);
          }
        })
        .hideHelp(),
    )
    .option('--help-long', 'Generate long help.')
    .allowExcessArguments(false);
  // Flags upstream hides from its help (kingpin's Hidden()).
  const hidden = [
    'storage.tsdb.wal-segment-size',
    'storage.tsdb.max-block-chunk-segment-size',
    'storage.agent.wal-segment-size',
  ];
  for (const option of cmd.options) if (hidden.includes(option.long?.replace(/^--/, '') ?? '')) option.hideHelp();
  // kingpin's bool flags all take a `--no-` form (`--[no-]web.enable-lifecycle`).
  for (const option of [...cmd.options]) {
    const name = option.long?.replace(/^--/, '');
    if (!name || !option.isBoolean() || name === 'help-long' || name.startsWith('no-')) continue;
    if (cmd.options.some((o) => o.long === `--no-${name}`)) continue;
    cmd.addOption(new Option(`--no-${name}`).hideHelp());
  }
  return cmd;
}

/** Parses argv (without node and the script); returns the flags, or the exit code to leave with. */
export function parseFlags(argv: string[], version: string): { flags: Flags } | { exitCode: number } {
  if (argv.some((a) => a === '-h' || a === '--help' || a === '--help-long')) {
    // kingpin answers --help and --help-long alike for a command without subcommands.
    process.stdout.write(kingpinHelp(program(version), !argv.includes('--help-long')));
    return { exitCode: 0 };
  }
  const cmd = program(version)
    .exitOverride()
    .configureOutput({
      writeErr: () => {},
      outputError: () => {},
    });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) return { exitCode: 0 }; // --help, --version
    const message = (err as Error).message.replace(/^error: /, '');
    process.stderr.write(`Error parsing command line arguments: ${message}\n${cmd.helpInformation()}`);
    return { exitCode: 2 };
  }
  const o = cmd.opts<Record<string, unknown>>();
  const agent = o.agent === true;
  if ((o['storage.tsdb.retention.size'] as number) !== 0) {
    // A refusal rather than a flag accepted and ignored: a disk would fill while the user trusts it.
    process.stderr.write(
      'Error parsing command line arguments: --storage.tsdb.retention.size is not supported by miniprom: its TSDB cannot delete data by size; use --storage.tsdb.retention.time\n',
    );
    return { exitCode: 2 };
  }

  // As kingpin's PreActions: each occurrence on the command line, in the order given.
  const setOnCLI = (names: string[]) =>
    argv.flatMap((arg) => {
      const name = /^--([^=]+)/.exec(arg)?.[1];
      return name !== undefined && names.includes(name) ? [name] : [];
    });
  const misused = agent ? setOnCLI(SERVER_ONLY) : setOnCLI(AGENT_ONLY);
  // Go's %q of a []string: ["--a" "--b"].
  const list = `[${misused.map((n) => JSON.stringify(`--${n}`)).join(' ')}]`;
  const modeError =
    misused.length === 0
      ? undefined
      : agent
        ? `The following flag(s) can not be used in agent mode: ${list}`
        : `The following flag(s) can only be used in agent mode: ${list}`;

  const retentionTime = o['storage.tsdb.retention.time'] as number | undefined;
  const flags: Flags = {
    configFile: o['config.file'] as string,
    webListenAddress: o['web.listenAddress'] as string,
    webEnableLifecycle: o['web.enableLifecycle'] === true,
    webExternalUrl: o['web.externalUrl'] as string | undefined,
    webRoutePrefix: o['web.routePrefix'] as string | undefined,
    webConfigFile: o['web.config.file'] as string,
    webCorsOrigin: o['web.cors.origin'] as string,
    webEnableAdminApi: o['web.enableAdminApi'] === true,
    webReadTimeoutMs: o['web.readTimeout'] as number,
    webMaxConnections: o['web.maxConnections'] as number,
    tsdbPath: o['storage.tsdb.path'] as string,
    tsdbRetentionMs: retentionTime ?? DEFAULT_RETENTION_MS,
    tsdbWalSegmentSize: o['storage.tsdb.walSegmentSize'] as number,
    tsdbMaxBlockChunkSegmentSize: o['storage.tsdb.maxBlockChunkSegmentSize'] as number,
    agentPath: o['storage.agent.path'] as string,
    agentWalSegmentSize: o['storage.agent.walSegmentSize'] as number,
    remoteFlushDeadlineMs: o['storage.remote.flushDeadline'] as number,
    agent,
    alertmanagerTimeout: o['alertmanager.timeout'] as string | undefined,
    notificationQueueCapacity: o['alertmanager.notificationQueueCapacity'] as number,
    notificationBatchSize: o['alertmanager.notificationBatchSize'] as number,
    drainNotificationQueue: o['alertmanager.drainNotificationQueueOnShutdown'] !== false,
    rulesAlertForOutageToleranceMs: o['rules.alert.forOutageTolerance'] as number,
    rulesAlertForGracePeriodMs: o['rules.alert.forGracePeriod'] as number,
    rulesAlertResendDelayMs: o['rules.alert.resendDelay'] as number,
    logLevel: o['log.level'] as LogLevel,
    logFormat: o['log.format'] as LogFormat,
    startupTrace: o['startup.trace'] === true,
    debugActorOrder: (o['debug.actorOrder'] as ActorMove[] | undefined) ?? [],
    queryLookbackDeltaMs: o['query.lookbackDelta'] as number,
    queryTimeoutMs: o['query.timeout'] as number,
    queryMaxConcurrency: o['query.maxConcurrency'] as number,
    queryMaxSamples: o['query.maxSamples'] as number,
    featureList: (o.enableFeature as string[]).flatMap((f) => f.split(',')),
    webEnableRemoteWriteReceiver: o['web.enableRemoteWriteReceiver'] === true,
    modeError,
    values: flagValues(cmd, { ...o, 'storage.tsdb.retention.time': retentionTime ?? DEFAULT_RETENTION_MS }),
  };
  // Upstream's flags endpoint shows the route prefix as main leaves it: defaulted and normalised.
  flags.values['web.route-prefix'] = webPaths(flags).routePrefix;
  return { flags };
}

/** Every flag (but --help and --version, as upstream leaves out kingpin's own) as upstream prints its value. */
function flagValues(cmd: Command, values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const option of cmd.options) {
    const name = option.long?.replace(/^--/, '');
    // A `--no-…` option is the other spelling of its flag, not a flag of its own.
    if (!name || name === 'help' || name === 'version' || name === 'help-long' || option.negate) continue;
    const key = optionKey(name);
    const value = name in values ? values[name] : values[key];
    const print = PRINTERS[name];
    out[name] = print ? print(value) : value === undefined ? '' : String(value);
  }
  return out;
}

/** commander's key for a flag: dashes camel-cased, dots kept (`web.listen-address` → `web.listenAddress`). */
function optionKey(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** What the features miniprom honours turn on. */
export interface Features {
  /** promql-experimental-functions: the parser accepts experimental functions and aggregations. */
  experimentalFunctions: boolean;
  /** promql-delayed-name-removal: the engine drops `__name__` at the end of evaluation. */
  delayedNameRemoval: boolean;
}

/**
 * Upstream's names that miniprom accepts without implementing what they enable, each with the
 * line upstream logs when it does enable it.
 */
const UNIMPLEMENTED_FEATURES: Record<string, string> = {
  'exemplar-storage': 'Experimental in-memory exemplar storage enabled',
  'memory-snapshot-on-shutdown': 'Experimental memory snapshot on shutdown enabled',
  'extra-scrape-metrics': 'Experimental additional scrape metrics enabled',
  'metadata-wal-records': 'Experimental metadata records in WAL enabled',
  'promql-per-step-stats': 'Experimental per-step statistics reporting',
  'auto-reload-config': 'Enabled automatic configuration file reloading. Checking for configuration changes every',
  'concurrent-rule-eval': 'Experimental concurrent rule evaluation enabled.',
  'promql-duration-expr': 'Experimental duration expression parsing enabled.',
  'native-histograms': 'Experimental native histogram support enabled.',
  'created-timestamp-zero-ingestion': 'Experimental created timestamp zero ingestion enabled.',
  'delayed-compaction': 'Experimental delayed compaction is enabled.',
  'old-ui': 'Serving previous version of the Prometheus web UI.',
  'otlp-deltatocumulative': 'Converting delta OTLP metrics to cumulative',
  'otlp-native-delta-ingestion': 'Enabling native ingestion of delta OTLP metrics.',
  'type-and-unit-labels': 'Experimental type and unit labels enabled',
  'use-uncached-io': 'Experimental Uncached IO is enabled.',
};

/**
 * Upstream's setFeatureListOptions: each comma-separated name of --enable-feature, in order, is
 * logged as upstream logs it. Names upstream knows but miniprom does not implement are accepted
 * with a warning saying so (instead of upstream's line, which would claim the feature is on);
 * unknown names get upstream's warning. Throws upstream's error for two OTLP delta modes at once.
 */
export function applyFeatureList(featureList: readonly string[], log: Logger): Features {
  const features: Features = { experimentalFunctions: false, delayedNameRemoval: false };
  const seen = new Set<string>();
  for (const option of featureList) {
    seen.add(option);
    switch (option) {
      case '':
        continue;
      case 'promql-experimental-functions':
        features.experimentalFunctions = true;
        log.info('Experimental PromQL functions enabled.');
        break;
      case 'promql-delayed-name-removal':
        features.delayedNameRemoval = true;
        log.info('Experimental PromQL delayed name removal enabled.');
        break;
      case 'ooo-native-histograms':
        log.warn({ option }, 'This option for --enable-feature is now permanently enabled and therefore a no-op.');
        break;
      default:
        if (option in UNIMPLEMENTED_FEATURES) {
          log.warn({ option }, 'This option for --enable-feature is not implemented by miniprom and has no effect.');
        } else {
          log.warn({ option }, 'Unknown option for --enable-feature');
        }
    }
  }
  if (seen.has('otlp-deltatocumulative') && seen.has('otlp-native-delta-ingestion')) {
    throw new Error('cannot enable otlp-deltatocumulative and otlp-native-delta-ingestion features at the same time');
  }
  return features;
}

/**
 * The path of an external URL as computeExternalURL leaves it ('' or `/x`, no trailing slash),
 * and the route prefix upstream derives from it when --web.route-prefix is not given: `/` and the
 * prefix without slashes at either end.
 */
export function webPaths(flags: Flags): { externalPath: string; routePrefix: string } {
  const url = externalURL(flags);
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*([^?#]*)/.exec(url);
  const externalPath = (m ? (m[1] as string) : (url.split(/[?#]/)[0] ?? '')).replace(/\/+$/, '');
  const prefix = flags.webRoutePrefix || externalPath;
  return { externalPath, routePrefix: `/${prefix.replace(/^\/+|\/+$/g, '')}` };
}

/**
 * Upstream's computeExternalURL: --web.external-url, or `http://<hostname>:<listen port>`; the
 * path loses its trailing slash. What alerts link back to (generatorURL) and `$externalURL` is.
 */
export function externalURL(flags: Flags): string {
  let text = flags.webExternalUrl ?? '';
  if (text === '') {
    const port = /:(\d*)$/.exec(flags.webListenAddress)?.[1] ?? '';
    text = `http://${hostname()}:${port}/`;
  }
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*)([^?#]*)(.*)$/.exec(text);
  if (!m) return text;
  let path = (m[2] as string).replace(/\/+$/, '');
  if (path !== '' && !path.startsWith('/')) path = `/${path}`;
  return `${m[1]}${path}${m[3]}`;
}

/** The default a kingpin flag shows after `=`, or its placeholder. */
function placeholder(option: Option): string {
  const name = (option.long as string).replace(/^--/, '');
  const value: unknown = option.defaultValue;
  // Upstream's PlaceHolder()s, shown in place of a default.
  if (name === 'web.external-url') return '<URL>';
  if (name === 'storage.remote.flush-deadline') return '<duration>';
  // Sizes and durations without a default show kingpin's upper-cased name.
  if (value === undefined || (value === 0 && option.flags.includes('<size>'))) return name.toUpperCase();
  const print = PRINTERS[name];
  if (print) return print(value);
  // kingpin quotes the defaults of string flags.
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Greedy word wrap to `width` columns (kingpin wraps with go/doc, which balances lines instead). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.length > 0 ? lines : [''];
}

/**
 * Help as kingpin's default template lays it out for the peer's 80 columns: usage, the app's
 * help, then `Flags:` in two columns (2-space indent, the flag column as wide as the longest flag
 * under 30 characters plus 2, longer flags on a line of their own), `--[no-]` for bool flags,
 * `=<default>` or the placeholder for the others, and ` ...` for repeatable ones.
 */
export function kingpinHelp(cmd: Command, short: boolean): string {
  const rows: Array<[string, string]> = [
    ['-h, --[no-]help', 'Show context-sensitive help (also try --help-long and --help-man).'],
    ['    --[no-]version', 'Show application version.'],
  ];
  for (const option of cmd.options) {
    const name = option.long?.replace(/^--/, '');
    if (!name || option.hidden || option.negate || ['help', 'version', 'help-long'].includes(name)) continue;
    const repeatable = name === 'enable-feature';
    const flag = option.isBoolean() ? `    --[no-]${name}` : `    --${name}=${repeatable ? '' : placeholder(option)}`;
    let help = option.description;
    if (option.argChoices) help += ` One of: [${option.argChoices.join(', ')}]`;
    rows.push([`${flag}${repeatable ? ' ...' : ''}`, help]);
  }
  const width = Math.max(...rows.map(([f]) => f.length).filter((n) => n < 30));
  const indent = '  ';
  const offset = ' '.repeat(width + 2);
  // kingpin's short help leaves one more blank line before `Flags:` than its long help.
  let out = `usage: prometheus [<flags>]\n\n${cmd.description()}\n\n${short ? '\n' : ''}Flags:\n`;
  for (const [flag, help] of rows) {
    const lines = wrap(help, 80 - width - 2 - indent.length);
    out += `${indent}${flag.padEnd(width)}  `;
    if (flag.length >= 30) out += `\n${indent}${offset}`;
    out += `${lines[0]}\n`;
    for (const line of lines.slice(1)) out += `${indent}${offset}${line}\n`;
  }
  return `${out}\n`;
}
