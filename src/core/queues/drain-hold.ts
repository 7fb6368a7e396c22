/**
 * A drain's state on the server, next to the queue it drains (same hash slot on a cluster):
 * - `<queue>:cachectl:drain-held`: the jobs taken out of the workers' lists, "<state>:<jobId>";
 * - `<queue>:cachectl:drain`: the record (file, host, pid, start, committed) of the drain that holds
 *   them, left in place by any stop or error so the next drain can finish it;
 * - `<queue>:cachectl:drain-lock`: one drain per queue at a time.
 * Step 1 of a drain, "take", lives here: the hold-jobs script, 300 jobs per call.
 */
import type { RedisConnection } from '../../redis/connect.js';
import { int, runScript } from '../scripts/index.js';
import type { ExportableState } from './bull.js';
import type { QueueRef } from './discovery.js';

export interface DrainKeys {
  held: string;
  record: string;
  lock: string;
}

export function drainKeys(ref: QueueRef): DrainKeys {
  return { held: `${ref.key}:cachectl:drain-held`, record: `${ref.key}:cachectl:drain`, lock: `${ref.key}:cachectl:drain-lock` };
}

/** The record of a drain that has taken jobs and not finished. */
export interface DrainRecord {
  /** Backup file ('' when the drain runs without a backup). */
  file: string;
  host: string;
  pid: number;
  startedAt: string;
  /** The backup file is complete (or there is none): only the removal is left. */
  committed: boolean;
}

export async function readRecord(connection: RedisConnection, keys: DrainKeys): Promise<DrainRecord | undefined> {
  const fields = await connection.client.hgetall(keys.record);
  if (!fields.host) return undefined;
  return { file: fields.file ?? '', host: fields.host, pid: Number(fields.pid ?? 0), startedAt: fields.startedAt ?? '', committed: fields.committed === '1' };
}

export async function writeRecord(connection: RedisConnection, keys: DrainKeys, record: DrainRecord): Promise<void> {
  await connection.client.hset(keys.record, {
    file: record.file,
    host: record.host,
    pid: String(record.pid),
    startedAt: record.startedAt,
    committed: record.committed ? '1' : '0',
  });
}

export async function markCommitted(connection: RedisConnection, keys: DrainKeys): Promise<void> {
  await connection.client.hset(keys.record, 'committed', '1');
}

/** Held jobs (one page), as state and id. */
export async function heldPage(
  connection: RedisConnection,
  keys: DrainKeys,
  start: number,
  count: number,
): Promise<Array<{ state: ExportableState; id: string }>> {
  const entries = await connection.client.lrange(keys.held, start, start + count - 1);
  return entries.map((entry) => {
    const cut = entry.indexOf(':');
    return { state: entry.slice(0, cut) as ExportableState, id: entry.slice(cut + 1) };
  });
}

export const TAKE_PER_CALL = 300;

export interface TakeResult {
  byState: Partial<Record<ExportableState, number>>;
  taken: number;
  /** Entries stepped over: job-scheduler jobs, ids without a job. */
  skipped: number;
  interrupted: boolean;
}

/** Move the jobs of `states` into the holding list until none are left (or `signal` aborts). */
export async function takeJobs(
  connection: RedisConnection,
  ref: QueueRef,
  keys: DrainKeys,
  states: ExportableState[],
  options: { signal?: AbortSignal; onProgress?: (taken: number) => void } = {},
): Promise<TakeResult> {
  const byState: Partial<Record<ExportableState, number>> = {};
  const skips = states.map(() => 0);
  let taken = 0;
  const scriptKeys = [keys.held, ...states.map((s) => `${ref.key}:${s}`)].map((k) => Buffer.from(k));
  for (;;) {
    if (options.signal?.aborted) return { byState, taken, skipped: sum(skips), interrupted: true };
    const args = [`${ref.key}:`, TAKE_PER_CALL, ...states.flatMap((s, i) => [s, skips[i]!])];
    const reply = await runScript(connection.client, 'hold-jobs', false, scriptKeys, args);
    let now = 0;
    let looked = 0;
    states.forEach((state, i) => {
      const n = int(reply[2 * i]);
      const skip = int(reply[2 * i + 1]);
      looked += n + skip - skips[i]!;
      skips[i] = skip;
      if (n > 0) byState[state] = (byState[state] ?? 0) + n;
      now += n;
    });
    taken += now;
    if (now > 0) options.onProgress?.(taken);
    // The script stops at its budget; a call that looked at fewer entries found every list empty.
    if (looked < TAKE_PER_CALL) return { byState, taken, skipped: sum(skips), interrupted: false };
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
