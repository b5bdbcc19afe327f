/** src/scrape: the scrape manager, its loops, and the text exposition parser. */
export {
  createScrapeManager,
  type ScrapeManager,
  type ScrapeManagerOptions,
  type ActiveTarget,
  type DroppedTarget,
} from './manager.js';
export { parseTextFormat, type ParsedSample } from './parser.js';
