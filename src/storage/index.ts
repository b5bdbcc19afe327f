/** src/storage: TSDB (lock, WAL, head, retention), the agent's WAL storage, and ReadyStorage. */
export { openTSDB, openAgentStorage, type TSDB, type OpenOptions } from './db.js';
export { LockError } from './lock.js';
export { fsType } from './fstype.js';
export { ReadyStorage } from './ready.js';
export type * from './types.js';
