/**
 * The queue part of maintenance (and of `hook pm2-restart`): remove finished jobs past their
 * retention, and trim each queue's events stream. Waiting, delayed and active jobs are never
 * touched, nor anything outside the queue prefixes.
 */
import type { CachectlConfig } from '../../config/load.js';
import { ConnectionError, PartialError, PermissionError } from '../../errors.js';
import { isAclDenial } from '../../redis/errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { clusterProblem } from '../queues/bull.js';
import { cleanQueue } from '../queues/clean.js';
import { discoverQueues, type QueueRef } from '../queues/discovery.js';
import { queueList, type QueueList } from '../records/runs.js';
import type { MaintenanceStep, StepResult } from './types.js';

const HOUR_MS = 3_600_000;

export interface QueueWorkOptions {
  signal?: AbortSignal;
  /** Count what would be removed; remove nothing. */
  dryRun?: boolean;
  progress?: (message: string) => void;
  /** Queues to work on (default: discovered under config.queues.prefixes). */
  queues?: QueueRef[];
  /** Wall-clock budget per queue and state (ms); the rest waits for the next run. Default 5 min. */
  maxTimeMs?: number;
  /** Told the queues a discovery pass that ran to its end found (not called with `queues`). */
  onDiscovered?: (refs: QueueRef[]) => void;
}

/**
 * Remove completed jobs older than `queues.completedRetentionHours` and failed jobs older than
 * `queues.failedRetentionHours` from every queue. `removed.queues` is keyed by queue (`bull:q`).
 * Errors on one queue do not stop the others: they are reported, and the result is thrown as a
 * `PartialError` when a connection-level failure ends the work early. When it discovered the
 * queues itself with a pass that finished, `discoveredQueues` lists them (for the run record).
 */
export async function cleanFinishedJobs(connection: RedisConnection, config: CachectlConfig, options: QueueWorkOptions = {}): Promise<StepResult> {
  const started = new Date();
  const refs = options.queues ?? (await discoverQueues(connection, config.queues.prefixes, { signal: options.signal }));
  // An interrupted pass lists only some queues: not worth recording as "every queue".
  const discovered: QueueList | undefined =
    options.queues || options.signal?.aborted
      ? undefined
      : queueList(
          refs.map((r) => r.key),
          started,
        );
  if (discovered) options.onDiscovered?.(refs);
  const result: Required<Pick<StepResult, 'errors'>> & { removed: { queues: Record<string, number> }; discoveredQueues?: QueueList } = {
    removed: { queues: {} },
    errors: [],
    ...(discovered ? { discoveredQueues: discovered } : {}),
  };
  const states = [
    { state: 'completed' as const, graceMs: config.queues.completedRetentionHours * HOUR_MS },
    { state: 'failed' as const, graceMs: config.queues.failedRetentionHours * HOUR_MS },
  ];
  for (const ref of refs) {
    const problem = clusterProblem(connection, ref);
    if (problem) {
      result.errors.push(`${ref.key}: ${problem}`);
      continue;
    }
    for (const { state, graceMs } of states) {
      if (options.signal?.aborted) return result;
      try {
        const done = await cleanQueue(connection, ref, {
          state,
          graceMs,
          signal: options.signal,
          maxTimeMs: options.maxTimeMs ?? 300_000,
          dryRun: options.dryRun,
        });
        const removed = options.dryRun ? done.matched : done.removed;
        if (removed > 0) result.removed.queues[ref.key] = (result.removed.queues[ref.key] ?? 0) + removed;
        options.progress?.(
          `${ref.key}: ${options.dryRun ? 'would remove' : 'removed'} ${removed} ${state} job(s) older than ${graceMs / HOUR_MS} h${done.stoppedBy === 'time' ? ` (time budget reached, ${done.remaining} left for the next run)` : ''}`,
        );
      } catch (error) {
        const message = `${ref.key} ${state}: ${(error as Error).message}`;
        if (isConnectionLoss(error)) throw new PartialError(message, { ...result, errors: [...result.errors] });
        // A denied command fails on every queue alike: stop, exit 7 while nothing was removed yet.
        if (error instanceof PermissionError || isAclDenial(String((error as Error)?.message))) {
          if (Object.keys(result.removed.queues).length === 0 || options.dryRun) throw connection.wrapError(error);
          throw new PartialError(message, { ...result, errors: [...result.errors, message] });
        }
        result.errors.push(message);
      }
    }
  }
  return result;
}

/**
 * XTRIM MAXLEN ~ `queues.eventsMaxLen` on `<prefix>:<queue>:events` of every queue. Approximate
 * trimming removes whole stream nodes only, so a stream may keep a little more than the cap.
 * `removed.queues` is keyed by the events stream (`bull:q:events`) and counts entries.
 */
export async function trimEventStreams(connection: RedisConnection, config: CachectlConfig, options: QueueWorkOptions = {}): Promise<StepResult> {
  const refs = options.queues ?? (await discoverQueues(connection, config.queues.prefixes, { signal: options.signal }));
  const removed: Record<string, number> = {};
  const errors: string[] = [];
  for (const ref of refs) {
    if (options.signal?.aborted) break;
    const key = `${ref.key}:events`;
    try {
      // A dry run counts the entries above the cap (approximate trimming removes a little less).
      const trimmed = options.dryRun
        ? Math.max(0, Number(await connection.client.xlen(key)) - config.queues.eventsMaxLen)
        : Number(await connection.client.xtrim(key, 'MAXLEN', '~', config.queues.eventsMaxLen));
      if (trimmed > 0) removed[key] = trimmed;
    } catch (error) {
      const message = `${key}: ${(error as Error).message}`;
      if (isConnectionLoss(error)) throw new PartialError(message, { removed: { queues: removed }, errors });
      errors.push(message);
    }
  }
  return { removed: { queues: removed }, errors };
}

/** The two queue steps of maintenance. */
export function queueSteps(): MaintenanceStep[] {
  // trim-events works on the queues clean-queues just found: one discovery pass per run, not two.
  let found: QueueRef[] | undefined;
  return [
    {
      name: 'clean-queues',
      run: ({ connection, config, signal, progress, dryRun }) => {
        found = undefined;
        return cleanFinishedJobs(connection, config, { signal, progress, dryRun, onDiscovered: (refs) => (found = refs) });
      },
    },
    {
      name: 'trim-events',
      run: ({ connection, config, signal, dryRun }) => trimEventStreams(connection, config, { signal, dryRun, ...(found ? { queues: found } : {}) }),
    },
  ];
}

function isConnectionLoss(error: unknown): boolean {
  return (
    error instanceof ConnectionError || /Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|Stream isn't writeable/i.test(String((error as Error)?.message))
  );
}
