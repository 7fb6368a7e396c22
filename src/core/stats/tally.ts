/**
 * Adding up step results. Every step's counts are multiplied by a weight: 1 for a full pass, and
 * DBSIZE / draws for a random sample of one master, so a cluster's masters are combined in
 * proportion to their size. Memory stays flat: namespaces are capped and TTL values are bounded
 * by the sample size.
 */
import type { SizedKey, StepResult } from './step.js';

/** Distinct unknown namespaces kept; keys of further ones are summed as "other". */
export const MAX_NAMESPACES = 10_000;
/** TTL values kept per family for the median. */
const MAX_TTLS = 200_000;
/** Distinct sampled queue keys kept (they only serve to name queues; a sample repeats queues). */
export const MAX_SAMPLED_QUEUE_KEYS = 100_000;
/** Distinct tenants counted; keys of further ones are summed in `otherTenantKeys`. */
export const MAX_TENANTS = 10_000;

/** The N biggest keys seen so far (a key drawn twice counts once). */
export class BiggestKeys {
  private readonly byKey = new Map<string, SizedKey>();

  constructor(readonly limit: number) {}

  add(list: SizedKey[]): void {
    if (this.limit <= 0) return;
    for (const item of list) this.byKey.set(item.key.toString('latin1'), item);
    if (this.byKey.size > 4 * this.limit) this.trim();
  }

  /** Biggest first, at most `limit`. */
  list(): SizedKey[] {
    this.trim();
    return [...this.byKey.values()];
  }

  private trim(): void {
    const kept = [...this.byKey.entries()].sort((a, b) => b[1].bytes - a[1].bytes || (a[0] < b[0] ? -1 : 1)).slice(0, this.limit);
    this.byKey.clear();
    for (const [id, item] of kept) this.byKey.set(id, item);
  }
}

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
  /** Keys whose TTL is above the family's ttlSeconds (weighted). */
  overTtl: number;
  /** MEMORY USAGE of the inspected keys (with `top`), for the size spread. */
  sizes: number[];
  biggest: BiggestKeys;
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
  /** Keys of no family: sizes of the inspected ones and the biggest (with `top`). */
  readonly unknown: { inspected: number; sizes: number[]; biggest: BiggestKeys };
  /** Keys per tenant (weighted), when tenants are counted. */
  readonly tenants = new Map<string, number>();
  otherTenantKeys = 0;

  constructor(familyCount: number, top = 0) {
    this.unknown = { inspected: 0, sizes: [], biggest: new BiggestKeys(top) };
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
      overTtl: 0,
      sizes: [],
      biggest: new BiggestKeys(top),
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
      t.overTtl += f.overTtl * weight;
      for (const bytes of f.sizes) if (t.sizes.length < MAX_TTLS) t.sizes.push(bytes);
      t.biggest.add(f.top);
    });
    this.unknown.inspected += step.unknown.inspected;
    for (const bytes of step.unknown.sizes) if (this.unknown.sizes.length < MAX_TTLS) this.unknown.sizes.push(bytes);
    this.unknown.biggest.add(step.unknown.top);
    for (const [tenant, keys] of step.tenants) {
      const seen = this.tenants.get(tenant);
      if (seen !== undefined) this.tenants.set(tenant, seen + keys * weight);
      else if (this.tenants.size < MAX_TENANTS) this.tenants.set(tenant, keys * weight);
      else this.otherTenantKeys += keys * weight;
    }
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
