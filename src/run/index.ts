/**
 * src/run: the run group (a port of Go's oklog/run), the Latch that gates startup, and ready-made
 * signal and AbortSignal actors. This module imports nothing else of miniprom.
 */
export { Group, type Execute, type Interrupt, type GroupOptions } from './group.js';
export { Latch, waitOrAbort } from './latch.js';
export { SignalChannel } from './signals.js';
export { SignalError, signalHandler, abortHandler, type Actor, type SignalSource } from './actors.js';
export {
  Timeline,
  type TimelineEvent,
  type TimelineListener,
  type ActorEvent,
  type LatchEvent,
  type ReloadEvent,
} from './timeline.js';
export { renderTimeline, criticalChains } from './trace.js';
export { Handoff } from './handoff.js';
