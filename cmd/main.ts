/**
 * miniprom's main(): Prometheus's cmd/prometheus/main.go, actor by actor. The entry,
 * cmd/prometheus.ts, listens for signals first and imports this module after.
 *
 * Read it beside the real one. It parses flags, checks the mode, loads and validates the config
 * (silently), listens for signals, builds every module, opens the web listener, and then adds the
 * actors to one run group, each block headed as in main.go and in the same ADD order: the order in
 * which they STOP. The order in which they START doing work comes from two latches:
 *   dbOpen      — opened by TSDB / WAL storage once storage is open;
 *   reloadReady — opened once the first configuration is applied (or on early shutdown, so that
 *                 nobody waits for ever).
 * The contract this file implements is docs/contract.md; src/lifecycle holds the machinery
 * (the traced group, the two-phase reload, the signals), so that this file stays a table of
 * contents.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Gauge, Registry } from 'prom-client';
import {
  type Config,
  configToYAML,
  formatDuration,
  formatRetention,
  formatSize,
  loadConfigFile,
  loadConfigFileInWorker,
  parseDuration,
  type TSDBRetentionConfig,
} from '../src/config/index.js';
import { createDiscoveryManager, discoveryConfigOf } from '../src/discovery/index.js';
import { ACTORS, criticalChains, LATCHES, renderTimeline } from '../src/lanes/index.js';
import {
  listenForSignals,
  type Reloader,
  ReloadQueue,
  reloadConfig,
  Timeline,
  TracedGroup,
} from '../src/lifecycle/index.js';
import { createLogger, ownedLogger } from '../src/log/index.js';
import { createNotifier } from '../src/notifier/index.js';
import { PromQLEngine, parseExpr, parseMetricSelector, prettify } from '../src/promql/index.js';
import { applyRelabel } from '../src/relabel/index.js';
import { createRemoteStorage, createRemoteWriteReceiver } from '../src/remote/index.js';
import {
  apiAlertList,
  apiRuleGroups,
  checkRuleFiles,
  createRuleManager,
  engineQueryFunc,
  loadRuleGroups,
  loadRuleGroupsInWorker,
  ruleFilesOf,
  sendAlerts,
} from '../src/rules/index.js';
import { Latch } from '../src/run/index.js';
import { createScrapeManager } from '../src/scrape/index.js';
import {
  fanoutStorage,
  fsType,
  openAgentStorage,
  openTSDB,
  type Queryable,
  ReadyStorage,
  type TSDB,
  type WalReplayStatus,
} from '../src/storage/index.js';
import { compileRegex, type Regex, RegexError } from '../src/regex/index.js';
import { createTracingManager } from '../src/tracing/index.js';
import {
  createWebHandler,
  type PreparedWebConfig,
  prepareWebConfig,
  registerRuntimeMetrics,
  StorageNotReadyError,
} from '../src/web/index.js';
import { applyFeatureList, externalURL, type Features, type Flags, parseFlags, webPaths } from './flags.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * What the entry (cmd/prometheus.ts) caught before this module had loaded: main listens for
 * signals itself, then calls `release()`, which removes the entry's listeners and delivers what
 * they held to main's, as if it arrived just then.
 */
export interface EarlySignals {
  release(): void;
}

/**
 * The testing aids, read once by the entry from the environment (documented in the README):
 * MINIPROM_TEST_STORAGE_OPEN_DELAY (`2s`: storage takes that long to open, abortably, as a slow
 * WAL replay would) and MINIPROM_TEST_RULE_EVAL_HOLD (`1`: the first rule evaluation waits,
 * before its query, until the rule manager is stopped — the shutdown-order demonstration).
 */
export interface TestHooks {
  storageOpenDelay?: string;
  ruleEvalHold?: string;
}

/** What the entry learns of main's progress. */
export interface EntryHooks {
  /** Called once the server is ready (the entry lets V8's code cache be written then). */
  ready?: () => void;
}

