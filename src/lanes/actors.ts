/**
 * The run group's actors and latches, named once: main adds the actors under these names, the
 * timeline and its JSON carry them (with `why`), and the page, `--startup.trace` and the tests read
 * them from here. `why` is the reason an actor's interrupt sits where it does in the add order (the
 * order actors stop in), as main.go's comments give it.
 */

export interface ActorInfo {
  readonly name: string;
  readonly why: string;
}

/** Every actor of main's run group, by key. */
export const ACTORS = {
  terminationHandler: {
    name: 'Termination handler',
    why: 'Added first: its interrupt turns /-/ready to 503 and refuses reloads from the first moment of shutdown.',
  },
  scrapeDiscovery: {
    name: 'Scrape discovery manager',
    why: 'Stops early: no new targets are fed to a scrape manager that is about to stop.',
  },
  notifyDiscovery: {
    name: 'Notify discovery manager',
    why: 'Stops early: the Alertmanager list stays as it is while the notifier drains.',
  },
  ruleManager: {
    name: 'Rule manager',
    why: 'Stops before the scrape manager, storage and the notifier: it writes samples and produces alerts.',
  },
  scrapeManager: {
    name: 'Scrape manager',
    why: 'Its interrupt waits until every scrape loop has stopped: storage closes right after, and must not be written to.',
  },
  tracingManager: {
    name: 'Tracing manager',
    why: 'Stops after the workers whose spans matter; nothing after it produces spans worth exporting.',
  },
  reloadHandler: {
    name: 'Reload handler',
    why: 'Waits for a reload in progress, so a reload never runs against stopped modules.',
  },
  initialConfiguration: {
    name: 'Initial configuration',
    why: 'Waits for dbOpen: applying the config starts the writers, which need open storage. Nothing to stop once applied.',
  },
  tsdb: {
    name: 'TSDB',
    why: 'Closes storage (flushing the WAL, then remote write) only after every writer above it has stopped.',
  },
  walStorage: {
    name: 'WAL storage',
    why: 'Closes the agent WAL (then remote write) only after every writer above it has stopped.',
  },
  webHandler: {
    name: 'Web handler',
    why: 'Stops late: /metrics and /-/ready stay answerable while the workers shut down.',
  },
  notifier: {
    name: 'Notifier',
    why: 'Stops last: the alerts of the final rule evaluation are already queued, and get sent.',
  },
} as const satisfies Record<string, ActorInfo>;

/** The server-mode actors in main.go's add order: the order they stop in. */
export const SERVER_ADD_ORDER: readonly ActorInfo[] = [
  ACTORS.terminationHandler,
  ACTORS.scrapeDiscovery,
  ACTORS.notifyDiscovery,
  ACTORS.ruleManager,
  ACTORS.scrapeManager,
  ACTORS.tracingManager,
  ACTORS.reloadHandler,
  ACTORS.initialConfiguration,
  ACTORS.tsdb,
  ACTORS.webHandler,
  ACTORS.notifier,
];

/** The agent-mode actors in add order: no rule manager, and WAL storage in place of the TSDB. */
export const AGENT_ADD_ORDER: readonly ActorInfo[] = SERVER_ADD_ORDER.filter((a) => a !== ACTORS.ruleManager).map(
  (a) => (a === ACTORS.tsdb ? ACTORS.walStorage : a),
);

/** The two latches: storage is open; the first configuration is applied. */
export const LATCHES = { dbOpen: 'dbOpen', reloadReady: 'reloadReady' } as const;
export type LatchName = (typeof LATCHES)[keyof typeof LATCHES];

/** Whether an actor is the one that opens storage (TSDB or, in agent mode, WAL storage). */
export const isStorageActor = (name: string): boolean => name === ACTORS.tsdb.name || name === ACTORS.walStorage.name;
