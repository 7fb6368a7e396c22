/**
 * The exporter's costly figures, refreshed on their own interval within the server-time budget:
 * the sampled key census (families, TTL coverage and breaches, memory, tenants, unknown
 * namespaces) through the paced stats steps, the queue probes (stalled jobs, oldest failed job,
 * events stream length), and the doctor verdicts built from them.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';
import { censusChecks } from '../doctor/census-checks.js';
import { probeQueue } from '../doctor/queue-probes.js';
import type { DoctorCheck } from '../doctor/types.js';
import { worst } from '../doctor/types.js';
import { collectPing } from '../ping.js';
import { queueCounts, type QueueRef } from '../queues/discovery.js';
import { collectStats } from '../stats/collect.js';
import { existingQueues } from '../stats/queue-sources.js';
import type { StatsResult } from '../stats/types.js';
import type { BudgetPacer } from './pacer.js';

export interface Snapshot {
  /** When the refresh finished. */
  at: Date;
  /** Wall time of the refresh, ms. */
  durationMs: number;
  /** Sum of the paced steps' round trips (an upper bound of the server time they took), ms. */
  serverMs: number;
  /** The longest paced step, ms. */
  longestStepMs: number;
  stats: StatsResult;
  /** Every queue known: the census's (maintenance record + sample) and the discovery pass's. */
  queues: QueueRef[];
  /** Doctor checks that judge the server (the ecosystem file is not the exporter's business). */
  checks: DoctorCheck[];
  /** Worst of the checks. */
  status: 'pass' | 'warn' | 'fail';
}

export interface RefreshOptions {
  sample: number;
  pacer: BudgetPacer;
  /** Queues found by the last discovery pass. */
  discovered: QueueRef[];
  /** Most queues probed and exported (the rest are counted, not exported). */
  maxQueues: number;
  now: Date;
  signal?: AbortSignal;
}

/** One refresh. Rejects when the server fails or `signal` aborts it. */
export async function refreshSnapshot(connection: RedisConnection, config: CachectlConfig, options: RefreshOptions): Promise<Snapshot> {
  const started = performance.now();
  options.pacer.take((kind) => kind.startsWith('stats-'));
  const stats = await collectStats(connection, config, {
    sample: options.sample,
    tenants: true,
    pacer: options.pacer,
    now: options.now,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const cost = options.pacer.take((kind) => kind.startsWith('stats-'));
  const queues = await knownQueues(connection, stats, options.discovered);
  const probed = queues.slice(0, options.maxQueues);
  const counted = await Promise.all(
    probed.map(async (ref) => stats.queues.find((q) => q.key === ref.key) ?? { ...ref, counts: await queueCounts(connection, ref) }),
  );
  const now = options.now.getTime();
  const [probes, ping] = await Promise.all([Promise.all(counted.map((q) => probeQueue(connection, q, now))), collectPing(connection)]);
  const judged: StatsResult = { ...stats, queues: counted };
  const checks = censusChecks(judged, probes, ping, config, options.now);
  return {
    at: new Date(),
    durationMs: performance.now() - started,
    serverMs: cost.elapsedMs,
    longestStepMs: cost.longestMs,
    stats,
    queues,
    checks,
    status: worst(checks.map((c) => c.status)) as Snapshot['status'],
  };
}

/** The census's queues and the discovered ones that still exist, sorted by key. */
async function knownQueues(connection: RedisConnection, stats: StatsResult, discovered: QueueRef[]): Promise<QueueRef[]> {
  const byKey = new Map<string, QueueRef>();
  for (const q of stats.queues) byKey.set(q.key, { prefix: q.prefix, name: q.name, key: q.key });
  const extra = discovered.filter((ref) => !byKey.has(ref.key));
  const alive = extra.length > 0 ? await existingQueues(connection, extra) : new Set<string>();
  for (const ref of extra) if (alive.has(ref.key)) byKey.set(ref.key, ref);
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
