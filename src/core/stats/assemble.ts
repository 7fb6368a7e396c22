/**
 * From a tally to the result shape: per-family figures (counts and TTL coverage from every key
 * visited, memory, idle time and TTL median from the inspected ones), the unknown namespaces, and
 * the summary that keeps the earlier clear-cache.js `stats` fields.
 */
import type { CachectlConfig, Family } from '../../config/load.js';
import { queueCountsOf, type QueueCounts } from '../queues/discovery.js';
import { displayKey } from '../display.js';
import { humanBytes } from './format.js';
import type { KeyTally } from './tally.js';
import type { BigKey, FamilyStats, NamespaceStats, QueueStats, SizeSpread, StatsResult, StatsSummary, TenantKeys, TopKeys } from './types.js';

/** Round a fraction to six decimals; 0 when there is nothing to divide by. */
export function share(part: number, total: number): number {
  return total > 0 ? Math.round((part / total) * 1e6) / 1e6 : 0;
}

export interface AssembleOptions {
  /** Keys in the keyspace (DBSIZE sum): the denominator of shares. */
  total: number;
  /** True when the tally came from a full pass (min/max TTL then are exact too). */
  exact: boolean;
  /** Set when idle time cannot be known (LFU policy). */
  idleUnavailable?: string | undefined;
}

/** One entry per configured family, in config order. */
export function assembleFamilies(families: Family[], tally: KeyTally, options: AssembleOptions): FamilyStats[] {
  return families.map((family, i) => {
    const c = tally.families[i]!;
    const withoutTtl = Math.round(c.withoutTtl);
    const ttlSeconds = family.ttlSeconds ?? null;
    const ttls = [...c.ttlsMs].sort((a, b) => a - b);
    const median = ttls.length === 0 ? null : ttls.length % 2 === 1 ? ttls[(ttls.length - 1) / 2]! : (ttls[ttls.length / 2 - 1]! + ttls[ttls.length / 2]!) / 2;
    const mean = c.memoryWeight > 0 ? c.memoryBytes / c.memoryWeight : null;
    return {
      name: family.name,
      template: family.template,
      ttlSeconds,
      keys: Math.round(c.keys),
      share: share(c.keys, options.total),
      withoutTtl,
      withoutTtlShare: share(c.withoutTtl, c.keys),
      ttlFlagged: ttlSeconds !== null && withoutTtl > 0,
      keysAboveTtl: ttlSeconds === null ? null : Math.round(c.overTtl),
      ttl:
        c.maxTtlMs < 0
          ? null
          : {
              minSeconds: seconds(c.minTtlMs),
              medianSeconds: median === null ? null : seconds(median),
              maxSeconds: seconds(c.maxTtlMs),
              minMaxFrom: options.exact ? 'exact' : 'sample',
            },
      memory: mean === null ? null : { bytes: Math.round(mean * c.keys), meanBytes: Math.round(mean), sampleSize: c.memorySampled },
      idle: options.idleUnavailable
        ? { unavailable: `not tracked under an ${options.idleUnavailable}` }
        : c.maxIdleSeconds >= 0 && c.idlestKey
          ? { maxSeconds: c.maxIdleSeconds, key: displayKey(c.idlestKey) }
          : null,
      sampleSize: c.inspected,
    };
  });
}

/** How a namespace prefix is shown: `feature-flags:*`, or `(no namespace)` for keys without `:`. */
export function namespaceLabel(prefix: Buffer): string {
  return prefix.length === 0 ? '(no namespace)' : `${displayKey(prefix)}*`;
}

