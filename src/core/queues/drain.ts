/**
 * `queues drain`: remove the jobs waiting to run (and, on request, delayed ones) — after writing
 * them to a backup file. Exactly the jobs that were written are removed, one BullMQ
 * `Queue.remove` each (bounded calls, unlike `Queue.drain`, which is one script over the whole
 * queue): a job that turned active meanwhile is locked and left alone, a job added meanwhile is
 * not touched, and job-scheduler jobs are skipped as BullMQ's own drain does.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Queue } from 'bullmq';
import type { RedisConnection } from '../../redis/connect.js';
import { withQueue, type ExportableState } from './bull.js';
import type { QueueRef } from './discovery.js';
import { exportJobs } from './export.js';
import { snapshotIds, type StateIds } from './snapshot.js';

export interface DrainOptions {
  /** Also drain delayed jobs. */
  delayed?: boolean;
  /** Folder for the backup file (e.g. `logs/backups`), or `false` for no backup. */
  backupDir: string | false;
  /** The backup file itself (default: `backupFileName(backupDir, ref, now)`). */
  file?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: { phase: 'backup' | 'remove'; done: number; total: number }) => void;
  /** Clock for the backup file name (tests). */
  now?: Date;
}

export interface DrainResult {
  queue: string;
  dryRun: boolean;
  states: ExportableState[];
  /** Jobs found per state (dry run: what would go). */
  byState: Partial<Record<ExportableState, number>>;
  /** Backup file, when one was written. */
  backup: string | null;
  backedUp: number;
  removed: number;
  /** Left in place: turned active (locked), belong to a job scheduler, or already gone. */
  skipped: number;
  interrupted: boolean;
  elapsedMs: number;
}

const CHUNK = 200;

/** The states a drain empties. */
export function drainStates(delayed: boolean | undefined): ExportableState[] {
  return delayed ? ['wait', 'paused', 'prioritized', 'delayed'] : ['wait', 'paused', 'prioritized'];
}

/** `<dir>/<prefix>-<name>-<UTC timestamp>.jsonl`, with unsafe file-name characters replaced. */
export function backupFileName(dir: string, ref: QueueRef, now: Date = new Date(), unique = false): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const safe = ref.key.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'queue';
  const tag = unique ? `-${createHash('sha256').update(ref.key).digest('hex').slice(0, 8)}` : '';
  return path.join(dir, `${safe}${tag}-${stamp}.jsonl`);
}

/**
 * Backup file names for several queues drained in one run: names whose safe form would clash
 * ("orders eu" and "orders-eu") carry a short hash of the queue's real key, so no two queues ever
 * share a file.
 */
export function backupFileNames(dir: string, refs: readonly QueueRef[], now: Date): Map<string, string> {
  const plain = refs.map((ref) => backupFileName(dir, ref, now));
  const counts = new Map<string, number>();
  for (const name of plain) counts.set(name, (counts.get(name) ?? 0) + 1);
  return new Map(refs.map((ref, i) => [ref.key, counts.get(plain[i]!)! > 1 ? backupFileName(dir, ref, now, true) : plain[i]!]));
}

/** Back up, then remove, the waiting (and optionally delayed) jobs of one queue. */
export async function drainQueue(connection: RedisConnection, ref: QueueRef, options: DrainOptions): Promise<DrainResult> {
  const started = performance.now();
  const states = drainStates(options.delayed);
  const base = { queue: ref.key, dryRun: options.dryRun === true, states };
  let ids: StateIds[];
  let backup: string | null = null;
  let backedUp = 0;
  let interrupted = false;
  if (options.dryRun || options.backupDir === false) {
    ids = await snapshotIds(connection, ref, states, options.signal);
  } else {
    backup = options.file ?? backupFileName(options.backupDir, ref, options.now);
    const exported = await exportJobs(connection, ref, {
      states,
      out: backup,
      skipSchedulerJobs: true,
      signal: options.signal,
      onProgress: ({ exported, total }) => options.onProgress?.({ phase: 'backup', done: exported, total }),
    });
    ids = exported.ids;
    backedUp = exported.exported;
    interrupted = exported.interrupted;
  }
  const byState = Object.fromEntries(ids.map((s) => [s.state, s.ids.length]));
  if (options.dryRun) {
    return { ...base, byState, backup: null, backedUp: 0, removed: 0, skipped: 0, interrupted: false, elapsedMs: performance.now() - started };
  }
  const removal = await withQueue(connection, ref, (queue) => removeAll(connection, ref, queue, ids, options));
  return {
    ...base,
    byState,
    backup,
    backedUp,
    removed: removal.removed,
    skipped: removal.skipped,
    interrupted: interrupted || removal.interrupted,
    elapsedMs: performance.now() - started,
  };
}

async function removeAll(connection: RedisConnection, ref: QueueRef, queue: Queue, snapshot: StateIds[], options: DrainOptions) {
  const all = snapshot.flatMap((s) => s.ids);
  let removed = 0;
  let skipped = 0;
  for (let i = 0; i < all.length; i += CHUNK) {
    if (options.signal?.aborted) return { removed, skipped, interrupted: true };
    const chunk = all.slice(i, i + CHUNK);
    // A job that finished since it was listed (finishedOn set) or is gone (no timestamp) is not
    // what was backed up as waiting: leave it.
    const fields = await Promise.all(chunk.map((id) => connection.client.hmget(`${ref.key}:${id}`, 'timestamp', 'finishedOn')));
    const results = await Promise.all(
      chunk.map((id, k) => {
        const [timestamp, finishedOn] = fields[k]!;
        if (timestamp === null || finishedOn !== null) return Promise.resolve(0);
        // 1 removed; 0 locked (turned active); scheduler jobs throw: both are left in place.
        return queue.remove(id, { removeChildren: false }).catch(() => 0);
      }),
    );
    for (const r of results) {
      if (r === 1) removed++;
      else skipped++;
    }
    options.onProgress?.({ phase: 'remove', done: removed + skipped, total: all.length });
  }
  return { removed, skipped, interrupted: false };
}
