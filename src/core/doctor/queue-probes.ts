/**
 * A few cheap reads per BullMQ queue for `doctor`: active jobs whose lock is gone (stalled), the
 * oldest waiting and failed jobs, and the length of the events stream. Bounded: at most
 * `MAX_ACTIVE_CHECKED` locks per queue.
 */
import type { RedisConnection } from '../../redis/connect.js';
import type { QueueStats } from '../stats/types.js';

const MAX_ACTIVE_CHECKED = 1000;

export interface QueueProbe {
  queue: QueueStats;
  /** Active jobs (of those checked) without a `<queue>:<id>:lock` key. */
  stalled: string[];
  activeChecked: number;
  /** Age in ms of the oldest job in the wait list (by timestamp + delay), null when empty. */
  oldestWaitingMs: number | null;
  /** Age in ms of the oldest failed job (score of the failed set = finishedOn), null when empty. */
  oldestFailedMs: number | null;
  eventsLength: number;
  paused: boolean;
}

/** Probe one queue (read-only). */
export async function probeQueue(connection: RedisConnection, queue: QueueStats, now: number): Promise<QueueProbe> {
  const c = connection.client;
  const k = (suffix: string) => `${queue.key}:${suffix}`;
  const [activeIds, waitEnds, oldestFailed, eventsLength] = await Promise.all([
    queue.counts.active > 0 ? c.lrange(k('active'), 0, MAX_ACTIVE_CHECKED - 1) : Promise.resolve([] as string[]),
    Promise.all([c.lindex(k('wait'), -1), c.lindex(k('wait'), 0)]),
    c.zrange(k('failed'), 0, 0, 'WITHSCORES'),
    c.xlen(k('events')).catch(() => 0),
  ]);
  const locks = await Promise.all(activeIds.map((id) => c.exists(k(`${id}:lock`))));
  const stalled = activeIds.filter((_, i) => locks[i] === 0);
  // LPUSH adds at the head and workers take from the tail, so the tail is the oldest; LIFO jobs
  // go to the tail, so look at both ends.
  const waitIds = [...new Set(waitEnds.filter((id): id is string => typeof id === 'string'))];
  const readyAt = await Promise.all(
    waitIds.map(async (id) => {
      const [timestamp, delay] = await c.hmget(k(id), 'timestamp', 'delay');
      const t = Number(timestamp);
      return Number.isFinite(t) && t > 0 ? t + (Number(delay) || 0) : null;
    }),
  );
  const times = readyAt.filter((t): t is number => t !== null);
  const failedAt = oldestFailed.length >= 2 ? Number(oldestFailed[1]) : NaN;
  return {
    queue,
    stalled,
    activeChecked: activeIds.length,
    oldestWaitingMs: times.length > 0 ? Math.max(0, now - Math.min(...times)) : null,
    oldestFailedMs: Number.isFinite(failedAt) ? Math.max(0, now - failedAt) : null,
    eventsLength: Number(eventsLength) || 0,
    paused: queue.counts.paused > 0 && queue.counts.wait === 0,
  };
}
