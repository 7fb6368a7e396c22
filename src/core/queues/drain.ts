/**
 * `queues drain`: remove the jobs waiting to run (and, on request, delayed ones) after writing
 * them to a backup file that holds exactly the jobs removed, with workers running and after a crash
 * at any point. Neither simple order is safe (backup first: a worker may run a job that is in the
 * file; remove first: a crash loses jobs), so a drain takes three steps, under a per-queue lock:
 * 1. take: an atomic script moves the jobs out of the lists workers read into a holding list
 *    (a job a worker already took is never taken), with a record naming the file and this host;
 * 2. write: the held jobs go to the file (complete or absent), then the record is marked committed;
 * 3. remove: each held job is removed with BullMQ's `Queue.remove`, then the record is deleted.
 * Any stop or error leaves the record; the next drain of the queue finishes it first.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Queue } from 'bullmq';
import { LockHeldError, PartialError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { acquireLock, type HeldLock } from '../records/lock.js';
import { runScript } from '../scripts/index.js';
import { withQueue, type ExportableState } from './bull.js';
import type { QueueRef } from './discovery.js';
import { drainKeys, readRecord, takeJobs, writeRecord, type DrainKeys, type DrainRecord } from './drain-hold.js';
import { removeHeld, writeHeld } from './drain-finish.js';
import { snapshotIds } from './snapshot.js';

export interface DrainOptions {
  /** Also drain delayed jobs. */
  delayed?: boolean;
  /** Folder for the backup file (e.g. `logs/backups`), or `false` for no backup. */
  backupDir: string | false;
  /** The backup file itself (default: `backupFileName(backupDir, ref, now)`). */
  file?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: { phase: 'take' | 'backup' | 'remove'; done: number; total: number }) => void;
  /** Clock for the backup file name (tests). */
  now?: Date;
}

/** An earlier drain of the queue that stopped before it finished. */
export interface PendingDrain {
  file: string | null;
  host: string;
  pid: number;
  startedAt: string;
  /** Jobs it holds (out of the workers' reach until a drain finishes it). */
  held: number;
  /** Its backup file is complete: only the removal is left. */
  committed: boolean;
}

export interface DrainResult {
  queue: string;
  dryRun: boolean;
  states: ExportableState[];
  /** Jobs taken per state (dry run: what would go). */
  byState: Partial<Record<ExportableState, number>>;
  /** Backup file, when one was written. */
  backup: string | null;
  backedUp: number;
  removed: number;
  /** Left in place: job-scheduler jobs (a job that turned active is never taken). */
  skipped: number;
  /** Jobs taken and not yet removed (left held by a stop or an error; the next drain finishes them). */
  held: number;
  /** An earlier interrupted drain this run finished first (dry run: the one it would finish). */
  recovered: (PendingDrain & { removed: number }) | null;
  interrupted: boolean;
  elapsedMs: number;
}

/** How long a drain's lock lives without renewal (renewed every 10 s). */
const LOCK_TTL_MS = 30_000;

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

/** Take, back up, then remove the waiting (and optionally delayed) jobs of one queue. */
export async function drainQueue(connection: RedisConnection, ref: QueueRef, options: DrainOptions): Promise<DrainResult> {
  const started = performance.now();
  const states = drainStates(options.delayed);
  const keys = drainKeys(ref);
  const result: DrainResult = {
    queue: ref.key,
    dryRun: options.dryRun === true,
    states,
    byState: {},
    backup: null,
    backedUp: 0,
    removed: 0,
    skipped: 0,
    held: 0,
    recovered: null,
    interrupted: false,
    elapsedMs: 0,
  };
  const done = () => ({ ...result, elapsedMs: performance.now() - started });
  if (options.dryRun) {
    try {
      result.recovered = await pendingDrain(connection, keys).then((p) => (p ? { ...p, removed: 0 } : null));
    } catch (error) {
      throw connection.wrapError(error);
    }
    const ids = await snapshotIds(connection, ref, states, options.signal);
    result.byState = Object.fromEntries(ids.map((s) => [s.state, s.ids.length]));
    return done();
  }
  let lock: HeldLock | undefined;
  let touched = false;
  try {
    lock = await drainLock(connection, ref, keys);
    await withQueue(connection, ref, async (queue) => {
      const pending = await pendingDrain(connection, keys);
      touched = true;
      if (pending) {
        const removed = await finish(connection, queue, ref, keys, pending, options, result);
        result.recovered = { ...pending, removed };
        if (result.interrupted) return;
      }
      const file = options.backupDir === false ? null : (options.file ?? backupFileName(options.backupDir, ref, options.now));
      const record: DrainRecord = { file: file ?? '', host: os.hostname(), pid: process.pid, startedAt: new Date().toISOString(), committed: file === null };
      await writeRecord(connection, keys, record);
      const taken = await takeJobs(connection, ref, keys, states, {
        signal: options.signal,
        onProgress: (n) => options.onProgress?.({ phase: 'take', done: n, total: n }),
      });
      result.byState = taken.byState;
      result.skipped = taken.skipped;
      if (taken.interrupted) {
        result.interrupted = true;
        result.held += taken.taken;
        if (taken.taken === 0) await connection.client.del(keys.record);
        return;
      }
      if (taken.taken === 0) {
        // Nothing to drain: no empty file, no record.
        await connection.client.del(keys.record);
        return;
      }
      await finish(connection, queue, ref, keys, { ...record, held: taken.taken, file }, options, result);
    });
  } catch (error) {
    const wrapped = error instanceof LockHeldError ? error : connection.wrapError(error);
    if (!touched) throw wrapped;
    result.held = Math.max(result.held, await heldCount(connection, keys));
    if (result.removed === 0 && result.held === 0) throw wrapped;
    throw new PartialError(`draining ${ref.key} stopped part-way: ${wrapped.message}; run the drain again to finish it`, done(), { cause: wrapped });
  } finally {
    await lock?.release();
  }
  return done();
}

