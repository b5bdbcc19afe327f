/**
 * Prometheus's command-line flags, with upstream's names, defaults and mode rules (kingpin in
 * upstream, commander here). Parse errors exit 2 with usage; flags of the wrong mode exit 3 with
 * upstream's exact message.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseDuration, parseSize } from '../src/config/index.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from '../src/log/index.js';
import { type ActorMove, parseActorMoves } from './actor-order.js';

export interface Flags {
  configFile: string;
  webListenAddress: string;
  webEnableLifecycle: boolean;
  webExternalUrl: string | undefined;
  tsdbPath: string;
  tsdbRetentionMs: number;
  tsdbWalSegmentSize: number;
  tsdbMaxBlockChunkSegmentSize: number;
  agentPath: string;
  agentWalSegmentSize: number;
  remoteFlushDeadlineMs: number;
  agent: boolean;
  alertmanagerTimeout: string | undefined;
  logLevel: LogLevel;
  logFormat: LogFormat;
  startupTrace: boolean;
  /** The teaching switch's moves; empty (upstream's add order) unless --debug.actor-order is given. */
  debugActorOrder: ActorMove[];
}

/** Upstream's retention when no retention is given. */
const DEFAULT_RETENTION_MS = 15 * 24 * 3600 * 1000;

/** Flags that only make sense with a TSDB, a rule manager or a notifier (upstream's serverOnlyFlag). */
const SERVER_ONLY = [
  'storage.tsdb.path',
  'storage.tsdb.retention.time',
  'storage.tsdb.wal-segment-size',
  'storage.tsdb.max-block-chunk-segment-size',
  'alertmanager.timeout',
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

function program(version: string): Command {
  return new Command('prometheus')
    .description('The Prometheus monitoring server, in miniature')
    .helpOption('-h, --help', 'Show context-sensitive help.')
    .version(`miniprom, version ${version} (node ${process.version})`, '--version', 'Show application version.')
    .option('--config.file <path>', 'Prometheus configuration file path.', 'prometheus.yml')
    .option('--web.listen-address <address>', 'Address to listen on for UI, API, and telemetry.', '0.0.0.0:9090')
    .option('--web.enable-lifecycle', 'Enable shutdown and reload via HTTP request.', false)
    .option('--web.external-url <url>', 'The URL under which Prometheus is externally reachable.')
    .option('--storage.tsdb.path <path>', 'Base path for metrics storage. Use with server mode only.', 'data/')
    .option(
      '--storage.tsdb.retention.time <duration>',
      '[DEPRECATED] How long to retain samples in storage. If not set, the retention time defaults to 15d. Deprecated as upstream: the storage.tsdb.retention.time field of the config file, when present, takes precedence. Use with server mode only.',
      unit(parseDuration),
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
    .allowExcessArguments(false);
}

/** Parses argv (without node and the script); returns the flags, or the exit code to leave with. */
export function parseFlags(argv: string[], version: string): { flags: Flags } | { exitCode: number } {
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

  const setOnCLI = (names: string[]) => names.filter((n) => cmd.getOptionValueSource(optionKey(n)) === 'cli');
  const misused = agent ? setOnCLI(SERVER_ONLY) : setOnCLI(AGENT_ONLY);
  if (misused.length > 0) {
    // Go's %q of a []string: ["--a" "--b"].
    const list = `[${misused.map((n) => JSON.stringify(`--${n}`)).join(' ')}]`;
    process.stderr.write(
      agent
        ? `The following flag(s) can not be used in agent mode: ${list}\n`
        : `The following flag(s) can only be used in agent mode: ${list}\n`,
    );
    return { exitCode: 3 };
  }

  const retentionTime = o['storage.tsdb.retention.time'] as number | undefined;
  return {
    flags: {
      configFile: o['config.file'] as string,
      webListenAddress: o['web.listenAddress'] as string,
      webEnableLifecycle: o['web.enableLifecycle'] === true,
      webExternalUrl: o['web.externalUrl'] as string | undefined,
      tsdbPath: o['storage.tsdb.path'] as string,
      tsdbRetentionMs: retentionTime ?? DEFAULT_RETENTION_MS,
      tsdbWalSegmentSize: o['storage.tsdb.walSegmentSize'] as number,
      tsdbMaxBlockChunkSegmentSize: o['storage.tsdb.maxBlockChunkSegmentSize'] as number,
      agentPath: o['storage.agent.path'] as string,
      agentWalSegmentSize: o['storage.agent.walSegmentSize'] as number,
      remoteFlushDeadlineMs: o['storage.remote.flushDeadline'] as number,
      agent,
      alertmanagerTimeout: o['alertmanager.timeout'] as string | undefined,
      logLevel: o['log.level'] as LogLevel,
      logFormat: o['log.format'] as LogFormat,
      startupTrace: o['startup.trace'] === true,
      debugActorOrder: (o['debug.actorOrder'] as ActorMove[] | undefined) ?? [],
    },
  };
}

/** commander's key for a flag: dashes camel-cased, dots kept (`web.listen-address` → `web.listenAddress`). */
function optionKey(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