export async function main(early: EarlySignals, hooks: TestHooks = {}, entry: EntryHooks = {}): Promise<number> {
  const parsed = parseFlags(process.argv.slice(2), VERSION);
  if ('exitCode' in parsed) return parsed.exitCode;
  const flags: Flags = parsed.flags;
  const agentMode = flags.agent;
  const modeName = agentMode ? 'agent' : 'server';

  // The lifecycle timeline, kept from the start: it also keeps each actor's log lines for the page.
  const timeline = new Timeline();
  const logger = createLogger({
    level: flags.logLevel,
    format: flags.logFormat,
    tap: (actor, level, msg) => timeline.logLine(actor, level, msg),
  });
  const log = logger.child({ source: 'main' });
  /** A logger whose lines the page shows under `actor`; what it writes is unchanged. */
  const moduleLog = (component: string, actor: string) => ownedLogger(logger.child({ component }), actor);

  // As upstream: the feature list is read (and logged) before the mode's flags are checked.
  let features: Features;
  try {
    features = applyFeatureList(flags.featureList, log);
  } catch (err) {
    process.stderr.write(`Error parsing feature list: ${(err as Error).message}\n`);
    return 1;
  }
  if (flags.modeError !== undefined) {
    process.stderr.write(`${flags.modeError}\n`);
    return 3;
  }
  if (flags.alertmanagerTimeout !== undefined) {
    log.warn('The flag --alertmanager.timeout has no effect and will be removed in the future.');
  }
  const testing = readTestHooks(hooks, log);

  // Upstream's compileCORSRegexString: anchored as relabel regexes are, checked before the config.
  let corsOrigin: Regex;
  try {
    corsOrigin = compileRegex(flags.webCorsOrigin);
  } catch (err) {
    const reason = err instanceof RegexError ? err.anchoredMessage : (err as Error).message;
    process.stderr.write(`could not compile CORS regex string ${JSON.stringify(flags.webCorsOrigin)}: ${reason}\n`);
    return 2;
  }

  // Throw error for invalid config before starting other components.
  const configFile = flags.configFile;
  // The retention flag is the default that the config's storage.tsdb.retention overrides, as
  // upstream sets config.DefaultTSDBRetentionConfig from its flags before loading.
  const loadOptions = { agentMode, defaultRetention: { time: flags.tsdbRetentionMs, size: 0, percentage: 0 } };
  let initialConfig: Config;
  try {
    initialConfig = loadConfigFile(configFile, loadOptions);
  } catch (err) {
    log.error({ file: resolve(configFile), err }, `Error loading config (--config.file=${configFile})`);
    return 2;
  }
  if (!agentMode) {
    try {
      checkRuleFiles(initialConfig.ruleFiles);
    } catch (err) {
      log.error(
        { file: resolve(configFile), err },
        `Error loading rule file patterns from config (--config.file="${configFile}")`,
      );
      return 2;
    }
  }

  log.info(
    { mode: modeName, version: VERSION },
    agentMode ? 'Starting Prometheus Agent' : 'Starting Prometheus Server',
  );
  log.info({ host_details: `${process.platform} ${process.arch}`, node: process.version }, 'operational information');

  // Signals: listened for from here on (the entry held what came before), before anything can
  // accept a connection. SIGHUP's reloads queue with POST /-/reload's until the reload handler
  // serves them; what arrived while the modules loaded is delivered now.
  const reloads = new ReloadQueue();
  // Released whichever way main returns (Go's defer): nothing of ours stays installed.
  using signals = listenForSignals({ reloads, logger: log });
  early.release();

  // The registry of our own /metrics.
  const registry = new Registry();
  // Build, process and runtime series under upstream's names; build_info says what buildinfo says.
  registerRuntimeMetrics(registry, {
    version: VERSION,
    revision: '',
    branch: '',
    goversion: `node ${process.version}`,
  });
  const reloadSuccessful = new Gauge({
    name: 'prometheus_config_last_reload_successful',
    help: 'Whether the last configuration reload attempt was successful.',
    registers: [registry],
  });
  const reloadSuccessTime = new Gauge({
    name: 'prometheus_config_last_reload_success_timestamp_seconds',
    help: 'Timestamp of the last successful configuration reload.',
    registers: [registry],
  });
  // As upstream: the config is valid, so the metrics say so, although it is not applied yet.
  reloadSuccessful.set(1);
  reloadSuccessTime.set(Date.now() / 1000);

  timeline.subscribe(({ t, event, ...fields }) => logger.debug({ ...fields, t }, event));

  // The modules, built before the group runs; each gets a logger, the registry and, from main,
  // the other modules' ends it needs (discovery's channels, the storage handle).
  const storageActor = agentMode ? ACTORS.walStorage : ACTORS.tsdb;
  const localStorage = new ReadyStorage();
  const remoteStorage = createRemoteStorage({
    logger: moduleLog('remote', storageActor.name),
    registry,
    flushDeadline: flags.remoteFlushDeadlineMs,
    userAgent: `miniprom/${VERSION}`,
  });
  // What scrapes, rule evaluations and the remote write receiver append to: local storage, then
  // remote write.
  const fanout = fanoutStorage(localStorage, remoteStorage);
  const discoveryManagerScrape = createDiscoveryManager({
    name: 'scrape',
    logger: moduleLog('discovery manager scrape', ACTORS.scrapeDiscovery.name),
    registry,
  });
  const discoveryManagerNotify = createDiscoveryManager({
    name: 'notify',
    logger: moduleLog('discovery manager notify', ACTORS.notifyDiscovery.name),
    registry,
  });
  const scrapeManager = createScrapeManager({
    logger: moduleLog('scrape manager', ACTORS.scrapeManager.name),
    registry,
    appendable: fanout,
    userAgent: `miniprom/${VERSION}`,
    // main wires relabeling in, as it wires discovery: the scrape module imports neither.
    relabel: applyRelabel,
  });
  const notifierManager = createNotifier({
    logger: moduleLog('notifier', ACTORS.notifier.name),
    registry,
    queueCapacity: flags.notificationQueueCapacity,
    maxBatchSize: flags.notificationBatchSize,
    drainOnShutdown: flags.drainNotificationQueue,
  });
  // The query engine (server mode only, as upstream's promql.NewEngine), made from the query
  // flags. A subquery without a step uses the global evaluation interval, as upstream's
  // noStepSubqueryInterval; the engine reads it once, here, where upstream re-reads it on reload.
  const queryEngine = agentMode
    ? undefined
    : new PromQLEngine({
        logger: logger.child({ component: 'query engine' }),
        registry,
        lookbackDeltaMs: flags.queryLookbackDeltaMs,
        timeoutMs: flags.queryTimeoutMs,
        maxSamples: flags.queryMaxSamples,
        maxConcurrency: flags.queryMaxConcurrency,
        enableExperimentalFunctions: features.experimentalFunctions,
        enableDelayedNameRemoval: features.delayedNameRemoval,
        noStepSubqueryIntervalMs: initialConfig.global.evaluationInterval,
      });
  // What queries read: the TSDB once it is open, as upstream's readyStorage. Before that (and in
  // agent mode, which has no TSDB to query) a querier is refused as "TSDB not ready", which the
  // API answers as unavailable; the web handler's readiness keeps queries away until then anyway.
  let openedTSDB: TSDB | undefined;
  const queryStorage: Queryable = {
    querier(mint, maxt) {
      if (!openedTSDB) throw new StorageNotReadyError();
      return openedTSDB.querier(mint, maxt);
    },
  };
  // The rule manager, wired as upstream's main wires it: it queries through the engine, appends to
  // the fanout (so remote write sends recording rules' samples and ALERTS too), restores `for`
  // state from local storage, and hands its alerts to the notifier through rules.SendAlerts. The
  // rule manager never imports the notifier.
  const ruleExternalURL = externalURL(flags);
  const ruleManager = queryEngine
    ? createRuleManager({
        logger: moduleLog('rule manager', ACTORS.ruleManager.name),
        registry,
        query: engineQueryFunc(queryEngine, queryStorage),
        appendable: fanout,
        queryable: queryStorage,
        notify: sendAlerts((alerts) => notifierManager.send(alerts), ruleExternalURL),
        externalURL: ruleExternalURL,
        outageToleranceMs: flags.rulesAlertForOutageToleranceMs,
        forGracePeriodMs: flags.rulesAlertForGracePeriodMs,
        resendDelayMs: flags.rulesAlertResendDelayMs,
        holdEvaluation: testing.ruleEvalHold,
        // The first load runs before anything but health is served, and reads the rule files on
        // this thread; a reload (once reloadReady, below, is open) reads them in a worker thread,
        // so that ten thousand rules do not hold the server while it serves — unless they are
        // too few to be worth a worker's start.
        load: (patterns) =>
          reloadReady.isOpen && !smallFiles(ruleFilesOf(patterns))
            ? loadRuleGroupsInWorker(patterns)
            : loadRuleGroups(patterns),
      })
    : undefined;
  const tracingManager = createTracingManager({ logger: moduleLog('tracing', ACTORS.tracingManager.name) });
  let runningConfig = initialConfig;
  // The TSDB's WAL replay progress, told by the storage as it opens (/api/v1/status/walreplay).
  let walReplay: WalReplayStatus = { min: 0, max: 0, current: 0 };
  // Upstream's toolkit_web.Validate, before anything is served: a web config that would not
  // protect the server stops it. (Upstream checks it just after opening the listener; the
  // listener here needs its TLS settings to open.)
  let webConfig: PreparedWebConfig | undefined;
  if (flags.webConfigFile !== '') {
    try {
      webConfig = await prepareWebConfig(flags.webConfigFile);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'Unable to validate web configuration file');
      return 1;
    }
  }
  const webHandler = createWebHandler({
    webConfig,
    corsOrigin,
    enableAdminApi: flags.webEnableAdminApi,
    // Every route under the route prefix; upstream's redirects point under the external URL's path.
    ...webPaths(flags),
    logger: moduleLog('web', ACTORS.webHandler.name),
    registry,
    listenAddress: flags.webListenAddress,
    enableLifecycle: flags.webEnableLifecycle,
    readTimeoutMs: flags.webReadTimeoutMs,
    maxConnections: flags.webMaxConnections,
    mode: modeName,
    version: VERSION,
    reloads,
    sources: {
      targets: () => scrapeManager.targets(),
      // The pools are the running config's jobs: the scrape manager makes one per job as it applies it.
      scrapePools: () => runningConfig.scrapeConfigs.map((sc) => sc.jobName),
      alertmanagers: () => ({
        activeAlertmanagers: notifierManager.alertmanagers(),
        droppedAlertmanagers: notifierManager.droppedAlertmanagers(),
      }),
      rules: () => (ruleManager ? apiRuleGroups(ruleManager) : []),
      alerts: () => (ruleManager ? apiAlertList(ruleManager) : { alerts: [] }),
      configYAML: () => configToYAML(runningConfig),
      lifecycle: () => ({
        mode: modeName,
        actors: timeline.actors,
        events: timeline.events,
        logs: timeline.logs,
        chains: criticalChains(timeline.actors, timeline.events),
        reloadsOmitted: timeline.reloadsOmitted,
      }),
      onLifecycleChange: (listener) => timeline.onChange(listener),
    },
    api: {
      // The parser as --enable-feature configures it; format_query and match[] use it too.
      parser: {
        parseExpr: (query) => parseExpr(query, { experimentalFunctions: features.experimentalFunctions }),
        prettify,
        parseMetricSelector,
      },
      engine: queryEngine,
      queryable: queryStorage,
      lookbackDeltaMs: flags.queryLookbackDeltaMs,
      externalLabels: () => runningConfig.global.externalLabels,
      targetMetadata: () => scrapeManager.metadata().map(({ target, metadata }) => ({ labels: target, metadata })),
      tsdbStats: (limit) => {
        if (!openedTSDB) throw new StorageNotReadyError();
        const { headStats, ...tables } = openedTSDB.status(limit);
        return { ...headStats, ...tables };
      },
      flags: flags.values,
      walReplayStatus: agentMode ? undefined : () => walReplay,
      // The TSDB admin API acts on the open TSDB (--web.enable-admin-api decides whether it may).
      admin: () => {
        if (!openedTSDB) throw new StorageNotReadyError();
        const tsdb = openedTSDB;
        return {
          dataDir: flags.tsdbPath,
          deleteSeries: (matchers, mint, maxt) => tsdb.deleteSeries(matchers, mint, maxt),
          cleanTombstones: () => tsdb.cleanTombstones(),
          snapshot: (dir, withHead) => tsdb.snapshot(dir, withHead),
        };
      },
      storageRetention: () => (agentMode ? '' : formatRetention(runningConfig.storage.tsdb.retention)),
      // As upstream, the receiver appends where scrapes do (local storage, then remote write), in
      // agent mode too.
      remoteWrite: flags.webEnableRemoteWriteReceiver
        ? createRemoteWriteReceiver({ appendable: fanout, logger: moduleLog('web', ACTORS.webHandler.name), registry })
        : undefined,
    },
  });

  // The reloaders, in upstream's order. Each first prepares (and may fail); only when all have
  // prepared do all commit, in the same order: a failed reload changes nothing (deviation).
  // Upstream's db_storage reloader logs the retention whenever it differs from the last applied
  // one, so also once at startup; the agent has no retention.
  let lastRetention: TSDBRetentionConfig | undefined;
  const logRetention = (cfg: Config) => {
    const { retention } = cfg.storage.tsdb;
    if (agentMode || isDeepStrictEqual(retention, lastRetention)) return;
    log.info(
      { duration: formatDuration(retention.time), size: formatSize(retention.size), percentage: retention.percentage },
      'TSDB retention updated',
    );
    lastRetention = retention;
  };
  const reloaders: Array<Reloader<Config>> = [
    // The config's `storage` section: the TSDB takes a new retention time at runtime, and refuses
    // what it cannot honour (an out-of-order window, xor2 chunks, size retention).
    {
      name: 'db_storage',
      prepare: (cfg) => {
        const apply = localStorage.prepareConfig(cfg.storage);
        return () => {
          apply();
          logRetention(cfg);
        };
      },
    },
    // remote_write queues start, stay or stop; external labels changing restarts them all.
    { name: 'remote_storage', prepare: (cfg) => remoteStorage.prepare(cfg) },
    {
      name: 'web_handler',
      prepare: (cfg) => () => {
        runningConfig = cfg;
      },
    },
    // Upstream's query engine reloader sets its query log file, which miniprom does not have.
    { name: 'query_engine', prepare: () => () => {} },
    { name: 'scrape', prepare: (cfg) => scrapeManager.prepare(cfg) },
    {
      name: 'scrape_sd',
      prepare: (cfg) =>
        discoveryManagerScrape.prepare(new Map(cfg.scrapeConfigs.map((sc) => [sc.jobName, discoveryConfigOf(sc)]))),
    },
    { name: 'notify', prepare: (cfg) => notifierManager.prepare(cfg) },
    {
      name: 'notify_sd',
      prepare: (cfg) =>
        discoveryManagerNotify.prepare(
          new Map(cfg.alerting.alertmanagers.map((am, i) => [`config-${i}`, discoveryConfigOf(am)])),
        ),
    },
    ...(ruleManager ? [{ name: 'rules', prepare: (cfg: Config) => ruleManager.prepare(cfg) }] : []),
    { name: 'tracing', prepare: (cfg) => tracingManager.prepare(cfg) },
  ];
  /**
   * Loads the config file and applies it; `actorLog` is the calling actor's, so its lines show
   * there. A reload loads a large file in a worker thread, so that it does not hold the server;
   * the first load runs before anything but health is served, and does not wait for a worker.
   */
  const applyConfigFile = async (actorLog: typeof log, first: boolean) => {
    await reloadConfig({
      file: configFile,
      load: () =>
        first || smallFiles([configFile])
          ? loadConfigFile(configFile, loadOptions)
          : loadConfigFileInWorker(configFile, loadOptions),
      reloaders,
      logger: actorLog,
      timeline,
      onOutcome: (ok) => {
        reloadSuccessful.set(ok ? 1 : 0);
        if (ok) reloadSuccessTime.set(Date.now() / 1000);
      },
    });
  };

  // Listen before the group runs, as upstream: a busy port is a startup error, not a late failure.
  try {
    await webHandler.listen();
  } catch (err) {
    log.error({ err }, 'Unable to start web listener');
    return 1;
  }

  const dbOpen = new Latch();
  const reloadReady = new Latch();
  const openLatch = (latch: Latch, name: string) => {
    if (latch.isOpen) return;
    latch.open();
    timeline.latch(name, 'opened');
  };
  const beginShutdown = () => {
    signals.shuttingDown();
    reloads.close('Prometheus is shutting down; reload not performed.');
  };

  // The run group. Each block adds one actor under its name (src/lanes' ACTORS, with the reason
  // for its place); --debug.actor-order, the teaching switch, reorders them when the group runs.
  const g = new TracedGroup({
    timeline,
    moves: flags.debugActorOrder,
    onInterruptError: (err, actor) => log.error({ err, actor }, 'Error while stopping an actor'),
  });
  /** Each block logs through its own logger: the page shows those lines under the actor's lane. */
  const actorLog = (actor: { name: string }) => ownedLogger(log, actor.name);

  {
    // Termination handler.
    // Added first so that its interrupt runs first: the web handler reports "Stopping" from the
    // very first moment of shutdown, and no reload is started against stopping modules.
    const log = actorLog(ACTORS.terminationHandler);
    g.add(
      ACTORS.terminationHandler,
      async ({ running, cancelled }) => {
        running();
        const quit = webHandler.quitRequested.then(() => 'quit' as const);
        const outcome = await Promise.race([signals.term.next(cancelled), quit]);
        if (outcome === 'quit') {
          log.warn('Received termination request via web service, exiting gracefully...');
        } else if (outcome !== undefined) {
          log.warn({ signal: outcome }, 'Received an OS signal, exiting gracefully...');
        }
        // Shutdown has begun: refuse reloads before releasing reloadReady, or the reload handler
        // would wake up and run a waiting reload against modules about to stop.
        beginShutdown();
        // Release reloadReady so that actors still waiting for it return (deviation: upstream
        // does not on /-/quit, and can hang when quit arrives while storage opens).
        openLatch(reloadReady, LATCHES.reloadReady);
      },
      (_err, { cancel }) => {
        beginShutdown();
        cancel();
        webHandler.setReadiness('Stopping');
      },
    );
  }
  {
    // Scrape discovery manager.
    // Stops first among the workers: no new targets are fed to a scrape manager about to stop.
    const log = actorLog(ACTORS.scrapeDiscovery);
    g.add(
      ACTORS.scrapeDiscovery,
      async ({ running, cancelled }) => {
        running();
        await discoveryManagerScrape.run(cancelled);
        log.info('Scrape discovery manager stopped');
      },
      (_err, { cancel }) => {
        log.info('Stopping scrape discovery manager...');
        cancel();
      },
    );
  }
  {
    // Notify discovery manager.
    // Stops early too: the list of Alertmanagers stays as it is while the notifier, stopping last,
    // drains its queue to them.
    const log = actorLog(ACTORS.notifyDiscovery);
    g.add(
      ACTORS.notifyDiscovery,
      async ({ running, cancelled }) => {
        running();
        await discoveryManagerNotify.run(cancelled);
        log.info('Notify discovery manager stopped');
      },
      (_err, { cancel }) => {
        log.info('Stopping notify discovery manager...');
        cancel();
      },
    );
  }
  if (ruleManager) {
    // Rule manager.
    // Stops before the scrape manager and storage (it writes samples) and before the notifier
    // (it produces alerts), so that its last evaluation's output has somewhere to go.
    const log = actorLog(ACTORS.ruleManager);
    g.add(
      ACTORS.ruleManager,
      async ({ gate }) => {
        if (await gate(reloadReady, LATCHES.reloadReady)) await ruleManager.run();
        log.info('Rule manager stopped');
      },
      async (_err, { cancel }) => {
        cancel();
        await ruleManager.stop();
      },
    );
  }
  {
    // Scrape manager.
    // Its interrupt waits until every scrape loop has stopped: storage closes after it, and a
    // scrape must never write into closed storage.
    const log = actorLog(ACTORS.scrapeManager);
    g.add(
      ACTORS.scrapeManager,
      async ({ gate }) => {
        // Targets must not be scraped before the initial config is applied: the scrape pools
        // exist only from then on, and they write into storage that is open by then.
        if (await gate(reloadReady, LATCHES.reloadReady)) await scrapeManager.run(discoveryManagerScrape.syncCh);
        log.info('Scrape manager stopped');
      },
      async (_err, { cancel }) => {
        log.info('Stopping scrape manager...');
        cancel();
        await scrapeManager.stop();
      },
    );
  }
  // biome-ignore lint/complexity/noUselessLoneBlockStatements: one block per actor, as in main.go
  {
    // Tracing manager.
    // Stops after the modules whose work it would trace; it only has to let go of its exporter.
    g.add(
      ACTORS.tracingManager,
      async ({ gate }) => {
        if (await gate(reloadReady, LATCHES.reloadReady)) await tracingManager.run();
      },
      async (_err, { cancel }) => {
        cancel();
        await tracingManager.stop();
      },
    );
  }
  {
    // Reload handler.
    // Make sure that sighup handler is registered with a redirect to the channel before the
    // potentially long and synchronous tsdb init (upstream's comment): here the listener was
    // installed above and requests queue in `reloads` until this loop serves them. Its interrupt
    // lets a reload in progress finish, so no reload runs against stopped modules.
    const log = actorLog(ACTORS.reloadHandler);
    let inProgress: Promise<unknown> = Promise.resolve();
    g.add(
      ACTORS.reloadHandler,
      async ({ gate, cancelled }) => {
        if (!(await gate(reloadReady, LATCHES.reloadReady))) return;
        for (;;) {
          const request = await reloads.next(cancelled);
          if (!request) return;
          const reload = applyConfigFile(log, false).then(
            () => request.settle({ ok: true }),
            (err: unknown) => {
              log.error({ err }, 'Error reloading config');
              request.settle({ ok: false, status: 500, message: (err as Error).message });
            },
          );
          inProgress = reload;
          await reload;
        }
      },
      async (_err, { cancel }) => {
        await inProgress;
        cancel();
      },
    );
  }
  {
    // Initial configuration.
    // Waits for storage: reloaders start the scrape and rule managers, which write into it. Once
    // the config is applied it has nothing left to stop, so its place in the order does not matter.
    const log = actorLog(ACTORS.initialConfiguration);
    g.add(
      ACTORS.initialConfiguration,
      async ({ gate, untilCancelled }) => {
        if (!(await gate(dbOpen, LATCHES.dbOpen))) {
          openLatch(reloadReady, LATCHES.reloadReady);
          return;
        }
        try {
          await applyConfigFile(log, true);
        } catch (err) {
          throw new Error(`error loading config from "${configFile}": ${(err as Error).message}`);
        }
        openLatch(reloadReady, LATCHES.reloadReady);
        if (webHandler.readiness !== 'Stopping') {
          webHandler.setReadiness('Ready');
          log.info('Server is ready to receive web requests.');
          entry.ready?.();
        }
        await untilCancelled();
      },
      (_err, { cancel }) => cancel(),
    );
  }
  {
    // TSDB (server) or WAL storage (agent).
    // Its interrupt comes after the scrape and rule managers' (they write into it) and closes
    // storage, flushing the WAL, before cancelling its execute.
    const log = actorLog(storageActor);
    g.add(
      storageActor,
      async ({ running, cancelled, untilCancelled }) => {
        log.info(agentMode ? 'Starting WAL storage ...' : 'Starting TSDB ...');
        const walSegmentSize = agentMode ? flags.agentWalSegmentSize : flags.tsdbWalSegmentSize;
        if (walSegmentSize !== 0 && (walSegmentSize < 10 * 2 ** 20 || walSegmentSize > 256 * 2 ** 20)) {
          const flag = agentMode ? 'storage.agent.wal-segment-size' : 'storage.tsdb.wal-segment-size';
          throw new Error(`flag '${flag}' must be set between 10MB and 256MB`);
        }
        if (!agentMode && flags.tsdbMaxBlockChunkSegmentSize !== 0 && flags.tsdbMaxBlockChunkSegmentSize < 2 ** 20) {
          throw new Error("flag 'storage.tsdb.max-block-chunk-segment-size' must be set over 1MB");
        }
        running();
        const dir = agentMode ? flags.agentPath : flags.tsdbPath;
        const common = {
          dir,
          walSegmentSize,
          logger: moduleLog(agentMode ? 'agent' : 'tsdb', storageActor.name),
          registry,
          signal: cancelled,
          openDelayMs: testing.storageOpenDelayMs,
          onWalReplay: (status: WalReplayStatus) => {
            walReplay = status;
          },
        };
        let storage: Awaited<ReturnType<typeof openTSDB>> | Awaited<ReturnType<typeof openAgentStorage>>;
        try {
          storage = agentMode
            ? await openAgentStorage(common)
            : // Upstream opens its TSDB with the first config's retention, flags as the default.
              await openTSDB({ ...common, retentionMs: initialConfig.storage.tsdb.retention.time });
        } catch (err) {
          if (cancelled.aborted) return; // shutdown during open: not an error
          throw new Error(`opening storage failed: ${(err as Error).message}`);
        }
        if (cancelled.aborted) {
          // Opened just as shutdown began: close it again rather than leave the lock behind.
          await storage.close();
          return;
        }
        const fs = fsType(dir);
        if (fs === 'NFS_SUPER_MAGIC') {
          log.warn(
            { fs_type: fs },
            'This filesystem is not supported and may lead to data corruption and data loss. Please carefully read https://prometheus.io/docs/prometheus/latest/storage/ to learn more about supported filesystems.',
          );
        } else log.info({ fs_type: fs }, 'filesystem information');
        log.info(agentMode ? 'Agent WAL storage started' : 'TSDB started');
        localStorage.set(storage);
        if (!agentMode) openedTSDB = storage as TSDB;
        openLatch(dbOpen, LATCHES.dbOpen);
        await untilCancelled();
      },
      async (_err, { cancel }) => {
        try {
          // Local storage closes first, then remote write flushes its queues (up to
          // --storage.remote.flush-deadline): upstream's fanoutStorage.Close().
          await fanout.close();
        } catch (err) {
          log.error({ err }, 'Error stopping storage');
        }
        cancel();
      },
    );
  }
  {
    // Web handler.
    // Stops late, so /-/ready answers "Stopping" and /metrics stays scrapeable while the modules
    // that do the work shut down.
    const log = actorLog(ACTORS.webHandler);
    g.add(
      ACTORS.webHandler,
      async ({ running, cancelled }) => {
        running();
        await webHandler.run(cancelled);
        log.info('Web handler stopped');
      },
      async (_err, { cancel }) => {
        log.info('Stopping web handler...');
        cancel();
        await webHandler.close();
      },
    );
  }
  {
    // Notifier.
    // Stops last: the rule manager has stopped by now, so the alerts of its final evaluation are
    // already queued and get sent (or dropped) here, not lost.
    const log = actorLog(ACTORS.notifier);
    g.add(
      ACTORS.notifier,
      async ({ gate }) => {
        if (await gate(reloadReady, LATCHES.reloadReady)) await notifierManager.run(discoveryManagerNotify.syncCh);
        log.info('Notifier manager stopped');
      },
      async (_err, { cancel }) => {
        log.info('Stopping notifier manager...');
        cancel();
        await notifierManager.stop();
      },
    );
  }

  if (flags.debugActorOrder.length > 0) {
    let order: string[];
    try {
      order = g.order();
    } catch (err) {
      log.error({ err }, 'Invalid --debug.actor-order');
      await webHandler.close();
      return 2;
    }
    log.warn(
      { order: order.join(', ') },
      "Actors added in a debugging order (--debug.actor-order): shutdown no longer follows upstream's order",
    );
  }

  const err = await g.run();
  if (flags.startupTrace) {
    process.stderr.write(
      `\n${renderTimeline(timeline.actors, timeline.events)}\n${criticalChains(timeline.actors, timeline.events)}\n`,
    );
  }
  if (err !== undefined) {
    log.error({ err }, 'Fatal error');
    return 1;
  }
  log.info('See you next time!');
  return 0;
}

