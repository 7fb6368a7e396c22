/**
 * The connection options a resolved configuration describes (flags and env already merged in).
 */
import type { CachectlConfig } from '../config/load.js';
import type { ConnectionOptions } from './options.js';

export function connectionOptionsFrom(config: Pick<CachectlConfig, 'redis' | 'password'>): ConnectionOptions {
  const { redis, password } = config;
  return {
    url: redis.url,
    password,
    cluster: redis.cluster,
    sentinels: redis.sentinels.map((s) => {
      const at = s.lastIndexOf(':');
      return { host: s.slice(0, at), port: Number(s.slice(at + 1)) };
    }),
    sentinelName: redis.sentinelName,
    tlsCa: redis.tls.ca,
    tlsInsecure: redis.tls.insecure,
    connectTimeoutMs: redis.connectTimeoutMs,
    commandTimeoutMs: redis.commandTimeoutMs,
  };
}
