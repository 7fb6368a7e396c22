/**
 * `queues import`: add the jobs of an export file back to a queue. The whole file is validated
 * first (JSON, fields, and BullMQ's own option checks); one bad line refuses the file with its
 * line number before a single job is added. Each batch is added together with the import's ledger
 * (one MULTI/EXEC), so running the same import again adds only what is missing; `again` imports
 * the whole file once more. A job whose own `opts.jobId` is already in the queue is left out.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { Job, type JobsOptions, type Queue } from 'bullmq';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { UsageError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { EXPORTABLE_STATES, withQueue, type ExportableState } from './bull.js';
import type { QueueRef } from './discovery.js';
import { fileDigest, importedLines, ledgerKey, recordLines } from './import-ledger.js';
import { fileLines } from './file-lines.js';

export interface ImportOptions {
  file: string;
  dryRun?: boolean;
  /** Jobs per transaction. Default 500. */
  batch?: number;
  /** Import the whole file again, even the lines an earlier run of it already added. */
  again?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: { added: number; total: number }) => void;
}

export interface ImportResult {
  queue: string;
  file: string;
  dryRun: boolean;
  /** Valid lines in the file, per original state. */
  byState: Partial<Record<ExportableState, number>>;
  total: number;
  added: number;
  /** Lines an earlier run of the same file already added (left out). */
  skipped: number;
  /** Jobs left out because a job with their own `opts.jobId` is already in the queue. */
  duplicates: number;
  interrupted: boolean;
}

interface ImportLine {
  name: string;
  data: unknown;
  opts: JobsOptions;
}

/** Options that tie a job to things an import cannot restore (a parent, a scheduler). */
const DROPPED_OPTS = ['parent', 'repeat', 'repeatJobKey', 'prevMillis'];

/** Validate the whole file, then add its jobs in order (unless `dryRun`). */
export async function importJobs(connection: RedisConnection, ref: QueueRef, options: ImportOptions): Promise<ImportResult> {
  await access(options.file).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`Cannot read ${options.file} (${error.code})`, { hint: 'give the path of a file written by "cachectl queues export"' });
  });
  return withQueue(connection, ref, async (queue) => {
    const byState: Partial<Record<ExportableState, number>> = {};
    let total = 0;
    for await (const { state } of readLines(queue, options.file)) {
      byState[state] = (byState[state] ?? 0) + 1;
      total++;
    }
    const base = { queue: ref.key, file: options.file, dryRun: options.dryRun === true, byState, total };
    const ledger = ledgerKey(ref, await fileDigest(options.file));
    const client = connection.client;
    // BullMQ's own wrapper of the same client: its transactions know BullMQ's scripts.
    const bullClient = (queue as unknown as { backend: { queue: { client: Promise<{ multi(): ChainableCommander }> } } }).backend.queue.client;
    const already = options.again ? 0 : Math.min(total, await importedLines(client, ledger));
    if (options.dryRun) return { ...base, added: 0, skipped: already, duplicates: 0, interrupted: false };

    const size = options.batch ?? 500;
    const counts = { added: 0, skipped: already, duplicates: 0 };
    let line = 0;
    let batch: ImportLine[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const fresh = await withoutDuplicates(client, ref, batch);
      const multi = (await bullClient).multi();
      // Queued synchronously on the transaction (as BullMQ's own addBulk does on a pipeline).
      const adds = fresh.map((job) => new Job(queue, job.name, job.data, job.opts, job.opts.jobId).addJob(multi as never));
      for (const add of adds) add.catch(() => undefined);
      recordLines(multi, ledger, line, path.basename(options.file));
      const replies = (await multi.exec()) ?? [];
      const failed = replies.find(([error]) => error);
      if (failed) throw failed[0];
      counts.added += fresh.length;
      counts.duplicates += batch.length - fresh.length;
      batch = [];
      options.onProgress?.({ added: counts.added, total });
    };
    for await (const { line: job } of readLines(queue, options.file)) {
      line++;
      if (line <= already) continue;
      if (options.signal?.aborted) return { ...base, ...counts, interrupted: true };
      batch.push(job);
      if (batch.length >= size) await flush();
    }
    await flush();
    return { ...base, ...counts, interrupted: false };
  });
}

