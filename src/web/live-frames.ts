/**
 * The lifecycle stream's frames (GET /api/v1/status/lifecycle/events, written by live.ts), and
 * `applyFrame`, their reader. Free of Node: the lifecycle page's bundle imports it too.
 *
 * The frames, one JSON object per `data:` line:
 *
 *   {"type":"snapshot","data":{…}}
 *       The first frame on every connection: the whole snapshot (for the lifecycle stream, what
 *       `GET /api/v1/status/lifecycle` returns as `data`).
 *   {"type":"changes","set":{…},"drop":{…},"append":{…},"merge":{…}}
 *       Every later frame: how to turn the previous state into the current one. Each part is
 *       present only when it has something, and is applied in this order:
 *       set     top-level fields with a new value (e.g. `readiness`, `chains`), replaced whole;
 *       drop    for arrays whose items carry a numeric `seq` (the timeline's `events`): the seqs
 *               of the items to remove (older reloads a bounded timeline let go);
 *       append  for those arrays: the new items, to add at the end, in order;
 *       merge   for objects used as maps (the per-actor `logs`): the entries that changed,
 *               each replacing the entry of the same key whole.
 *
 * `applyFrame` below is the reader, for the page and for tests.
 */

/** A snapshot: top-level fields of any kind (arrays of items with `seq`, maps, values). */
export type Snapshot = Record<string, unknown>;

export interface SnapshotFrame {
  type: 'snapshot';
  data: Snapshot;
}

export interface ChangesFrame {
  type: 'changes';
  set?: Record<string, unknown>;
  drop?: Record<string, number[]>;
  append?: Record<string, unknown[]>;
  merge?: Record<string, Record<string, unknown>>;
}

export type Frame = SnapshotFrame | ChangesFrame;

/**
 * Applies one frame to the state a client holds (undefined before the first snapshot) and returns
 * the new state.
 */
export function applyFrame(state: Snapshot | undefined, frame: Frame): Snapshot {
  if (frame.type === 'snapshot') return frame.data;
  const next: Snapshot = { ...state, ...frame.set };
  for (const [key, seqs] of Object.entries(frame.drop ?? {})) {
    const gone = new Set(seqs);
    next[key] = ((next[key] ?? []) as Array<{ seq: number }>).filter((item) => !gone.has(item.seq));
  }
  for (const [key, items] of Object.entries(frame.append ?? {})) {
    next[key] = [...((next[key] ?? []) as unknown[]), ...items];
  }
  for (const [key, entries] of Object.entries(frame.merge ?? {})) {
    next[key] = { ...(next[key] as Record<string, unknown> | undefined), ...entries };
  }
  return next;
}
