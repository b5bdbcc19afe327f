/** src/scrape: the scrape manager, its pools and loops, and the text exposition parser. */
export { createScrapeManager } from './manager.js';
export { type ParsedSample, parseTextFormat } from './parser.js';
export type {
  ActiveTarget,
  DroppedTarget,
  MetricMetadata,
  Relabeler,
  ScrapeManager,
  ScrapeManagerOptions,
} from './types.js';