/** The jobs of `batch` whose own job id is not in the queue already. */
async function withoutDuplicates(client: Redis | Cluster, ref: QueueRef, batch: ImportLine[]): Promise<ImportLine[]> {
  const named = batch.filter((job) => job.opts.jobId !== undefined);
  if (named.length === 0) return batch;
  const exists = await Promise.all(named.map((job) => client.exists(`${ref.key}:${String(job.opts.jobId)}`)));
  const taken = new Set(named.filter((_, i) => exists[i] === 1));
  return batch.filter((job) => !taken.has(job));
}

/** Parse and validate each non-empty line; throws UsageError naming the first bad one. */
async function* readLines(queue: Queue, file: string): AsyncGenerator<{ line: ImportLine; state: ExportableState }> {
  let number = 0;
  for await (const text of fileLines(file)) {
    number++;
    if (text.trim() === '') continue;
    let parsed: { line: ImportLine; state: ExportableState };
    try {
      parsed = parseLine(text);
      check(queue, parsed.line);
    } catch (error) {
      throw new UsageError(`${file}, line ${number}: ${(error as Error).message}; nothing was imported`, {
        hint: 'each line must be a JSON object as written by "cachectl queues export": {"name","data","opts","state","timestamp",…}',
      });
    }
    yield parsed;
  }
}

/** One export line to the job to add (throws with the reason on bad input). */
export function parseLine(text: string): { line: ImportLine; state: ExportableState } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected a JSON object');
  const record = value as Record<string, unknown>;
  if (typeof record.name !== 'string' || record.name === '') throw new Error('"name" must be a non-empty string');
  if (!('data' in record)) throw new Error('"data" is missing');
  const opts = record.opts ?? {};
  if (!opts || typeof opts !== 'object' || Array.isArray(opts)) throw new Error('"opts" must be an object');
  const state = (record.state ?? 'wait') as ExportableState;
  if (!EXPORTABLE_STATES.includes(state)) throw new Error(`unknown "state" ${JSON.stringify(record.state)} (expected one of ${EXPORTABLE_STATES.join(', ')})`);
  const timestamp = record.timestamp;
  if (timestamp !== undefined && timestamp !== null && !(typeof timestamp === 'number' && Number.isFinite(timestamp) && timestamp > 0)) {
    throw new Error('"timestamp" must be a positive number (epoch ms)');
  }
  const jobOpts: Record<string, unknown> = { ...(opts as Record<string, unknown>) };
  for (const key of DROPPED_OPTS) delete jobOpts[key];
  // Keep the original creation time: a delayed job keeps its schedule (timestamp + delay), and
  // ages stay true. A job that was already waiting runs now, not after its old delay again.
  if (typeof timestamp === 'number') jobOpts.timestamp = timestamp;
  if (state !== 'delayed') delete jobOpts.delay;
  const delay = jobOpts.delay;
  if (delay !== undefined && !(typeof delay === 'number' && delay >= 0)) throw new Error('"opts.delay" must be a number ≥ 0');
  return { line: { name: record.name, data: record.data, opts: jobOpts as JobsOptions }, state };
}

/** BullMQ's own option checks (the ones `add` would throw on), without adding anything. */
function check(queue: Queue, line: ImportLine): void {
  try {
    const job = new Job(queue, line.name, line.data, line.opts, line.opts.jobId);
    (job as unknown as { validateOptions(json: unknown): void }).validateOptions(job.asJSON());
  } catch (error) {
    throw new Error(`BullMQ rejects this job: ${(error as Error).message}`, { cause: error });
  }
}
