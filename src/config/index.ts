/** src/config: the configuration model, its loader and validation, and Prometheus's units. */
export { parseDuration, formatDuration, parseSize, formatSize } from './units.js';
export { ConfigError, type ConfigErrorPosition } from './errors.js';
export { type LoadOptions, parseConfig, loadConfigFile } from './load.js';
export { configToYAML } from './print.js';
export { NOT_SUPPORTED } from './unsupported.js';
export type * from './types.js';
