/**
 * Adding up step results. Every step's counts are multiplied by a weight: 1 for a full pass, and
 * DBSIZE / draws for a random sample of one master, so a cluster's masters are combined in
 * proportion to their size. Memory stays flat: namespaces are capped and TTL values are bounded
 * by the sample size.
 */
import type { StepResult } from './step.js';

/** Distinct unknown namespaces kept; keys of further ones are summed as "other". */
export const MAX_NAMESPACES = 10_000;
/** TTL values kept per family for the median. */
const MAX_TTLS = 200_000;
/** Distinct sampled queue keys kept (they only serve to name queues; a sample repeats queues). */
export const MAX_SAMPLED_QUEUE_KEYS = 100_000;

export interface FamilyTally {
  keys: number;
  withoutTtl: number;
  minTtlMs: number;
  maxTtlMs: number;
  /** Weighted sum of MEMORY USAGE and the weighted number of keys it covers. */
  memoryBytes: number;
  memoryWeight: number;
  /** Keys measured with MEMORY USAGE (unweighted). */
  memorySampled: number;
  /** Family keys inspected (unweighted). */
  inspected: number;
  maxIdleSeconds: number;
  idlestKey: Buffer | null;
  ttlsMs: number[];
}

export class KeyTally {
  visited = 0;
  weightedKeys = 0;
  /** Family keys inspected over all families (unweighted). */
  get inspected(): number {
    return this.families.reduce((sum, f) => sum + f.inspected, 0);
  }
  queueKeys = 0;
  readonly families: FamilyTally[];
  readonly namespaces = new Map<string, { prefix: Buffer; keys: number }>();
  /** Keys of namespaces beyond MAX_NAMESPACES. */
  overflowKeys = 0;
  readonly metaKeys = new Map<string, Buffer>();
  /** Queue keys drawn by a random pass (utf8), to find the queues the sample reveals. */
  readonly sampledQueueKeys = new Set<string>();

  constructor(familyCount: number) {
    this.families = Array.from({ length: familyCount }, () => ({
      keys: 0,
      withoutTtl: 0,
      minTtlMs: -1,
      maxTtlMs: -1,
      memoryBytes: 0,
      memoryWeight: 0,
      memorySampled: 0,
      inspected: 0,
      maxIdleSeconds: -1,
      idlestKey: null,
      ttlsMs: [],
    }));
  }

  /** Add one step; `weight` scales its counts (1 for a full pass). */
  add(step: StepResult, weight: number): void {
    this.visited += step.visited;
    this.weightedKeys += step.visited * weight;
    this.queueKeys += step.queueKeys * weight;
    step.families.forEach((f, i) => {
      const t = this.families[i];
      if (!t) return;
      t.keys += f.keys * weight;
      t.withoutTtl += f.withoutTtl * weight;
      if (f.minTtlMs >= 0 && (t.minTtlMs < 0 || f.minTtlMs < t.minTtlMs)) t.minTtlMs = f.minTtlMs;
      if (f.maxTtlMs > t.maxTtlMs) t.maxTtlMs = f.maxTtlMs;
      t.inspected += f.inspected;
      t.memoryBytes += f.memoryBytes * weight;
      t.memoryWeight += f.memorySampled * weight;
      t.memorySampled += f.memorySampled;
      if (f.maxIdleSeconds > t.maxIdleSeconds) {
        t.maxIdleSeconds = f.maxIdleSeconds;
        t.idlestKey = f.idlestKey;
      }
      for (const ttl of f.ttlsMs) if (t.ttlsMs.length < MAX_TTLS) t.ttlsMs.push(ttl);
    });
    for (const [prefix, keys] of step.namespaces) {
      const id = prefix.toString('latin1');
      const entry = this.namespaces.get(id);
      if (entry) entry.keys += keys * weight;
      else if (this.namespaces.size < MAX_NAMESPACES) this.namespaces.set(id, { prefix, keys: keys * weight });
      else this.overflowKeys += keys * weight;
    }
    for (const key of step.metaKeys) this.metaKeys.set(key.toString('latin1'), key);
    for (const key of step.sampledQueueKeys) {
      if (this.sampledQueueKeys.size >= MAX_SAMPLED_QUEUE_KEYS) break;
      this.sampledQueueKeys.add(key.toString('utf8'));
    }
  }

  /** Keys that belong to no family and no queue prefix (weighted). */
  unknownKeys(): number {
    let sum = this.overflowKeys;
    for (const entry of this.namespaces.values()) sum += entry.keys;
    return sum;
  }
}
