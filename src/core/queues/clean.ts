/**
 * `queues clean`: remove finished (or stale unprocessed) jobs older than a grace period through
 * BullMQ's own `Queue.clean`, one bounded call at a time, sized so each call stays short, under a
 * wall-clock budget. Active jobs are never a target: they belong to a worker holding their lock.
 */
import type { RedisConnection } from '../../redis/connect.js';
import { withQueue, type CleanableState } from './bull.js';
import type { QueueRef } from './discovery.js';

export interface CleanOptions {
  state: CleanableState;
  /** Keep jobs younger than this (ms). For completed/failed the age is from `finishedOn`. */
  graceMs: number;
  /** Remove at most this many jobs. Default: no limit. */
  limit?: number;
  /** Stop starting new batches after this long (ms). Default 60 s. */
  maxTimeMs?: number;
  /** Count what would go; change nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: { queue: string; removed: number; elapsedMs: number }) => void;
  /** First batch size (adapted afterwards to keep each call near `targetCallMs`). Default 1000. */
  batch?: number;
  /** Aim for server calls of about this long (ms). Default 20. */
  targetCallMs?: number;
  /** Clock (tests). */
  now?: number;
}

export type StopReason = 'done' | 'limit' | 'time' | 'signal';

export interface CleanResult {
  queue: string;
  state: CleanableState;
  graceMs: number;
  /** Jobs older than this instant (epoch ms) were eligible. */
  cutoff: number;
  dryRun: boolean;
  /** Dry run: jobs that would be removed (capped by `limit`). Real run: same as `removed`. */
  matched: number;
  removed: number;
  batches: number;
  elapsedMs: number;
  stoppedBy: StopReason;
  /** Jobs left in that state afterwards. */
  remaining: number;
}

export const DEFAULT_MAX_TIME_MS = 60_000;
const MIN_BATCH = 100;
const MAX_BATCH = 10_000;

/** Clean one state of one queue. Never removes active jobs (the state is not accepted). */
export async function cleanQueue(connection: RedisConnection, ref: QueueRef, options: CleanOptions): Promise<CleanResult> {
  const started = performance.now();
  const cutoff = (options.now ?? Date.now()) - options.graceMs;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const budget = options.maxTimeMs ?? DEFAULT_MAX_TIME_MS;
  const base = { queue: ref.key, state: options.state, graceMs: options.graceMs, cutoff, dryRun: options.dryRun === true };

  if (options.dryRun) {
    const { count, stoppedBy } = await countEligible(connection, ref, options.state, cutoff, limit, budget, options.signal);
    const remaining = await stateSize(connection, ref, options.state);
    return { ...base, matched: count, removed: 0, batches: 0, elapsedMs: performance.now() - started, stoppedBy, remaining };
  }

  // BullMQ's clean script appends a "cleaned" event even when it removes nothing: an idle queue
  // (every maintenance run) must not gain events for no change.
  if (!(await anyEligible(connection, ref, options.state, cutoff))) {
    const remaining = await stateSize(connection, ref, options.state);
    return { ...base, matched: 0, removed: 0, batches: 0, elapsedMs: performance.now() - started, stoppedBy: 'done', remaining };
  }

  return withQueue(connection, ref, async (queue) => {
    const target = options.targetCallMs ?? 20;
    let batch = clamp(options.batch ?? 1000);
    let removed = 0;
    let batches = 0;
    let stoppedBy: StopReason = 'done';
    for (;;) {
      if (removed >= limit) {
        stoppedBy = 'limit';
        break;
      }
      if (options.signal?.aborted) {
        stoppedBy = 'signal';
        break;
      }
      if (performance.now() - started >= budget) {
        stoppedBy = 'time';
        break;
      }
      const size = Math.min(batch, limit - removed);
      const t0 = performance.now();
      // Keep the cutoff fixed for the whole run: grace is re-derived from it for every call.
      const ids = await queue.clean(Math.max(0, Date.now() - cutoff), size, options.state);
      const took = performance.now() - t0;
      batches++;
      removed += ids.length;
      options.onProgress?.({ queue: ref.key, removed, elapsedMs: performance.now() - started });
      if (ids.length < size) break;
      // Size the next call from this one's rate so each stays near the target duration.
      batch = clamp(Math.round((ids.length / Math.max(took, 0.5)) * target));
    }
    const remaining = await stateSize(connection, ref, options.state);
    return { ...base, matched: removed, removed, batches, elapsedMs: performance.now() - started, stoppedBy, remaining };
  });
}

function clamp(n: number): number {
  return Math.max(MIN_BATCH, Math.min(MAX_BATCH, n));
}

/** Jobs currently in `state`. */
export async function stateSize(connection: RedisConnection, ref: QueueRef, state: CleanableState): Promise<number> {
  const key = `${ref.key}:${state}`;
  return state === 'wait' ? connection.client.llen(key) : connection.client.zcard(key);
}

/**
 * False only when `Queue.clean` surely finds nothing: an empty state, or finished jobs (scored by
 * `finishedOn`) all after the cutoff (BullMQ takes scores up to it). Other states are not ordered by age: any job may be.
 */
async function anyEligible(connection: RedisConnection, ref: QueueRef, state: CleanableState, cutoff: number): Promise<boolean> {
  if (state === 'completed' || state === 'failed') return (await connection.client.zcount(`${ref.key}:${state}`, '-inf', String(cutoff))) > 0;
  return (await stateSize(connection, ref, state)) > 0;
}

/** Job timestamps `Queue.clean` compares with the cutoff, per state (first one set wins). */
const AGE_FIELDS: Record<CleanableState, string[]> = {
  completed: ['finishedOn'],
  failed: ['finishedOn'],
  delayed: ['processedOn', 'timestamp'],
  prioritized: ['timestamp'],
  wait: ['finishedOn', 'processedOn', 'timestamp'],
};

const PAGE = 1000;

/**
 * What a clean would remove. Finished jobs: one ZCOUNT on their finish time (exact). Others:
 * read each job's timestamp page by page (bounded by `limit` and the time budget).
 */
async function countEligible(
  connection: RedisConnection,
  ref: QueueRef,
  state: CleanableState,
  cutoff: number,
  limit: number,
  budgetMs: number,
  signal?: AbortSignal,
): Promise<{ count: number; stoppedBy: StopReason }> {
  const c = connection.client;
  const key = `${ref.key}:${state}`;
  if (state === 'completed' || state === 'failed') {
    const n = await c.zcount(key, '-inf', cutoff);
    return { count: Math.min(n, limit), stoppedBy: n > limit ? 'limit' : 'done' };
  }
  const started = performance.now();
  const fields = AGE_FIELDS[state];
  let count = 0;
  for (let start = 0; ; start += PAGE) {
    if (signal?.aborted) return { count, stoppedBy: 'signal' };
    if (performance.now() - started >= budgetMs) return { count, stoppedBy: 'time' };
    const ids = state === 'wait' ? await c.lrange(key, start, start + PAGE - 1) : await c.zrange(key, start, start + PAGE - 1);
    const stamps = await Promise.all(ids.map((id) => c.hmget(`${ref.key}:${id}`, ...fields)));
    for (const values of stamps) {
      const first = values.find((v) => v !== null && v !== '');
      if (first === undefined || Number(first) <= cutoff) count++;
      if (count >= limit) return { count, stoppedBy: 'limit' };
    }
    if (ids.length < PAGE) return { count, stoppedBy: 'done' };
  }
}