/**
 * The queue's drain lock. A lock left by a drain of this host whose process is gone (killed) is
 * released at once rather than after its 30 s: that drain's record is then finished by this one.
 */
async function drainLock(connection: RedisConnection, ref: QueueRef, keys: DrainKeys): Promise<HeldLock> {
  const options = {
    key: keys.lock,
    ttlMs: LOCK_TTL_MS,
    what: `a drain of ${ref.key}`,
    heldHint: 'wait for that drain to finish; if its process is gone the lock expires by itself within 30 s',
  };
  try {
    return await acquireLock(connection, options);
  } catch (error) {
    if (!(error instanceof LockHeldError)) throw error;
    const value = await connection.client.get(keys.lock);
    const holder = parseHolder(value);
    if (value === null || !holder || holder.host !== os.hostname() || processAlive(holder.pid)) throw error;
    await runScript(connection.client, 'lock-release', false, [Buffer.from(keys.lock)], [value]);
    return acquireLock(connection, options);
  }
}

function parseHolder(value: string | null): { host: string; pid: number } | undefined {
  try {
    const parsed = JSON.parse(value ?? '') as { host?: unknown; pid?: unknown };
    return typeof parsed.host === 'string' && typeof parsed.pid === 'number' ? { host: parsed.host, pid: parsed.pid } : undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Jobs in the holding list (0 when it cannot be read: the failure is reported anyway). */
async function heldCount(connection: RedisConnection, keys: DrainKeys): Promise<number> {
  return connection.client.llen(keys.held).catch(() => 0);
}

/** The record of an interrupted drain, refused when its file is on another machine. */
async function pendingDrain(connection: RedisConnection, keys: DrainKeys): Promise<PendingDrain | undefined> {
  const record = await readRecord(connection, keys);
  if (!record) return undefined;
  const held = await connection.client.llen(keys.held);
  if (record.host !== os.hostname() && !record.committed) {
    throw new LockHeldError(
      `an interrupted drain of this queue started on ${record.host} (pid ${record.pid}, ${record.startedAt}) holds ${held} jobs, and its backup file is on that machine`,
      {
        hint: `run the drain again on ${record.host} to finish it`,
      },
    );
  }
  return { file: record.file || null, host: record.host, pid: record.pid, startedAt: record.startedAt, held, committed: record.committed };
}

/** Write (unless committed) and remove the held jobs of `drain`; the jobs removed. */
async function finish(
  connection: RedisConnection,
  queue: Queue,
  ref: QueueRef,
  keys: DrainKeys,
  drain: Pick<PendingDrain, 'file' | 'committed' | 'held'>,
  options: DrainOptions,
  result: DrainResult,
): Promise<number> {
  if (drain.file && !drain.committed) {
    options.onProgress?.({ phase: 'backup', done: 0, total: drain.held });
    const written = await writeHeld(connection, queue, ref, keys, drain.file);
    result.backedUp += written.written;
    options.onProgress?.({ phase: 'backup', done: written.written, total: drain.held });
  }
  if (drain.file) result.backup = drain.file;
  const before = (result.held += drain.held);
  const removal = await removeHeld(connection, queue, keys, {
    signal: options.signal,
    onProgress: (done, total) => {
      result.held = Math.max(0, before - done);
      options.onProgress?.({ phase: 'remove', done, total });
    },
  });
  result.removed += removal.removed + removal.gone;
  if (removal.interrupted) {
    result.interrupted = true;
    return removal.removed + removal.gone;
  }
  await connection.client.del(keys.held, keys.record);
  return removal.removed + removal.gone;
}
