/**
 * miniprom's main(): Prometheus's cmd/prometheus/main.go, actor by actor. The entry,
 * cmd/prometheus.ts, installs the signal listeners first and imports this module after them.
 *
 * Read it beside the real one. It parses flags, checks the mode, loads and validates the config
 * (silently), installs the signal listeners, builds every module, opens the web listener, and then
 * adds the actors to one run group, each block headed as in main.go and in the same ADD order:
 * the order in which they STOP. The order in which they START doing work comes from two latches:
 *   dbOpen      — opened by TSDB / WAL storage once storage is open;
 *   reloadReady — opened once the first configuration is applied (or on early shutdown, so that
 *                 nobody waits for ever).
 * The contract this file implements is docs/contract.md.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { Gauge, Registry } from 'prom-client';
import {
  type Config,
  configToYAML,
  formatDuration,
  formatSize,
  loadConfigFile,
  loadConfigFileInWorker,
  type TSDBRetentionConfig,
} from '../src/config/index.js';
import { createDiscoveryManager, type DiscoveryConfig } from '../src/discovery/index.js';
import { criticalChains, renderTimeline } from '../src/lanes/index.js';
import { createLogger, type Logger, ownedLogger } from '../src/log/index.js';
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
  sendAlerts,
} from '../src/rules/index.js';
import { Group, Latch, SignalChannel, Timeline, waitOrAbort } from '../src/run/index.js';
import { createScrapeManager } from '../src/scrape/index.js';
import {
  fanoutStorage,
  fsType,
  openAgentStorage,
  openTSDB,
  type Queryable,
  ReadyStorage,
  type TSDB,
} from '../src/storage/index.js';
import { createTracingManager } from '../src/tracing/index.js';
import { createWebHandler, ReloadQueue, StorageNotReadyError } from '../src/web/index.js';
import { applyActorMoves } from './actor-order.js';
import { applyFeatureList, externalURL, type Features, type Flags, parseFlags } from './flags.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * What the entry (cmd/prometheus.ts) caught before this module had loaded: main installs its own
 * signal listeners, then calls `release()`, which removes the entry's and delivers what they held
 * to main's, as if it arrived just then.
 */
export interface EarlySignals {
  release(): void;
}

export async function main(early: EarlySignals): Promise<number> {
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

  // Signals: listened for from here on, before anything can accept a connection, because on Node
  // a signal with no listener kills the process. What arrives early waits in one-slot buffers.
  const term = new SignalChannel(['SIGINT', 'SIGTERM']);
  const reloads = new ReloadQueue();
  let shuttingDown = false;
  let hupQueued = false;
  const onHup = () => {
    // Like Go's `make(chan os.Signal, 1)`: while one SIGHUP waits to be served, more are dropped.
    if (hupQueued) return;
    hupQueued = true;
    void reloads.request().then(() => {
      hupQueued = false;
    });
  };
  // (deviation) A second SIGINT/SIGTERM during shutdown ends the process at once: a stuck
  // shutdown must be escapable.
  const onSecondSignal = (sig: NodeJS.Signals) => {
    if (!shuttingDown) return;
    log.error({ signal: sig }, 'Received a second signal while shutting down, exiting now');
    process.exit(1);
  };
  process.on('SIGHUP', onHup);
  process.on('SIGINT', onSecondSignal);
  process.on('SIGTERM', onSecondSignal);
  // What arrived while the modules loaded comes in now, to the listeners above.
  early.release();
  const releaseSignals = () => {
    term.stop();
    process.off('SIGHUP', onHup);
    process.off('SIGINT', onSecondSignal);
    process.off('SIGTERM', onSecondSignal);
  };

  try {
    return await runServer(flags, features, agentMode, modeName, logger, log, timeline, term, reloads, () => {
      shuttingDown = true;
    });
  } finally {
    releaseSignals();
  }
}

