/**
 * Connection options and the parsing of `redis://` / `rediss://` URLs into them.
 */
import { UsageError } from '../errors.js';
import { displayUrl } from '../redact.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Everything needed to reach a server. Defaults are merged in `connect()`. */
export interface ConnectionOptions {
  /** `redis://[user:pass@]host[:port][/db]` or `rediss://…` for TLS. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Password when the URL has none (REDIS_PASSWORD). */
  password?: string | undefined;
  /** `auto` (default) asks the server whether cluster mode is enabled. */
  cluster?: boolean | 'auto';
  /** Sentinel addresses; with `sentinelName`, the master is found through them. */
  sentinels?: HostPort[];
  sentinelName?: string | undefined;
  /** CA file for `rediss://`, and whether to skip certificate verification. */
  tlsCa?: string | undefined;
  tlsInsecure?: boolean;
  /** Give up connecting after this long (ms). Default 5000. */
  connectTimeoutMs?: number;
  /** Give up on one command after this long (ms). Default 15000. */
  commandTimeoutMs?: number;
}

export interface ParsedUrl {
  tls: boolean;
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  db: number;
}

export const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** Parse and check a server URL. Throws `UsageError` (never echoing the password). */
export function parseRedisUrl(url: string): ParsedUrl {
  const shown = displayUrl(url);
  // WHATWG URL refuses ports above 65535 as a malformed URL; say what is actually wrong.
  const portText = /^[a-z]+:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*):(\d+)/i.exec(url)?.[1];
  if (portText !== undefined && (Number(portText) < 1 || Number(portText) > 65535)) {
    throw new UsageError(`Invalid port ${portText} in Redis URL "${shown}"`, { hint: 'ports are 1–65535' });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`Invalid Redis URL "${shown}"`, {
      hint: 'expected redis://[user:password@]host[:port][/db] or rediss://… for TLS',
    });
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (!['redis', 'rediss', 'valkey', 'valkeys'].includes(scheme)) {
    throw new UsageError(`Unsupported URL scheme "${scheme}:" in "${shown}"`, {
      hint: 'use redis:// or rediss:// (TLS)',
    });
  }
  if (!parsed.hostname) {
    throw new UsageError(`Redis URL "${shown}" has no host`, { hint: 'e.g. redis://127.0.0.1:6379' });
  }
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`Invalid port in Redis URL "${shown}"`, { hint: 'ports are 1–65535' });
  }
  const dbText = parsed.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) {
    throw new UsageError(`Invalid database "${dbText}" in Redis URL "${shown}"`, {
      hint: 'the path is a database number, e.g. redis://host:6379/2',
    });
  }
  return {
    tls: scheme === 'rediss' || scheme === 'valkeys',
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: dbText === '' ? 0 : Number(dbText),
  };
}

/** Parse `host:port,host:port` (the `--sentinel` flag). */
export function parseHostList(text: string): HostPort[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UsageError('Expected at least one host:port', { hint: 'e.g. --sentinel 10.0.0.1:26379,10.0.0.2:26379' });
  return items.map((item) => {
    const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(item);
    const port = match ? Number(match[2]) : NaN;
    if (!match || port < 1 || port > 65535) {
      throw new UsageError(`Invalid address "${item}"`, { hint: 'expected host:port, e.g. 10.0.0.1:26379' });
    }
    return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
  });
}
