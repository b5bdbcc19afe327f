/** src/discovery: the scrape and notify discovery managers and their providers (static for now). */

export { Mailbox } from './mailbox.js';
export {
  createDiscoveryManager,
  type DiscoveryConfig,
  type DiscoveryManager,
  discoveryConfigOf,
  type TargetSets,
} from './manager.js';
