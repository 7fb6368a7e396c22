/**
 * Reading `INFO`: a parser for its `key:value` text and the facts every command reports
 * (which server, which version).
 */
import type { Redis } from 'ioredis';

export type InfoRecord = Record<string, string>;

/** Parse the text of `INFO [section]` into a flat record (section headers and blanks skipped). */
export function parseInfo(text: string): InfoRecord {
  const out: InfoRecord = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.indexOf(':');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

export type ServerFlavor = 'redis' | 'valkey';

export interface ServerIdentity {
  flavor: ServerFlavor;
  /** The product's own version (valkey_version on Valkey, redis_version on Redis). */
  version: string;
  /** The Redis protocol level the server claims (equal to `version` on Redis). */
  redisVersion: string;
}

/** Which server answers and its version, from `INFO server`. */
export function identify(info: InfoRecord): ServerIdentity {
  const redisVersion = info.redis_version ?? '0.0.0';
  const valkey = info.server_name === 'valkey' || info.valkey_version !== undefined;
  return { flavor: valkey ? 'valkey' : 'redis', version: valkey ? (info.valkey_version ?? redisVersion) : redisVersion, redisVersion };
}

/** Compare dotted versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `INFO <section>` of one node, parsed. */
export async function nodeInfo(node: Redis, section = 'server'): Promise<InfoRecord> {
  return parseInfo(await node.info(section));
}
