/**
 * Server, memory and keyspace facts from `INFO` on every master. maxmemory and its policy come
 * from INFO memory; CONFIG GET is only a fallback (ACLs often deny it), and "unknown" is an
 * answer, not a failure.
 */
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../../redis/connect.js';
import { identify, parseInfo, type InfoRecord } from '../../redis/server-info.js';
import type { DbKeyspace, MasterStats, StatsResult } from './types.js';

/** INFO of one master, parsed into the stats shape. */
export async function masterStats(connection: RedisConnection, node: Redis, warnings: string[]): Promise<MasterStats> {
  const address = connection.nodeName(node);
  const [text, keys] = await Promise.all([node.info(), node.dbsize()]);
  const info = parseInfo(text);
  const id = identify(info);
  let policy = info.maxmemory_policy;
  let maxmemory = info.maxmemory !== undefined ? Number(info.maxmemory) : undefined;
  if (policy === undefined || maxmemory === undefined) {
    const fromConfig = await configGet(node, ['maxmemory-policy', 'maxmemory']);
    policy ??= fromConfig['maxmemory-policy'];
    if (maxmemory === undefined && fromConfig.maxmemory !== undefined) maxmemory = Number(fromConfig.maxmemory);
    if (policy === undefined) warnings.push(`${address}: maxmemory-policy unknown (not in INFO, CONFIG GET denied)`);
  }
  return {
    address,
    flavor: id.flavor,
    version: id.version,
    redisVersion: id.redisVersion,
    role: info.role ?? 'master',
    uptimeSeconds: int(info, 'uptime_in_seconds'),
    connectedClients: int(info, 'connected_clients'),
    blockedClients: int(info, 'blocked_clients'),
    memory: {
      usedBytes: int(info, 'used_memory'),
      peakBytes: int(info, 'used_memory_peak'),
      rssBytes: int(info, 'used_memory_rss'),
      fragmentationRatio: Number(info.mem_fragmentation_ratio ?? 0) || 0,
      maxmemoryBytes: maxmemory === undefined || Number.isNaN(maxmemory) ? null : maxmemory,
      policy: policy ?? 'unknown',
    },
    dbs: parseKeyspace(info),
    db: selectedDb(node),
    keys,
    expiredKeys: int(info, 'expired_keys'),
    evictedKeys: int(info, 'evicted_keys'),
    keyspaceHits: int(info, 'keyspace_hits'),
    keyspaceMisses: int(info, 'keyspace_misses'),
  };
}

/** `db0:keys=10,expires=2,avg_ttl=0` lines of INFO keyspace. */
export function parseKeyspace(info: InfoRecord): DbKeyspace[] {
  const dbs: DbKeyspace[] = [];
  for (const [name, value] of Object.entries(info)) {
    const match = /^db(\d+)$/.exec(name);
    if (!match) continue;
    const fields = Object.fromEntries(value.split(',').map((pair) => pair.split('=') as [string, string]));
    dbs.push({ db: Number(match[1]), keys: Number(fields.keys ?? 0), keysWithExpiry: Number(fields.expires ?? 0), avgTtlMs: Number(fields.avg_ttl ?? 0) });
  }
  return dbs.sort((a, b) => a.db - b.db);
}

/** The database a node client works on (always 0 on a cluster). */
export function selectedDb(node: Redis): number {
  return node.options.db ?? 0;
}

/** Memory and keyspace totals over the masters. */
export function aggregate(masters: MasterStats[]): Pick<StatsResult, 'memory' | 'keyspace'> {
  const sum = (pick: (m: MasterStats) => number) => masters.reduce((total, m) => total + pick(m), 0);
  const policies = new Set(masters.map((m) => m.memory.policy));
  const limits = masters.map((m) => m.memory.maxmemoryBytes);
  const hits = sum((m) => m.keyspaceHits);
  const misses = sum((m) => m.keyspaceMisses);
  return {
    memory: {
      usedBytes: sum((m) => m.memory.usedBytes),
      peakBytes: sum((m) => m.memory.peakBytes),
      rssBytes: sum((m) => m.memory.rssBytes),
      fragmentationRatio: Math.max(0, ...masters.map((m) => m.memory.fragmentationRatio)),
      maxmemoryBytes: limits.some((l) => l === null) ? null : limits.reduce<number>((a, b) => a + (b ?? 0), 0),
      policy: policies.size === 1 ? [...policies][0]! : policies.size === 0 ? 'unknown' : 'mixed',
    },
    keyspace: {
      keys: sum((m) => m.keys),
      keysWithExpiry: sum((m) => m.dbs.find((d) => d.db === m.db)?.keysWithExpiry ?? 0),
      expiredKeys: sum((m) => m.expiredKeys),
      evictedKeys: sum((m) => m.evictedKeys),
      keyspaceHits: hits,
      keyspaceMisses: misses,
      hitRatio: hits + misses === 0 ? null : hits / (hits + misses),
    },
  };
}

/** True for the LFU policies, under which OBJECT IDLETIME is an error. */
export function isLfu(policy: string): boolean {
  return /lfu/i.test(policy);
}

async function configGet(node: Redis, names: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) {
    try {
      const reply = (await node.call('CONFIG', 'GET', name)) as string[];
      for (let i = 0; i + 1 < reply.length; i += 2) out[reply[i]!] = reply[i + 1]!;
    } catch {
      // NOPERM or a managed service that hides CONFIG: leave it unknown
    }
  }
  return out;
}

function int(info: InfoRecord, name: string): number {
  const value = Number(info[name] ?? 0);
  return Number.isFinite(value) ? value : 0;
}
