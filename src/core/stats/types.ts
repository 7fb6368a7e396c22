/**
 * The shape of `cachectl stats` (also its documented `--json` output, see docs/stats-doctor.md).
 * Counts marked "estimated" come from a random sample unless `method` is `exact`.
 */
import type { ConnectionMode } from '../../redis/connect.js';
import type { QueueCounts } from '../queues/discovery.js';
import type { MaintenanceStatus } from './maintenance.js';
import type { ServerFlavor } from '../../redis/server-info.js';
import type { StepPacer } from './passes.js';

/** Progress of a long pass, reported through `StatsOptions.onProgress`. */
/** Memory figures of one master, or of all of them (see where it is used). */
export interface MemoryFigures {
  usedBytes: number;
  peakBytes: number;
  rssBytes: number;
  /** `mem_fragmentation_ratio` (RSS / used). */
  fragmentationRatio: number;
  /** 0 = no limit; null when neither INFO nor CONFIG GET would tell. */
  maxmemoryBytes: number | null;
  /** `maxmemory-policy`, or `unknown` (e.g. CONFIG GET denied by ACL on an old server). */
  policy: string;
}

export interface StatsProgress {
  phase: 'server' | 'scan' | 'sample' | 'queues' | 'maintenance';
  /** Keys visited so far (scan) or drawn so far (sample). */
  done: number;
  /** Keys expected in total (DBSIZE sum) or draws planned. */
  total: number;
}

export interface StatsOptions {
  /** Keys drawn at random (RANDOMKEY, spread over masters by size) to estimate shares, memory, idle time. Default 10 000. */
  sample?: number;
  /** Count and check the TTL of every key (one server-side SCAN pass) instead of estimating. */
  exact?: boolean;
  /** Leading `:`-separated segments that name a namespace of keys outside every family. Default 1. */
  namespaceDepth?: number;
  /** How many unknown namespaces to list (the rest are summed). Default 10. */
  topNamespaces?: number;
  /** Skip BullMQ queue discovery and counts. */
  skipQueues?: boolean;
  /**
   * Sampled mode: find queues with a full SCAN MATCH pass (every queue, slower) instead of taking
   * them from the last maintenance record plus the sample. `exact` always finds them in its pass.
   */
  scanQueues?: boolean;
  /**
   * List the N biggest keys (MEMORY USAGE) per family and among keys of no family, with the size
   * spread per family (`result.top`). Sampled: the biggest of the sampled keys; with `exact`,
   * every key is measured. Default 0 (none).
   */
  top?: number;
  /** Count keys per tenant namespace (`tenant:<id>:`) into `result.tenants`. */
  tenants?: boolean;
  /** Sizes and spaces the server-side steps (the exporter's server-time budget). */
  pacer?: StepPacer;
  /** Stops between steps; the call then rejects with a `PartialError`. */
  signal?: AbortSignal;
  onProgress?: (progress: StatsProgress) => void;
  /** Clock for "next run due" / "overdue" (tests). */
  now?: Date;
}

export interface DbKeyspace {
  db: number;
  keys: number;
  /** Keys with a TTL (INFO keyspace `expires`). */
  keysWithExpiry: number;
  avgTtlMs: number;
}

/** What one master says about itself (INFO). */
export interface MasterStats {
  address: string;
  flavor: ServerFlavor;
  version: string;
  /** The Redis protocol version the server claims (Valkey reports one too). */
  redisVersion: string;
  role: string;
  uptimeSeconds: number;
  connectedClients: number;
  blockedClients: number;
  memory: MemoryFigures;
  /** Every database with keys (INFO keyspace). */
  dbs: DbKeyspace[];
  /** The database cachectl works on (from the URL; 0 on a cluster). */
  db: number;
  /** DBSIZE of that database. */
  keys: number;
  expiredKeys: number;
  evictedKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
}

export interface TtlSpread {
  minSeconds: number;
  medianSeconds: number | null;
  maxSeconds: number;
  /** Where min/max come from: every key (`exact`) or the sample. The median comes from the inspected keys. */
  minMaxFrom: 'exact' | 'sample';
}

export interface FamilyStats {
  name: string;
  template: string;
  /** Expected TTL from the config, when set. */
  ttlSeconds: number | null;
  keys: number;
  /** Share of the keyspace (0..1). */
  share: number;
  /** Keys without a TTL. */
  withoutTtl: number;
  /** Share of this family's keys without a TTL (0..1). */
  withoutTtlShare: number;
  /** True when the family sets ttlSeconds and has keys without a TTL. */
  ttlFlagged: boolean;
  /** Keys whose remaining TTL is above the family's ttlSeconds (null when it sets none). */
  keysAboveTtl: number | null;
  /** Remaining TTL of the keys that have one; null when none has. */
  ttl: TtlSpread | null;
  /** Estimated memory: mean MEMORY USAGE of the sampled keys times `keys`; null when none was sampled. */
  memory: { bytes: number; meanBytes: number; sampleSize: number } | null;
  /** The longest-idle sampled key, or why idle time is unknown. */
  idle: { maxSeconds: number; key: string } | { unavailable: string } | null;
  /** Keys of this family that were inspected (MEMORY USAGE, IDLETIME, TTL value). */
  sampleSize: number;
}

