/**
 * src/lifecycle: how main runs its modules, apart from what oklog/run itself is (src/run) and
 * from the vocabulary the page shares (src/lanes): the lifecycle timeline, the traced group every
 * block of main adds its actor to, the teaching switch that reorders it, the two-phase reload and
 * the reload queue SIGHUP and `POST /-/reload` share.
 */
export { type ActorMove, applyActorMoves, parseActorMoves } from './actor-order.js';
export { goDuration, type Reloader, type ReloadOptions, reloadConfig } from './reload.js';
export { type ReloadOutcome, ReloadQueue } from './reload-queue.js';
export { listenForSignals, type MainSignals } from './signals.js';
export {
  type ActorContext,
  TracedGroup,
  type TracedExecute,
  type TracedGroupOptions,
  type TracedInterrupt,
} from './traced-group.js';
export {
  type ActorEvent,
  type ActorLog,
  LATEST_RELOADS,
  type LatchEvent,
  type LogLine,
  type ReloadEvent,
  Timeline,
  type TimelineEvent,
  type TimelineListener,
} from './timeline.js';
