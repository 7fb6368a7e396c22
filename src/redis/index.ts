export { connect, fromClient, type ConnectionMode, type RedisClient, type RedisConnection } from './connect.js';
export { parseRedisUrl, parseHostList, DEFAULT_URL, type ConnectionOptions, type HostPort } from './options.js';
export { classifyRedisError } from './errors.js';