export interface NamespaceStats {
  /** `feature-flags:*`; `(no namespace)` for keys without `:`. Escaped like redis-cli prints keys. */
  namespace: string;
  keys: number;
  share: number;
}

/** Where the list of queues came from. */
/** A would-be queue whose key `key` holds a `found` where BullMQ keeps a `expected`. */
export interface MalformedQueueStats {
  queue: string;
  key: string;
  found: string;
  expected: string;
}

export interface QueueDiscovery {
  /**
   * `full-pass`: every queue (the --exact / census pass, or `scanQueues`);
   * `maintenance-record+sample`: the queues the last maintenance run found plus those the sample
   * revealed, each confirmed to still exist; `sample`: no maintenance record, the sample only.
   */
  method: 'full-pass' | 'maintenance-record+sample' | 'sample';
  /** When the maintenance run's discovery pass started (ISO time). */
  asOf?: string;
  /** Queues of the maintenance record that still exist. */
  fromRecord?: number;
  /** Queues found through sampled keys and not in the record. */
  fromSample?: number;
  /** Queues of the maintenance record whose `:meta` key is gone since. */
  goneSinceRecord?: number;
  /** What the list may be missing, in words. */
  note?: string;
}

export interface QueueStats {
  prefix: string;
  name: string;
  key: string;
  counts: QueueCounts;
}

/** Spread of MEMORY USAGE over the measured keys of a group (bytes). */
export interface SizeSpread {
  /** Keys whose size the p50/p99 come from. */
  measured: number;
  p50: number;
  p99: number;
  /** The biggest key found (over every key with `exact`). */
  max: number;
}

export interface BigKey {
  /** Escaped like redis-cli prints keys. */
  key: string;
  bytes: number;
}

/** `stats --top N`: the biggest keys per family and among keys of no family. */
export interface TopKeys {
  limit: number;
  /** `exact`: every key was measured (biggest keys and max are exact); `sample`: the sampled keys. */
  from: 'exact' | 'sample';
  families: Array<{ family: string; spread: SizeSpread | null; keys: BigKey[] }>;
  unknown: { spread: SizeSpread | null; keys: Array<BigKey & { namespace: string }> };
}

/** Keys per tenant namespace (`tenant:<id>:`), from the sample or the full pass. */
export interface TenantKeys {
  /** Keys per tenant namespace; `policy`: the tenant's own retention / TTL per family (`tenantPolicies`). */
  tenants: Array<{ tenant: string; keys: number; listed: boolean; policy?: Record<string, { maxAgeHours?: number; ttlSeconds?: number }> }>;
  /** Keys of tenants beyond the counted ones. */
  otherKeys: number;
}

/** The fields of the earlier clear-cache.js `stats` output, for scripts that read them. */
export interface StatsSummary {
  timestamp: string;
  totalKeys: number;
  /** Keys of the `userState` family (0 when the family is not configured). */
  userStates: number;
  memory: { usedBytes: number; usedHuman: string; peakBytes: number; peakHuman: string; rssBytes: number };
  /** Job counts summed over every queue found. */
  queue: QueueCounts;
}

export interface StatsResult {
  timestamp: string;
  target: string;
  mode: ConnectionMode;
  durationMs: number;
  sampling: {
    /** `exact`: every key was classified; `sample`: shares and counts are estimates. */
    method: 'exact' | 'sample';
    /** Sample size asked for. */
    requested: number;
    /** Keys drawn (sample), or family keys inspected for memory, idle time and TTL median (exact; every key in a census). */
    inspected: number;
    /** True when the keyspace was small enough to inspect every key. */
    everyKeyInspected: boolean;
  };
  server: {
    flavor: ServerFlavor;
    version: string;
    masters: MasterStats[];
  };
  /** Summed over the masters; `fragmentationRatio` is the worst one, `policy` the common one or `mixed`. */
  memory: MemoryFigures;
  keyspace: {
    keys: number;
    keysWithExpiry: number;
    expiredKeys: number;
    evictedKeys: number;
    keyspaceHits: number;
    keyspaceMisses: number;
    /** hits / (hits + misses); null before any lookup. */
    hitRatio: number | null;
  };
  families: FamilyStats[];
  /** Keys under a BullMQ prefix (counted as queues, never as unknown). */
  queueKeys: { keys: number; share: number };
  /** Keys no family describes, grouped by leading segments. */
  unknown: { keys: number; share: number; depth: number; namespaces: NamespaceStats[]; otherKeys: number; otherNamespaces: number };
  queues: QueueStats[];
  /** How `queues` was found; null when queues were skipped. */
  queueDiscovery: QueueDiscovery | null;
  /** Keys that look like a queue's but BullMQ did not write them so (left out of `queues`). */
  malformedQueues: MalformedQueueStats[];
  maintenance: MaintenanceStatus | null;
  summary: StatsSummary;
  /** Things that could not be read (ACL, LFU policy, …); the rest of the result stands. */
  warnings: string[];
  /** With `top`: the biggest keys. */
  top?: TopKeys;
  /** With `tenants`: keys per tenant, biggest first. */
  tenants?: TenantKeys;
}
