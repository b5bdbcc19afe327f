/** src/discovery: the scrape and notify discovery managers and their providers (static for now). */
export { createDiscoveryManager, type DiscoveryManager, type DiscoveryConfig, type TargetSets } from './manager.js';
export { Mailbox } from './mailbox.js';
