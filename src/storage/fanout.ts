/**
 * The fanout storage (upstream's storage.NewFanout(local, remote)): what the scrape and rule
 * managers append to. Every batch goes to local storage; once it is committed there, the same
 * samples go to remote storage's queues. Closing closes local storage first, then remote (which
 * may take up to its flush deadline), as upstream's fanout does.
 */
import type { Appender, Labels, Storage } from './types.js';

export interface CommittedSample {
  labels: Labels;
  t: number;
  v: number;
}

/** The secondary side: remote storage, as far as the fanout needs it. */
export interface CommitListener {
  /** False when nobody listens: the fanout then collects nothing, so it costs nothing. */
  readonly wantsSamples: boolean;
  committed(samples: readonly CommittedSample[]): void;
  close(): Promise<void>;
}

export function fanoutStorage(primary: Storage, secondary: CommitListener): Storage {
  let closed: Promise<void> | undefined;
  return {
    appender(): Appender {
      const local = primary.appender();
      const batch: CommittedSample[] | undefined = secondary.wantsSamples ? [] : undefined;
      return {
        append(labels, t, v, ref) {
          // A sample local storage refused goes nowhere, as upstream's fanout stops at the primary's error.
          // The series reference is local storage's (upstream's fanout returns the primary's ref).
          const refused = local.append(labels, t, v, ref);
          if (refused) return refused;
          batch?.push({ labels, t, v });
          return undefined;
        },
        async commit() {
          await local.commit();
          // Only what local storage accepted is forwarded, as upstream sends what reached its WAL.
          if (batch && batch.length > 0) secondary.committed(batch);
        },
        rollback() {
          local.rollback();
          if (batch) batch.length = 0;
        },
      };
    },
    close() {
      closed ??= (async () => {
        let first: unknown;
        try {
          await primary.close();
        } catch (err) {
          first = err;
        }
        await secondary.close();
        if (first !== undefined) throw first;
      })();
      return closed;
    },
  };
}
