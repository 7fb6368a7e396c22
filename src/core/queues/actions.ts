/**
 * Queue-wide actions through BullMQ's own API: retry finished jobs, pause, resume, obliterate.
 * Each opens a `Queue` for the one call and closes it.
 */
import { SafetyError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { withQueue, type FinishedState } from './bull.js';
import { queueCounts, totalJobs, type QueueRef } from './discovery.js';

export interface RetryOptions {
  /** Which finished jobs go back to wait. Default `failed`. */
  state?: FinishedState;
  /** Retry at most this many (the oldest first). Default: all. */
  limit?: number;
  dryRun?: boolean;
}

export interface RetryResult {
  queue: string;
  state: FinishedState;
  dryRun: boolean;
  /** Jobs in that state when the run began (capped by `limit`). */
  matched: number;
  retried: number;
}

/**
 * Move failed (or completed) jobs back to wait. Without a limit this is BullMQ's
 * `Queue.retryJobs` (batches of 1000, only jobs finished before the call began); with one, the
 * oldest `limit` jobs are retried one by one with `Job.retry`.
 */
export async function retryJobs(connection: RedisConnection, ref: QueueRef, options: RetryOptions = {}): Promise<RetryResult> {
  const state = options.state ?? 'failed';
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const key = `${ref.key}:${state}`;
  const startedAt = Date.now();
  const inState = await connection.client.zcount(key, '-inf', startedAt);
  const matched = Math.min(inState, limit);
  const base = { queue: ref.key, state, dryRun: options.dryRun === true, matched };
  if (options.dryRun || matched === 0) return { ...base, retried: 0 };
  return withQueue(connection, ref, async (queue) => {
    if (!Number.isFinite(limit)) {
      await queue.retryJobs({ state, count: 1000, timestamp: startedAt });
      // Jobs finishing meanwhile land after `startedAt` and are neither retried nor counted.
      const left = await connection.client.zcount(key, '-inf', startedAt);
      return { ...base, retried: Math.max(0, inState - left) };
    }
    let retried = 0;
    const jobs = await queue.getJobs([state], 0, matched - 1, true);
    for (const job of jobs) {
      try {
        await job.retry(state);
        retried++;
      } catch {
        // Gone, locked or no longer in that state since it was listed: leave it.
      }
    }
    return { ...base, retried };
  });
}

export interface PauseResult {
  queue: string;
  dryRun: boolean;
  /** Paused before the call. */
  wasPaused: boolean;
  isPaused: boolean;
}

/** Pause a queue globally (workers finish what they hold, then take nothing new). */
export function pauseQueue(connection: RedisConnection, ref: QueueRef, options: { dryRun?: boolean } = {}): Promise<PauseResult> {
  return setPaused(connection, ref, true, options.dryRun === true);
}

/** Resume a paused queue. */
export function resumeQueue(connection: RedisConnection, ref: QueueRef, options: { dryRun?: boolean } = {}): Promise<PauseResult> {
  return setPaused(connection, ref, false, options.dryRun === true);
}

async function setPaused(connection: RedisConnection, ref: QueueRef, pause: boolean, dryRun: boolean): Promise<PauseResult> {
  return withQueue(connection, ref, async (queue) => {
    const wasPaused = await queue.isPaused();
    if (!dryRun && wasPaused !== pause) await (pause ? queue.pause() : queue.resume());
    return { queue: ref.key, dryRun, wasPaused, isPaused: dryRun ? wasPaused : await queue.isPaused() };
  });
}

export interface ObliterateOptions {
  /** Go ahead even with active jobs (their workers will see "Missing lock" errors). */
  force?: boolean;
  dryRun?: boolean;
  /** Keys removed per server call. Default 1000. */
  count?: number;
}

export interface ObliterateResult {
  queue: string;
  dryRun: boolean;
  /** Jobs per state just before (what goes). */
  jobs: number;
  active: number;
  obliterated: boolean;
}

/**
 * Remove a queue and everything in it. Pauses it first; refuses (SafetyError, nothing changed)
 * while jobs are active unless `force` (a dry run reports `active` instead of refusing). If a job turns active between the check and the pause,
 * the queue is resumed again (when it was running before) and the run refused.
 */
export async function obliterateQueue(connection: RedisConnection, ref: QueueRef, options: ObliterateOptions = {}): Promise<ObliterateResult> {
  const counts = await queueCounts(connection, ref);
  const jobs = totalJobs(counts);
  const base = { queue: ref.key, dryRun: options.dryRun === true, jobs, active: counts.active };
  if (options.dryRun) return { ...base, obliterated: false };
  assertNoActive(ref, counts.active, options.force);
  return withQueue(connection, ref, async (queue) => {
    const wasPaused = await queue.isPaused();
    await queue.pause();
    const active = await queue.getActiveCount();
    if (active > 0 && !options.force) {
      if (!wasPaused) await queue.resume();
      assertNoActive(ref, active, false);
    }
    await queue.obliterate({ force: options.force === true, count: options.count ?? 1000 });
    return { ...base, active, obliterated: true };
  });
}

/** SafetyError (exit 4) when jobs are active and `force` is not set. */
export function assertNoActive(ref: QueueRef, active: number, force: boolean | undefined): void {
  if (active > 0 && !force) {
    throw new SafetyError(`Refusing to obliterate ${ref.key}: ${active} job(s) are active`, {
      hint: 'wait for the workers to finish (or stop them), or pass --force to remove active jobs too (their workers will error)',
    });
  }
}
