/**
 * The queue half of `clear-all --queue` (the earlier tool's "clear caches and queue"), run after
 * the cache families are cleared: clean finished jobs past their retention, back up then drain
 * the waiting and delayed jobs. Active jobs are never removed.
 */
import path from 'node:path';
import type { CachectlConfig } from '../../config/load.js';
import { PartialError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { clusterProblem, resolveQueue } from './bull.js';
import { cleanQueue, type CleanResult } from './clean.js';
import { discoverQueues, type QueueRef } from './discovery.js';
import { backupFileNames, drainQueue, type DrainResult } from './drain.js';

export interface ClearQueuesOptions {
  /** Only these queues (names or `<prefix>:<name>`); default every queue under `queues.prefixes`. */
  queues?: string[];
  /** Logs folder; backups go to `<logsDir>/backups`. Default: `config.logs.dir` resolved from the process cwd. */
  logsDir?: string;
  /** Also drain delayed jobs (default true: "waiting/delayed jobs are exported, then drained"). */
  delayed?: boolean;
  dryRun?: boolean;
  /** Budget for each clean step (ms). Default 60 s. */
  maxTimeMs?: number;
  signal?: AbortSignal;
  onProgress?: (event: { queue: string; step: 'clean-completed' | 'clean-failed' | 'take' | 'backup' | 'remove'; done: number; total?: number }) => void;
  now?: number;
}

export interface ClearedQueue {
  queue: string;
  completed: CleanResult;
  failed: CleanResult;
  drain: DrainResult;
}

export interface ClearQueuesResult {
  dryRun: boolean;
  backupDir: string;
  queues: ClearedQueue[];
  /** Queues left alone, and why (e.g. a non-hash-tagged prefix on a cluster). */
  skippedQueues: Array<{ queue: string; reason: string }>;
  totals: { cleaned: number; backedUp: number; drained: number; skippedJobs: number };
  interrupted: boolean;
}

/** The queues a run works on, where their backups go, and each one's backup file. */
export interface QueuePlan {
  refs: QueueRef[];
  backupDir: string;
  now: number;
  files: Map<string, string>;
}

/** Resolve (or discover) the queues and name their backup files (no change). */
export async function planQueues(connection: RedisConnection, config: CachectlConfig, options: ClearQueuesOptions = {}): Promise<QueuePlan> {
  const prefixes = config.queues.prefixes;
  const refs: QueueRef[] = options.queues?.length
    ? await Promise.all(options.queues.map((name) => resolveQueue(connection, name, prefixes)))
    : await discoverQueues(connection, prefixes, { signal: options.signal, count: config.scan.count });
  const backupDir = path.join(path.resolve(options.logsDir ?? config.logs.dir), 'backups');
  const now = options.now ?? Date.now();
  const usable = refs.filter((ref) => !clusterProblem(connection, ref));
  return { refs, backupDir, now, files: backupFileNames(backupDir, usable, new Date(now)) };
}

/** Clean and drain every queue (or the given ones, or those of `plan`), one queue at a time. */
export async function clearQueuesAfterCaches(
  connection: RedisConnection,
  config: CachectlConfig,
  options: ClearQueuesOptions = {},
  planned?: QueuePlan,
): Promise<ClearQueuesResult> {
  const { refs, backupDir, now, files } = planned ?? (await planQueues(connection, config, options));
  const result: ClearQueuesResult = {
    dryRun: options.dryRun === true,
    backupDir,
    queues: [],
    skippedQueues: [],
    totals: { cleaned: 0, backedUp: 0, drained: 0, skippedJobs: 0 },
    interrupted: false,
  };
  for (const ref of refs) {
    if (options.signal?.aborted) {
      result.interrupted = true;
      break;
    }
    try {
      if (!(await clearOne(connection, config, ref, options, result, { backupDir, now, files }))) break;
    } catch (error) {
      // What was done so far stays reported: the queues cleared before, and this one's failure.
      throw new PartialError(`clearing queue ${ref.key} failed: ${(error as Error)?.message ?? error}`, result, { cause: error });
    }
  }
  return result;
}

/** Clean then drain one queue; false when interrupted (stop). */
async function clearOne(
  connection: RedisConnection,
  config: CachectlConfig,
  ref: QueueRef,
  options: ClearQueuesOptions,
  result: ClearQueuesResult,
  { backupDir, now, files }: Pick<QueuePlan, 'backupDir' | 'now' | 'files'>,
): Promise<boolean> {
  const problem = clusterProblem(connection, ref);
  if (problem) {
    result.skippedQueues.push({ queue: ref.key, reason: problem });
    return true;
  }
  const clean = (state: 'completed' | 'failed', hours: number) =>
    cleanQueue(connection, ref, {
      state,
      graceMs: hours * 3_600_000,
      dryRun: options.dryRun,
      maxTimeMs: options.maxTimeMs,
      signal: options.signal,
      now,
      onProgress: ({ removed }) => options.onProgress?.({ queue: ref.key, step: `clean-${state}`, done: removed }),
    });
  const completed = await clean('completed', config.queues.completedRetentionHours);
  const failed = await clean('failed', config.queues.failedRetentionHours);
  const drain = await drainQueue(connection, ref, {
    delayed: options.delayed ?? true,
    backupDir,
    ...(files.has(ref.key) ? { file: files.get(ref.key)! } : {}),
    dryRun: options.dryRun,
    signal: options.signal,
    now: new Date(now),
    onProgress: ({ phase, done, total }) => options.onProgress?.({ queue: ref.key, step: phase, done, total }),
  });
  result.queues.push({ queue: ref.key, completed, failed, drain });
  result.totals.cleaned += options.dryRun ? completed.matched + failed.matched : completed.removed + failed.removed;
  result.totals.backedUp += drain.backedUp;
  result.totals.drained += options.dryRun ? sum(drain.byState) : drain.removed;
  result.totals.skippedJobs += drain.skipped;
  if (completed.stoppedBy === 'signal' || failed.stoppedBy === 'signal' || drain.interrupted) {
    result.interrupted = true;
    return false;
  }
  return true;
}

/** Jobs a queue result records as removed (cleaned + drained). */
export function queueChanges(result: ClearQueuesResult): number {
  return result.dryRun ? 0 : result.totals.cleaned + result.totals.drained;
}

function sum(counts: Partial<Record<string, number>>): number {
  return Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0);
}
