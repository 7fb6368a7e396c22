/**
 * Connection options and the parsing of `redis://` / `rediss://` URLs into them.
 */
import { UsageError } from '../errors.js';
import { displayServerUrl, readUrl, type UrlParts, type UrlProblem } from '../url-text.js';

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

const SCHEMES = ['redis', 'rediss', 'valkey', 'valkeys'];
const FORM = 'expected redis://[user:password@]host[:port][/db] or rediss://… for TLS';

/** Parse and check a server URL. Throws `UsageError`; no message holds the URL as given. */
export function parseRedisUrl(url: string): ParsedUrl {
  const shown = displayServerUrl(url);
  const reading = readUrl(url);
  if (!reading.ok) throw urlProblem(reading.problem, reading.parts, shown);
  const { parts } = reading;
  if (!SCHEMES.includes(parts.scheme)) {
    throw new UsageError(`Unsupported URL scheme "${parts.scheme.slice(0, 20)}:" in "${shown}"`, { hint: 'use redis:// or rediss:// (TLS)' });
  }
  return {
    tls: parts.scheme === 'rediss' || parts.scheme === 'valkeys',
    host: parts.host,
    port: parts.port === '' ? 6379 : Number(parts.port),
    username: parts.username || undefined,
    password: parts.password || undefined,
    db: parts.path === '' ? 0 : Number(parts.path),
  };
}

function urlProblem(problem: UrlProblem, parts: Partial<UrlParts>, shown: string): UsageError {
  switch (problem) {
    case 'no-host':
      return new UsageError(`Redis URL "${shown}" has no host`, { hint: 'e.g. redis://127.0.0.1:6379' });
    case 'bad-host':
      return new UsageError(`Invalid host in Redis URL "${shown}"`, { hint: `${FORM}; encode special characters of a password as %XX` });
    case 'port-nan':
      return new UsageError(`The port in Redis URL "${shown}" is not a number`, {
        hint: `${FORM}; a password holding "/" or "@" can be given as REDIS_PASSWORD`,
      });
    case 'port-range':
      return new UsageError(`Invalid port ${parts.port} in Redis URL "${shown}"`, { hint: 'ports are 1–65535' });
    case 'bad-db':
      return new UsageError(`Invalid database in Redis URL "${shown}"`, { hint: 'the path is a database number, e.g. redis://host:6379/2' });
    default:
      return new UsageError(`Invalid Redis URL "${shown}"`, { hint: FORM });
  }
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
