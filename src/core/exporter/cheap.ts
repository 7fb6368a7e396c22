/**
 * What the exporter reads at every scrape, because it is cheap and should be fresh: INFO of every
 * master (server, memory, keyspace), the cluster state, the invalidation stream's consumer group,
 * the maintenance run record, and the job counts and oldest waiting job of the known queues.
 * A few commands per master and per queue; no pass over the keyspace.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';
import { collectListenStatus, type ListenStatus } from '../invalidation/status.js';
import { ownKeys } from '../records/own-keys.js';
import { readRuns } from '../records/runs.js';
import { queueCounts, type QueueCounts, type QueueRef } from '../queues/discovery.js';
import { judgeMaintenance, RUNS_READ, type MaintenanceStatus } from '../stats/maintenance.js';
import { masterStats } from '../stats/server.js';
import type { MasterStats } from '../stats/types.js';

export interface QueueReading {
  ref: QueueRef;
  counts: QueueCounts;
  /** Age of the oldest job in the wait list (timestamp + delay), null when nothing waits. */
  oldestWaitingSeconds: number | null;
}

export interface CheapReading {
  at: Date;
  /** Every master that answered INFO. */
  masters: MasterStats[];
  /** Masters of the connection's view that did not answer (`host:port`). */
  downMasters: string[];
  /** False when a cluster node reports cluster_state other than ok (slots not served). */
  clusterOk: boolean;
  /** Sections that could not be read (ACL, …), by name; the rest stands. */
  errors: Record<string, string>;
  listen: ListenStatus | null;
  maintenance: MaintenanceStatus | null;
  queues: QueueReading[];
}

/** Read everything cheap. Rejects only when no master answers. */
export async function readCheap(connection: RedisConnection, config: CachectlConfig, queues: QueueRef[], now: Date): Promise<CheapReading> {
  const nodes = connection.masters();
  const warnings: string[] = [];
  const [infos, cluster, listen, runs, readings] = await Promise.all([
    Promise.allSettled(nodes.map((node) => masterStats(connection, node, warnings))),
    connection.mode === 'cluster' ? clusterStates(connection) : Promise.resolve(true),
    settle(collectListenStatus(connection, config)),
    settle(readRuns(connection, ownKeys(config).runs, RUNS_READ)),
    settle(Promise.all(queues.map((ref) => readQueue(connection, ref, now.getTime())))),
  ]);
  const masters: MasterStats[] = [];
  const downMasters: string[] = [];
  let firstError: unknown;
  infos.forEach((result, i) => {
    if (result.status === 'fulfilled') masters.push(result.value);
    else {
      downMasters.push(connection.nodeName(nodes[i]!));
      firstError ??= result.reason;
    }
  });
  if (masters.length === 0) throw firstError ?? new Error('no master to read');
  const errors: Record<string, string> = {};
  if (listen instanceof Error) errors.invalidation = listen.message;
  if (runs instanceof Error) errors.maintenance = runs.message;
  if (readings instanceof Error) errors.queues = readings.message;
  return {
    at: now,
    masters,
    downMasters,
    clusterOk: cluster,
    errors,
    listen: listen instanceof Error ? null : listen,
    maintenance:
      runs instanceof Error
        ? null
        : judgeMaintenance(runs, {
            schedule: config.maintenance.schedule,
            timezone: config.maintenance.timezone,
            graceMinutes: config.doctor.maintenanceGraceMinutes,
            now,
          }),
    queues: readings instanceof Error ? [] : readings,
  };
}

/** Job counts and the age of the oldest waiting job of one queue (read-only). */
async function readQueue(connection: RedisConnection, ref: QueueRef, now: number): Promise<QueueReading> {
  const c = connection.client;
  const k = (suffix: string) => `${ref.key}:${suffix}`;
  // Producers LPUSH and workers take from the tail, so the tail is the oldest; LIFO jobs go to the
  // tail, so look at both ends (as doctor does).
  const [counts, tail, head] = await Promise.all([queueCounts(connection, ref), c.lindex(k('wait'), -1), c.lindex(k('wait'), 0)]);
  const ids = [...new Set([tail, head].filter((id): id is string => typeof id === 'string'))];
  const times = await Promise.all(
    ids.map(async (id) => {
      const [timestamp, delay] = await c.hmget(k(id), 'timestamp', 'delay');
      const t = Number(timestamp);
      return Number.isFinite(t) && t > 0 ? t + (Number(delay) || 0) : null;
    }),
  );
  const known = times.filter((t): t is number => t !== null);
  return { ref, counts, oldestWaitingSeconds: known.length > 0 ? Math.max(0, now - Math.min(...known)) / 1000 : null };
}

/** True when every master says cluster_state:ok (a node that does not answer is counted elsewhere). */
async function clusterStates(connection: RedisConnection): Promise<boolean> {
  const states = await Promise.allSettled(connection.masters().map((node) => node.call('CLUSTER', 'INFO') as Promise<string>));
  return states.every((s) => s.status === 'rejected' || /cluster_state:ok/.test(String(s.value)));
}

async function settle<T>(promise: Promise<T>): Promise<T | Error> {
  try {
    return await promise;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