async function runServer(
  flags: Flags,
  features: Features,
  agentMode: boolean,
  modeName: 'server' | 'agent',
  logger: Logger,
  log: Logger,
  timeline: Timeline,
  term: SignalChannel,
  reloads: ReloadQueue,
  markShuttingDown: () => void,
): Promise<number> {
  /** Loggers whose lines the page shows under `actor`; what they write is unchanged. */
  const actorLog = (actor: string) => ownedLogger(log, actor);
  const moduleLog = (component: string, actor: string) => ownedLogger(logger.child({ component }), actor);
  if (flags.alertmanagerTimeout !== undefined) {
    log.warn('The flag --alertmanager.timeout has no effect and will be removed in the future.');
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

  // The registry of our own /metrics.
  const registry = new Registry();
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
  const localStorage = new ReadyStorage();
  const remoteStorage = createRemoteStorage({
    logger: moduleLog('remote', agentMode ? 'WAL storage' : 'TSDB'),
    registry,
    flushDeadline: flags.remoteFlushDeadlineMs,
    userAgent: `miniprom/${VERSION}`,
  });
  // What scrapes (and, later, rule evaluations) append to: local storage, then remote write.
  const fanout = fanoutStorage(localStorage, remoteStorage);
  const discoveryManagerScrape = createDiscoveryManager({
    name: 'scrape',
    logger: moduleLog('discovery manager scrape', 'Scrape discovery manager'),
    registry,
  });
  const discoveryManagerNotify = createDiscoveryManager({
    name: 'notify',
    logger: moduleLog('discovery manager notify', 'Notify discovery manager'),
    registry,
  });
  const scrapeManager = createScrapeManager({
    logger: moduleLog('scrape manager', 'Scrape manager'),
    registry,
    appendable: fanout,
    userAgent: `miniprom/${VERSION}`,
    // main wires relabeling in, as it wires discovery: the scrape module imports neither.
    relabel: applyRelabel,
  });
  const notifierManager = createNotifier({
    logger: moduleLog('notifier', 'Notifier'),
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
        logger: moduleLog('rule manager', 'Rule manager'),
        registry,
        query: engineQueryFunc(queryEngine, queryStorage),
        appendable: fanout,
        queryable: queryStorage,
        notify: sendAlerts((alerts) => notifierManager.send(alerts), ruleExternalURL),
        externalURL: ruleExternalURL,
        outageToleranceMs: flags.rulesAlertForOutageToleranceMs,
        forGracePeriodMs: flags.rulesAlertForGracePeriodMs,
        resendDelayMs: flags.rulesAlertResendDelayMs,
        holdEvaluation: testingRuleEvalHold(log),
      })
    : undefined;
  const tracingManager = createTracingManager({ logger: moduleLog('tracing', 'Tracing manager') });
  let runningConfig = initialConfig;
  const webHandler = createWebHandler({
    logger: moduleLog('web', 'Web handler'),
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
      storageRetention: () => (agentMode ? '' : retentionText(runningConfig.storage.tsdb.retention)),
      // As upstream, the receiver appends where scrapes do (local storage, then remote write), in
      // agent mode too.
      remoteWrite: flags.webEnableRemoteWriteReceiver
        ? createRemoteWriteReceiver({
            appendable: fanout,
            logger: moduleLog('web', 'Web handler'),
            registry,
          })
        : undefined,
    },
  });

  // The reloaders, in upstream's order. Each first prepares (and may fail), then, only when all
  // prepared cleanly, all commit in the same order: a failed reload changes nothing (deviation).
  type Reloader = { name: string; prepare: (cfg: Config) => () => void };
  const noop = () => () => {};
  // Upstream's db_storage reloader logs the retention whenever it differs from the last applied
  // one, so also once at startup; the agent has no retention.
  let lastRetention: TSDBRetentionConfig | undefined;
  const retentionLogged = (cfg: Config, apply: () => void) => () => {
    apply();
    const { retention } = cfg.storage.tsdb;
    if (agentMode || isDeepStrictEqual(retention, lastRetention)) return;
    log.info(
      { duration: formatDuration(retention.time), size: formatSize(retention.size), percentage: retention.percentage },
      'TSDB retention updated',
    );
    lastRetention = retention;
  };
  const reloaders: Reloader[] = [
    // The config's `storage` section: the TSDB takes a new retention time at runtime, and refuses
    // what it cannot honour (an out-of-order window, xor2 chunks, size retention).
    { name: 'db_storage', prepare: (cfg) => retentionLogged(cfg, localStorage.prepareConfig(cfg.storage)) },
    // remote_write queues start, stay or stop; external labels changing restarts them all.
    { name: 'remote_storage', prepare: (cfg) => remoteStorage.prepare(cfg) },
    {
      name: 'web_handler',
      prepare: (cfg) => () => {
        runningConfig = cfg;
      },
    },
    // The query engine's settings (query log): applied once PromQL lands.
    { name: 'query_engine', prepare: noop },
    { name: 'scrape', prepare: (cfg) => scrapeManager.prepare(cfg) },
    {
      name: 'scrape_sd',
      prepare: (cfg) =>
        discoveryManagerScrape.prepare(new Map(cfg.scrapeConfigs.map((sc) => [sc.jobName, sdConfig(sc)]))),
    },
    { name: 'notify', prepare: (cfg) => notifierManager.prepare(cfg) },
    {
      name: 'notify_sd',
      prepare: (cfg) =>
        discoveryManagerNotify.prepare(
          new Map(cfg.alerting.alertmanagers.map((am, i) => [`config-${i}`, sdConfig(am)])),
        ),
    },
    ...(ruleManager ? [{ name: 'rules', prepare: (cfg: Config) => ruleManager.prepare(cfg) }] : []),
    { name: 'tracing', prepare: (cfg) => tracingManager.prepare(cfg) },
  ];

  /**
   * Loads the config file and applies it; `log` is the calling actor's, so its lines show there.
   * A reload loads the file in a worker thread, so a large file does not hold the server; the
   * first load (`offThread` false) runs before anything but health is served, and does not wait
   * for a worker to start.
   */
  async function reloadConfig(log: Logger, offThread = true): Promise<void> {
    const start = performance.now();
    timeline.reload('reload started');
    log.info({ filename: configFile }, 'Loading configuration file');
    const fail = (err: unknown, result: string): never => {
      reloadSuccessful.set(0);
      timeline.reload('reload finished', { result: 'failure', error: result });
      throw err;
    };
    let cfg: Config;
    try {
      cfg = offThread ? await loadConfigFileInWorker(configFile, loadOptions) : loadConfigFile(configFile, loadOptions);
    } catch (err) {
      const msg = `couldn't load configuration (--config.file="${configFile}"): ${(err as Error).message}`;
      return fail(new Error(msg), msg);
    }
    const timings: Record<string, number> = {};
    const commits: Array<() => void> = [];
    for (const reloader of reloaders) {
      const t0 = performance.now();
      try {
        commits.push(reloader.prepare(cfg));
      } catch (err) {
        log.error({ reloader: reloader.name, err }, 'Failed to apply configuration');
        const msg = `one or more errors occurred while applying the new configuration (--config.file="${configFile}")`;
        return fail(new Error(msg), `${msg}: ${(err as Error).message}`);
      }
      timings[reloader.name] = performance.now() - t0;
    }
    reloaders.forEach((reloader, i) => {
      const t0 = performance.now();
      commits[i]?.();
      timings[reloader.name] = (timings[reloader.name] ?? 0) + performance.now() - t0;
    });
    reloadSuccessful.set(1);
    reloadSuccessTime.set(Date.now() / 1000);
    const total = performance.now() - start;
    timeline.reload('reload finished', {
      result: 'success',
      totalMs: round(total),
      timingsMs: mapValues(timings, round),
    });
    log.info(
      { file: configFile, totalDuration: goDuration(total), ...mapValues(timings, goDuration) },
      'Completed loading of configuration file',
    );
  }

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

  const g = new Group({ onInterruptError: (err) => log.error({ err }, 'Error while stopping an actor') });
  /** The actors in the order the blocks below add them; they join the group just before it runs. */
  const actors: Array<{ name: string; execute: () => Promise<void>; interrupt: (err: unknown) => Promise<void> }> = [];
  /** Adds an actor under its name, recording its life on the timeline. */
  const add = (name: string, execute: () => Promise<void>, interrupt: (err: unknown) => Promise<void> | void) => {
    actors.push({
      name,
      execute: async () => {
        timeline.actor(name, 'execute started');
        try {
          await execute();
          timeline.actor(name, 'execute returned');
        } catch (err) {
          timeline.actor(name, 'execute returned', { error: (err as Error).message ?? String(err) });
          throw err;
        }
      },
      interrupt: async (err) => {
        timeline.actor(name, 'interrupted');
        await interrupt(err);
      },
    });
  };
  /** Waits on a latch or the actor's own cancellation; true when the actor's work may begin. */
  const gate = async (name: string, latch: Latch, latchName: string, cancel: AbortSignal) => {
    if (!latch.isOpen) timeline.actor(name, 'waiting', { latch: latchName });
    if ((await waitOrAbort(latch, cancel)) === 'aborted') return false;
    timeline.actor(name, 'running');
    return true;
  };
  const running = (name: string) => timeline.actor(name, 'running');
  const beginShutdown = () => {
    markShuttingDown();
    reloads.close('Prometheus is shutting down; reload not performed.');
  };

  {
    // Termination handler.
    // Added first so that its interrupt runs first: the web handler reports "Stopping" from the
    // very first moment of shutdown, and no reload is started against stopping modules.
    const cancel = new AbortController();
    // Each block logs through its own logger: the page shows those lines under the actor's lane.
    const log = actorLog('Termination handler');
    add(
      'Termination handler',
      async () => {
        running('Termination handler');
        const quit = webHandler.quitRequested.then(() => 'quit' as const);
        const outcome = await Promise.race([term.next(cancel.signal), quit]);
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
        openLatch(reloadReady, 'reloadReady');
      },
      () => {
        beginShutdown();
        cancel.abort();
        webHandler.setReadiness('Stopping');
      },
    );
  }
  {
    // Scrape discovery manager.
    // Stops first among the workers: no new targets are fed to a scrape manager about to stop.
    const cancel = new AbortController();
    const log = actorLog('Scrape discovery manager');
    add(
      'Scrape discovery manager',
      async () => {
        running('Scrape discovery manager');
        await discoveryManagerScrape.run(cancel.signal);
        log.info('Scrape discovery manager stopped');
      },
      () => {
        log.info('Stopping scrape discovery manager...');
        cancel.abort();
      },
    );
  }
  {
    // Notify discovery manager.
    const cancel = new AbortController();
    const log = actorLog('Notify discovery manager');
    add(
      'Notify discovery manager',
      async () => {
        running('Notify discovery manager');
        await discoveryManagerNotify.run(cancel.signal);
        log.info('Notify discovery manager stopped');
      },
      () => {
        log.info('Stopping notify discovery manager...');
        cancel.abort();
      },
    );
  }
  if (ruleManager) {
    // Rule manager.
    // Stops before the scrape manager and storage (it writes samples) and before the notifier
    // (it produces alerts), so that its last evaluation's output has somewhere to go.
    const cancel = new AbortController();
    const log = actorLog('Rule manager');
    add(
      'Rule manager',
      async () => {
        if (await gate('Rule manager', reloadReady, 'reloadReady', cancel.signal)) await ruleManager.run();
        log.info('Rule manager stopped');
      },
      async () => {
        cancel.abort();
        await ruleManager.stop();
      },
    );
  }
  {
    // Scrape manager.
    // Its interrupt waits until every scrape loop has stopped: storage closes after it, and a
    // scrape must never write into closed storage.
    const cancel = new AbortController();
    const log = actorLog('Scrape manager');
    add(
      'Scrape manager',
      async () => {
        // Targets must not be scraped before the initial config is applied: the scrape pools
        // exist only from then on, and they write into storage that is open by then.
        if (await gate('Scrape manager', reloadReady, 'reloadReady', cancel.signal)) {
          await scrapeManager.run(discoveryManagerScrape.syncCh);
        }
        log.info('Scrape manager stopped');
      },
      async () => {
        log.info('Stopping scrape manager...');
        cancel.abort();
        await scrapeManager.stop();
      },
    );
  }
  {
    // Tracing manager.
    const cancel = new AbortController();
    add(
      'Tracing manager',
      async () => {
        if (await gate('Tracing manager', reloadReady, 'reloadReady', cancel.signal)) await tracingManager.run();
      },
      async () => {
        cancel.abort();
        await tracingManager.stop();
      },
    );
  }
  {
    // Reload handler.
    // Make sure that sighup handler is registered with a redirect to the channel before the potentially
    // long and synchronous tsdb init (upstream's comment): here the listener was installed in main()
    // and requests queue in `reloads` until this loop serves them.
    const cancel = new AbortController();
    let inProgress: Promise<unknown> = Promise.resolve();
    const log = actorLog('Reload handler');
    add(
      'Reload handler',
      async () => {
        if (!(await gate('Reload handler', reloadReady, 'reloadReady', cancel.signal))) return;
        for (;;) {
          const request = await reloads.next(cancel.signal);
          if (!request) return;
          const reload = reloadConfig(log).then(
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
      async () => {
        // A reload in progress finishes first; then the loop stops and takes no new request.
        await inProgress;
        cancel.abort();
      },
    );
  }
  {
    // Initial configuration.
    // Waits for storage: reloaders start the scrape and rule managers, which write into it.
    const cancel = new AbortController();
    const log = actorLog('Initial configuration');
    add(
      'Initial configuration',
      async () => {
        if (!(await gate('Initial configuration', dbOpen, 'dbOpen', cancel.signal))) {
          openLatch(reloadReady, 'reloadReady');
          return;
        }
        try {
          await reloadConfig(log, false);
        } catch (err) {
          throw new Error(`error loading config from "${configFile}": ${(err as Error).message}`);
        }
        openLatch(reloadReady, 'reloadReady');
        if (webHandler.readiness !== 'Stopping') {
          webHandler.setReadiness('Ready');
          log.info('Server is ready to receive web requests.');
        }
        await new Promise<void>((resolve) => cancel.signal.addEventListener('abort', () => resolve(), { once: true }));
      },
      () => cancel.abort(),
    );
  }
  {
    // TSDB (server) or WAL storage (agent).
    // Its interrupt comes after the scrape and rule managers' (they write into it) and closes
    // storage, flushing the WAL, before cancelling its execute.
    const name = agentMode ? 'WAL storage' : 'TSDB';
    const cancel = new AbortController();
    const log = actorLog(name);
    add(
      name,
      async () => {
        log.info(agentMode ? 'Starting WAL storage ...' : 'Starting TSDB ...');
        const walSegmentSize = agentMode ? flags.agentWalSegmentSize : flags.tsdbWalSegmentSize;
        if (walSegmentSize !== 0 && (walSegmentSize < 10 * 2 ** 20 || walSegmentSize > 256 * 2 ** 20)) {
          const flag = agentMode ? 'storage.agent.wal-segment-size' : 'storage.tsdb.wal-segment-size';
          throw new Error(`flag '${flag}' must be set between 10MB and 256MB`);
        }
        if (!agentMode && flags.tsdbMaxBlockChunkSegmentSize !== 0 && flags.tsdbMaxBlockChunkSegmentSize < 2 ** 20) {
          throw new Error("flag 'storage.tsdb.max-block-chunk-segment-size' must be set over 1MB");
        }
        running(name);
        const dir = agentMode ? flags.agentPath : flags.tsdbPath;
        let storage: Awaited<ReturnType<typeof openTSDB>> | Awaited<ReturnType<typeof openAgentStorage>>;
        try {
          await testingStorageOpenDelay(cancel.signal);
          const storageLogger = moduleLog(agentMode ? 'agent' : 'tsdb', name);
          storage = agentMode
            ? await openAgentStorage({ dir, walSegmentSize, logger: storageLogger, registry, signal: cancel.signal })
            : await openTSDB({
                dir,
                walSegmentSize,
                // Upstream opens its TSDB with the first config's retention, flags as the default.
                retentionMs: initialConfig.storage.tsdb.retention.time,
                logger: storageLogger,
                registry,
                signal: cancel.signal,
              });
        } catch (err) {
          if (cancel.signal.aborted) return; // shutdown during open: not an error
          throw new Error(`opening storage failed: ${(err as Error).message}`);
        }
        if (cancel.signal.aborted) {
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
        openLatch(dbOpen, 'dbOpen');
        await new Promise<void>((resolve) => cancel.signal.addEventListener('abort', () => resolve(), { once: true }));
      },
      async () => {
        try {
          // Local storage closes first, then remote write flushes its queues (up to
          // --storage.remote.flush-deadline): upstream's fanoutStorage.Close().
          await fanout.close();
        } catch (err) {
          log.error({ err }, 'Error stopping storage');
        }
        cancel.abort();
      },
    );
  }
  {
    // Web handler.
    // Stops late, so /-/ready answers "Stopping" and /metrics stays scrapeable while the modules
    // that do the work shut down.
    const cancel = new AbortController();
    const log = actorLog('Web handler');
    add(
      'Web handler',
      async () => {
        running('Web handler');
        await webHandler.run(cancel.signal);
        log.info('Web handler stopped');
      },
      async () => {
        log.info('Stopping web handler...');
        cancel.abort();
        await webHandler.close();
      },
    );
  }
  {
    // Notifier.
    // Stops last: the rule manager has stopped by now, so the alerts of its final evaluation are
    // already queued and get sent (or dropped) here, not lost.
    const cancel = new AbortController();
    const log = actorLog('Notifier');
    add(
      'Notifier',
      async () => {
        if (await gate('Notifier', reloadReady, 'reloadReady', cancel.signal)) {
          await notifierManager.run(discoveryManagerNotify.syncCh);
        }
        log.info('Notifier manager stopped');
      },
      async () => {
        log.info('Stopping notifier manager...');
        cancel.abort();
        await notifierManager.stop();
      },
    );
  }

  // The add order is the order the blocks above run in: upstream's. Only the teaching switch
  // --debug.actor-order changes it, and with it the order of shutdown (startup follows the latches).
  let order = actors;
  if (flags.debugActorOrder.length > 0) {
    try {
      order = applyActorMoves(actors, flags.debugActorOrder);
    } catch (err) {
      log.error({ err }, 'Invalid --debug.actor-order');
      await webHandler.close();
      return 2;
    }
    log.warn(
      { order: order.map((a) => a.name).join(', ') },
      "Actors added in a debugging order (--debug.actor-order): shutdown no longer follows upstream's order",
    );
  }
  for (const { name, execute, interrupt } of order) {
    timeline.declare(name);
    g.add(execute, interrupt);
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

/** The retention as upstream's runtimeinfo shows it: `15d`, `512MB`, or `15d or 512MB`. */
function retentionText(retention: TSDBRetentionConfig): string {
  const parts: string[] = [];
  if (retention.time !== 0) parts.push(formatDuration(retention.time));
  if (retention.size !== 0) parts.push(formatSize(retention.size));
  return parts.join(' or ');
}

/** The discovery configs (static and file) of a scrape job or an Alertmanager config. */
function sdConfig(cfg: DiscoveryConfig): DiscoveryConfig {
  return { staticConfigs: cfg.staticConfigs, fileSDConfigs: cfg.fileSDConfigs ?? [] };
}

/**
 * A testing aid, documented in the README and docs/startup.md: MINIPROM_TEST_RULE_EVAL_HOLD=1
 * makes the first rule evaluation wait, before its query, until the rule manager is stopped, so a
 * test can have an evaluation in flight when shutdown begins (the shutdown-order demonstration).
 * Read once, here; the rule manager gets the number as an option.
 */
function testingRuleEvalHold(log: Logger): number | undefined {
  const text = process.env.MINIPROM_TEST_RULE_EVAL_HOLD;
  if (!text) return undefined;
  if (!/^[1-9]\d*$/.test(text)) {
    log.warn(
      { value: text },
      'MINIPROM_TEST_RULE_EVAL_HOLD must be a positive whole number (the n-th rule evaluation to hold); ignored',
    );
    return undefined;
  }
  return Number(text);
}

/**
 * A testing aid, documented in the README: MINIPROM_TEST_STORAGE_OPEN_DELAY=2s makes storage take
 * that long to open, abortably like a real slow WAL replay, so tests can observe a slow start.
 */
async function testingStorageOpenDelay(signal: AbortSignal): Promise<void> {
  const text = process.env.MINIPROM_TEST_STORAGE_OPEN_DELAY;
  if (!text) return;
  const { parseDuration } = await import('../src/config/index.js');
  await sleep(parseDuration(text), undefined, { signal });
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

function mapValues<T, U>(record: Record<string, T>, fn: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));
}

/** Formats milliseconds as Go prints a time.Duration: `1.234567ms`, `512.3µs`, `2.5s`. */
function goDuration(ms: number): string {
  if (ms >= 1000) return `${+(ms / 1000).toFixed(6)}s`;
  if (ms >= 1) return `${+ms.toFixed(6)}ms`;
  return `${+(ms * 1000).toFixed(3)}µs`;
}