/** The testing aids as main uses them; a value that does not read is warned about and ignored. */
/**
 * Config and rule files up to this size in all load on the main thread even on a reload: they
 * parse in a few milliseconds, and a worker thread takes tens of milliseconds to start (reloading
 * an unchanged small config took 0.5 s through two workers, where Prometheus takes 2 ms).
 */
const SMALL_FILES_BYTES = 8 * 1024;

/**
 * Whether `files` are small enough to load on this thread. A file that cannot be read counts as
 * small: loading it here gives the same error a worker would.
 */
function smallFiles(files: readonly string[]): boolean {
  let bytes = 0;
  for (const file of files) {
    try {
      bytes += statSync(file).size;
    } catch {
      return true;
    }
  }
  return bytes <= SMALL_FILES_BYTES;
}

function readTestHooks(
  hooks: TestHooks,
  log: { warn: (obj: object, msg: string) => void },
): { storageOpenDelayMs?: number; ruleEvalHold?: number } {
  const out: { storageOpenDelayMs?: number; ruleEvalHold?: number } = {};
  if (hooks.storageOpenDelay) {
    try {
      out.storageOpenDelayMs = parseDuration(hooks.storageOpenDelay);
    } catch (err) {
      log.warn({ value: hooks.storageOpenDelay, err }, 'MINIPROM_TEST_STORAGE_OPEN_DELAY is not a duration; ignored');
    }
  }
  if (hooks.ruleEvalHold) {
    if (/^[1-9]\d*$/.test(hooks.ruleEvalHold)) out.ruleEvalHold = Number(hooks.ruleEvalHold);
    else {
      log.warn(
        { value: hooks.ruleEvalHold },
        'MINIPROM_TEST_RULE_EVAL_HOLD must be a positive whole number (the n-th rule evaluation to hold); ignored',
      );
    }
  }
  return out;
}
