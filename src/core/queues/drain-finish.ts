/**
 * Steps 2 and 3 of a drain, on the jobs the take step put in the holding list: write them to the
 * backup file (complete or absent, then marked committed in the record), and remove them with
 * BullMQ's own `Queue.remove`, trimming the holding list as they go, so a rerun never removes a job
 * twice nor writes a committed file again.
 */
import type { Queue } from 'bullmq';
import type { RedisConnection } from '../../redis/connect.js';
import type { ExportableState } from './bull.js';
import type { QueueRef } from './discovery.js';
import { heldPage, markCommitted, type DrainKeys } from './drain-hold.js';
import { toRecord } from './export.js';
import { jobFileExists, writeJobFile } from './job-file.js';

const PAGE = 200;

export interface WriteResult {
  /** Jobs written to the file. */
  written: number;
  byState: Partial<Record<ExportableState, number>>;
}

/**
 * Write the held jobs to `file` and mark the record committed. A file already in place was renamed
 * there complete by an earlier run of this drain that stopped before marking it: it is kept.
 */
export async function writeHeld(
  connection: RedisConnection,
  queue: Queue,
  ref: QueueRef,
  keys: DrainKeys,
  file: string,
): Promise<WriteResult & { reused: boolean }> {
  const byState: Partial<Record<ExportableState, number>> = {};
  if (await jobFileExists(file)) {
    await markCommitted(connection, keys);
    return { written: await connection.client.llen(keys.held), byState, reused: true };
  }
  async function* chunks(): AsyncGenerator<string[]> {
    for (let start = 0; ; start += PAGE) {
      const page = await heldPage(connection, keys, start, PAGE);
      if (page.length === 0) return;
      const jobs = await Promise.all(page.map(({ id }) => queue.getJob(id)));
      const lines: string[] = [];
      jobs.forEach((job, i) => {
        if (!job?.id) return;
        const state = page[i]!.state;
        byState[state] = (byState[state] ?? 0) + 1;
        lines.push(JSON.stringify(toRecord(ref, job, state)));
      });
      yield lines;
      if (page.length < PAGE) return;
    }
  }
  const written = await writeJobFile(file, chunks());
  await markCommitted(connection, keys);
  return { written, byState, reused: false };
}

export interface RemoveResult {
  removed: number;
  /** Held jobs already gone (removed by an earlier, interrupted run of this drain). */
  gone: number;
  interrupted: boolean;
}

/** Remove every held job, page by page; errors are not swallowed (the record stays for a rerun). */
export async function removeHeld(
  connection: RedisConnection,
  queue: Queue,
  keys: DrainKeys,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<RemoveResult> {
  const total = await connection.client.llen(keys.held);
  let removed = 0;
  let gone = 0;
  for (;;) {
    if (options.signal?.aborted) return { removed, gone, interrupted: true };
    const page = await heldPage(connection, keys, 0, PAGE);
    if (page.length === 0) break;
    const results = await Promise.all(page.map(({ id }) => queue.remove(id, { removeChildren: false })));
    for (const r of results) {
      if (r === 1) removed++;
      else gone++;
    }
    await connection.client.ltrim(keys.held, page.length, -1);
    options.onProgress?.(removed + gone, total);
  }
  return { removed, gone, interrupted: false };
}
