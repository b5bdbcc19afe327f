/** src/config: the configuration model, its loader and validation, and Prometheus's units. */
export { parseDuration, formatDuration, parseSize, formatSize } from './units.js';
export { ConfigError, parseConfig, loadConfigFile, configToYAML } from './load.js';
export type * from './types.js';
