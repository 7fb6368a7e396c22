/**
 * cachectl as a library. Importing it has no side effects.
 */
export * from './errors.js';
export { redact, displayUrl } from './redact.js';
export { loadConfig, resolveConfig, type CachectlConfig, type Family, type LoadConfigOptions } from './config/load.js';
export type { ConfigInput } from './config/schema.js';
export { parseTemplate, type ParsedTemplate } from './config/template.js';
export { DEFAULT_FAMILIES } from './config/defaults.js';
export { connect, fromClient, type RedisConnection, type ConnectionMode, type RedisClient } from './redis/connect.js';
export type { ConnectionOptions, HostPort } from './redis/options.js';
export { collectPing, type PingResult, type NodePing } from './core/ping.js';
