/**
 * src/lanes: the lifecycle's shared vocabulary and how to read it: the run group's actors and
 * latches, named once with why each sits where it does (`ACTORS`, `SERVER_ADD_ORDER`), what each
 * actor was doing when
 * (`laneSegments`), the three phases of a run (`lifecyclePhases`), and the timeline as text with
 * its critical chains (`--startup.trace`). The one place this is decided: the terminal trace and
 * the lifecycle page (src/web/ui) both draw from it. Plain data in, plain data out: no Node and no
 * DOM, so the browser bundle and the server import the same files. Imports nothing of ours.
 */
export {
  ACTORS,
  type ActorInfo,
  AGENT_ADD_ORDER,
  isStorageActor,
  LATCHES,
  type LatchName,
  SERVER_ADD_ORDER,
} from './actors.js';
export {
  type LaneEvent,
  type LaneSegment,
  type LaneState,
  laneSegments,
  lifecyclePhases,
  type Phase,
  type Phases,
} from './segments.js';
export { criticalChains, renderTimeline } from './trace.js';
