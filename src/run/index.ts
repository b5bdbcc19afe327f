/**
 * src/run: the run group (a port of Go's oklog/run), the Latch that gates startup, and ready-made
 * signal and AbortSignal actors. This module imports nothing else of miniprom.
 */

export { abortHandler, SignalError, type SignalSource, signalHandler } from './actors.js';
export { type Actor, type Execute, Group, type GroupOptions, type Interrupt } from './group.js';
export { Handoff } from './handoff.js';
export { Latch, untilAborted, waitOrAbort } from './latch.js';
export { pause } from './slice.js';
export { SignalChannel } from './signals.js';
