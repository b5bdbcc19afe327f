/**
 * ReadyStorage: the storage handle main gives out before storage is open (upstream's readyStorage
 * in main.go). The scrape and rule managers are built at startup but may only append once TSDB (or
 * the agent WAL) is open; until `set()`, appends fail with `TSDB not ready`, and after `close()`
 * with `storage closed`.
 */
import type { StorageConfig } from '../config/index.js';
import type { LocalStorage } from './db.js';
import type { Appendable, Appender, Labels, Storage } from './types.js';

export class ReadyStorage implements Storage {
  #storage: LocalStorage | undefined;
  #closed = false;

  /** Hands over the opened storage; it is closed by this handle's `close()`. */
  set(storage: LocalStorage): void {
    this.#storage = storage;
  }

  /**
   * The db_storage reloader's step (upstream's readyStorage.ApplyConfig). Main applies the first
   * config only after dbOpen, so storage is there; were it not, there would be nothing to apply.
   */
  prepareConfig(cfg: StorageConfig): () => void {
    return this.#storage?.prepareConfig(cfg) ?? (() => {});
  }

  get isReady(): boolean {
    return this.#storage !== undefined && !this.#closed;
  }

  appender(): Appender {
    const storage = this.#storage;
    if (storage && !this.#closed) return storage.appender();
    return notReadyAppender(this.#closed ? 'storage closed' : 'TSDB not ready');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#storage?.close();
  }
}

function notReadyAppender(reason: string): Appender {
  return {
    append(_labels: Labels, _t: number, _v: number) {
      return undefined; // the commit says what is wrong
    },
    commit: () => Promise.reject(new Error(reason)),
    rollback() {},
  };
}

export type { Appendable };