/** The keys of no family, the biggest namespaces first. */
export function assembleUnknown(tally: KeyTally, total: number, depth: number, top: number): StatsResult['unknown'] {
  const entries = [...tally.namespaces.values()].sort((a, b) => b.keys - a.keys || Buffer.compare(a.prefix, b.prefix));
  const shown: NamespaceStats[] = entries
    .slice(0, top)
    .map((e) => ({ namespace: namespaceLabel(e.prefix), keys: Math.round(e.keys), share: share(e.keys, total) }));
  const rest = entries.slice(top);
  const unknownKeys = tally.unknownKeys();
  return {
    keys: Math.round(unknownKeys),
    share: share(unknownKeys, total),
    depth,
    namespaces: shown,
    otherKeys: Math.round(rest.reduce((sum, e) => sum + e.keys, 0) + tally.overflowKeys),
    otherNamespaces: rest.length,
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** p50/p99 of the measured sizes, max of those and of the biggest keys found. */
export function sizeSpread(sizes: number[], biggest: BigKey[]): SizeSpread | null {
  if (sizes.length === 0 && biggest.length === 0) return null;
  const sorted = [...sizes].sort((a, b) => a - b);
  const max = Math.max(sorted[sorted.length - 1] ?? 0, biggest[0]?.bytes ?? 0);
  return {
    measured: sorted.length,
    p50: sorted.length > 0 ? percentile(sorted, 0.5) : max,
    p99: sorted.length > 0 ? percentile(sorted, 0.99) : max,
    max,
  };
}

/** The biggest keys per family and among unknown keys (`stats --top`). */
export function assembleTop(families: Family[], tally: KeyTally, limit: number, exact: boolean, depth: number): TopKeys {
  const big = (list: Array<{ key: Buffer; bytes: number }>): BigKey[] => list.map((k) => ({ key: displayKey(k.key), bytes: k.bytes }));
  const unknownKeys = tally.unknown.biggest.list();
  return {
    limit,
    from: exact ? 'exact' : 'sample',
    families: families.map((family, i) => {
      const keys = big(tally.families[i]!.biggest.list());
      return { family: family.name, spread: sizeSpread(tally.families[i]!.sizes, keys), keys };
    }),
    unknown: {
      spread: sizeSpread(tally.unknown.sizes, big(unknownKeys)),
      keys: unknownKeys.map((k) => ({ key: displayKey(k.key), namespace: namespaceLabel(namespaceOf(k.key, depth)), bytes: k.bytes })),
    },
  };
}

/** The leading `depth` segments of a key with their `:` (empty when it has no `:`), as the script groups them. */
export function namespaceOf(key: Buffer, depth: number): Buffer {
  let at = -1;
  for (let i = 0; i < depth; i++) {
    const colon = key.indexOf(0x3a, at + 1);
    if (colon < 0) break;
    at = colon;
  }
  return at < 0 ? Buffer.alloc(0) : key.subarray(0, at + 1);
}

/** Keys per tenant, biggest first (weighted counts rounded). */
export function assembleTenants(tally: KeyTally, config: Pick<CachectlConfig, 'tenants' | 'tenantPolicies'>): TenantKeys {
  const listed = new Set(['default', ...config.tenants]);
  const policies = config.tenantPolicies ?? {};
  // Tenants with a policy show up even before the sample met one of their keys.
  const counts = new Map(tally.tenants);
  for (const tenant of Object.keys(policies)) if (!counts.has(tenant)) counts.set(tenant, 0);
  const tenants = [...counts.entries()]
    .map(([tenant, keys]) => ({
      tenant,
      keys: Math.round(keys),
      listed: listed.has(tenant),
      ...(policies[tenant] ? { policy: policies[tenant].families } : {}),
    }))
    .sort((a, b) => b.keys - a.keys || (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
  return { tenants, otherKeys: Math.round(tally.otherTenantKeys) };
}

export function emptyCounts(): QueueCounts {
  return queueCountsOf({ wait: 0, active: 0, delayed: 0, prioritized: 0, 'waiting-children': 0, paused: 0, completed: 0, failed: 0 });
}

/** The earlier tool's `stats` fields: user states, memory, queue job counts, timestamp. */
export function summarize(timestamp: string, totalKeys: number, families: FamilyStats[], memory: StatsResult['memory'], queues: QueueStats[]): StatsSummary {
  const queue = emptyCounts();
  for (const q of queues) for (const state of Object.keys(queue) as Array<keyof QueueCounts>) queue[state] += q.counts[state];
  return {
    timestamp,
    totalKeys,
    userStates: families.find((f) => f.name === 'userState')?.keys ?? 0,
    memory: {
      usedBytes: memory.usedBytes,
      usedHuman: humanBytes(memory.usedBytes),
      peakBytes: memory.peakBytes,
      peakHuman: humanBytes(memory.peakBytes),
      rssBytes: memory.rssBytes,
    },
    queue,
  };
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}
