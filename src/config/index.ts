/** src/config: the configuration model, its loader and validation, and Prometheus's units. */

export { authorizationHeader, type TLSSettings, tlsSettings } from './credentials.js';
export { ConfigError, type ConfigErrorPosition } from './errors.js';
export { type LoadOptions, loadConfigFile, parseConfig } from './load.js';
export { loadConfigFileInWorker } from './load-async.js';
export { configToYAML, redactURL, remoteWriteToYAML } from './print.js';
export type * from './types.js';
export { formatDuration, formatRetention, formatSize, parseDuration, parseSize } from './units.js';
export { NOT_SUPPORTED, whyNotSupported } from './unsupported.js';
