/**
 * src/storage: the TSDB (lock, WAL, head, retention), the agent's WAL storage, ReadyStorage, and
 * the interfaces other modules see. Everything another module may use is exported here.
 */
export {
  type AgentStorage,
  type AgentStorageOptions,
  type HeadStats,
  type LocalStorage,
  openAgentStorage,
  openTSDB,
  type TSDB,
  type TSDBOptions,
  type WalReplayStatus,
} from './db.js';
export { type CommitListener, type CommittedSample, fanoutStorage } from './fanout.js';
export { duplicateSample, goFloat, OUT_OF_BOUNDS, OUT_OF_ORDER } from './errors.js';
export { fsType } from './fstype.js';
export { compareLabels, isStaleNaN, STALE_NAN } from './labels.js';
export { LockError } from './lock.js';
export { ReadyStorage } from './ready.js';
export type { TSDBStat, TSDBStatus } from './status.js';
export type * from './types.js';
