/**
 * `queues inspect`: one queue's summary plus why its jobs fail — the top failure reasons over a
 * bounded sample of the most recent failed jobs, and the latest failed jobs themselves.
 */
import type { RedisConnection } from '../../redis/connect.js';
import { clusterProblem, withQueue } from './bull.js';
import type { QueueRef } from './discovery.js';
import { isClientListUnavailable, summarizeQueues, type QueueSummary } from './list.js';

export interface FailedJobInfo {
  id: string;
  name: string;
  attemptsMade: number;
  failedReason: string;
  /** When it failed (epoch ms), or null when the job hash has no finishedOn. */
  finishedOn: number | null;
}

export interface FailureReason {
  reason: string;
  count: number;
}

export interface QueueInspection extends QueueSummary {
  failures: {
    /** Total failed jobs in the queue. */
    total: number;
    /** How many of the most recent failed jobs the reasons were counted over. */
    sampled: number;
    /** Most common reasons in the sample, most frequent first. */
    topReasons: FailureReason[];
    /** The most recent failed jobs, newest first. */
    recent: FailedJobInfo[];
  };
}

export interface InspectOptions {
  /** Failed jobs examined for reasons (newest first). Default 1000. */
  sample?: number;
  /** Recent failed jobs listed. Default 10. */
  recent?: number;
  /** Reasons listed. Default 10. */
  topReasons?: number;
  now?: number;
}

const REASON_MAX = 200;

/** Inspect one queue. Workers come from BullMQ's `Queue.getWorkers` (null when CLIENT LIST is denied). */
export async function inspectQueue(connection: RedisConnection, ref: QueueRef, options: InspectOptions = {}): Promise<QueueInspection> {
  const sample = options.sample ?? 1000;
  const recent = options.recent ?? 10;
  const [summary] = await summarizeQueues(connection, [ref], options.now);
  // BullMQ names worker connections after the queue name; a ":" name is opened under a longer
  // prefix (see withQueue), so its workers are matched on CLIENT LIST directly instead.
  if (!clusterProblem(connection, ref) && !ref.name.includes(':')) summary!.workers = await bullWorkers(connection, ref);

  const c = connection.client;
  const ids = (await c.zrevrange(`${ref.key}:failed`, 0, Math.max(sample, recent) - 1)) as string[];
  const rows = await Promise.all(ids.map((id) => c.hmget(`${ref.key}:${id}`, 'name', 'atm', 'attemptsMade', 'failedReason', 'finishedOn')));
  // BullMQ ≥ 5 counts attempts in `atm`; older versions in `attemptsMade`.
  const jobs: FailedJobInfo[] = rows.map(([name, atm, attempts, reason, finishedOn], i) => ({
    id: ids[i]!,
    name: name ?? '',
    attemptsMade: Number(atm ?? attempts ?? 0),
    failedReason: reason ?? '',
    finishedOn: finishedOn ? Number(finishedOn) : null,
  }));
  const sampled = jobs.slice(0, sample);
  return {
    ...summary!,
    failures: {
      total: summary!.counts.failed,
      sampled: sampled.length,
      topReasons: topReasons(
        sampled.map((j) => j.failedReason),
        options.topReasons ?? 10,
      ),
      recent: jobs.slice(0, recent),
    },
  };
}

/** Group reasons by their first line (trimmed, capped), most frequent first, ties by text. */
export function topReasons(reasons: string[], limit: number): FailureReason[] {
  const counts = new Map<string, number>();
  for (const raw of reasons) {
    const line = (raw.split(/\r?\n/, 1)[0] ?? '').trim().slice(0, REASON_MAX) || '(no reason)';
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1))
    .slice(0, limit);
}

async function bullWorkers(connection: RedisConnection, ref: QueueRef): Promise<number | null> {
  try {
    return await withQueue(connection, ref, async (queue) => (await queue.getWorkers()).length);
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause ?? error;
    if (isClientListUnavailable(cause) || isClientListUnavailable(error)) return null;
    throw error;
  }
}
