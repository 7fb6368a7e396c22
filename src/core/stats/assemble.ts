/**
 * From a tally to the result shape: per-family figures (counts and TTL coverage from every key
 * visited, memory, idle time and TTL median from the inspected ones), the unknown namespaces, and
 * the summary that keeps the earlier clear-cache.js `stats` fields.
 */
import type { Family } from '../../config/load.js';
import type { QueueCounts } from '../queues/discovery.js';
import { displayKey } from '../display.js';
import { humanBytes } from './format.js';
import type { KeyTally } from './tally.js';
import type { FamilyStats, NamespaceStats, QueueStats, StatsResult, StatsSummary } from './types.js';

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

export function emptyCounts(): QueueCounts {
  return { waiting: 0, active: 0, delayed: 0, prioritized: 0, waitingChildren: 0, paused: 0, completed: 0, failed: 0 };
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
