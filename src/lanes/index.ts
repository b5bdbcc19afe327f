/**
 * src/lanes: reading the lifecycle timeline. What each actor of the run group was doing when
 * (`laneSegments`), the three phases of a run (`lifecyclePhases`), and the timeline as text with
 * its critical chains (`--startup.trace`). The one place this is decided: the terminal trace and
 * the lifecycle page (src/web/ui) both draw from it. Plain data in, plain data out: no Node and no
 * DOM, so the browser bundle and the server import the same files. Imports nothing of ours.
 */
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
