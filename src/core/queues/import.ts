/**
 * `queues import`: add the jobs of an export file back to a queue. The whole file is validated
 * first (JSON, fields, and BullMQ's own option checks); one bad line refuses the file with its
 * line number before a single job is added.
 */
import { access } from 'node:fs/promises';
import { Job, type JobsOptions, type Queue } from 'bullmq';
import { UsageError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { EXPORTABLE_STATES, withQueue, type ExportableState } from './bull.js';
import type { QueueRef } from './discovery.js';
import { fileLines } from './file-lines.js';

export interface ImportOptions {
  file: string;
  dryRun?: boolean;
  /** Jobs per `addBulk` call. Default 500. */
  batch?: number;
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
    if (options.dryRun) return { ...base, added: 0, interrupted: false };

    const size = options.batch ?? 500;
    let added = 0;
    let batch: ImportLine[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await queue.addBulk(batch);
      added += batch.length;
      batch = [];
      options.onProgress?.({ added, total });
    };
    for await (const { line } of readLines(queue, options.file)) {
      if (options.signal?.aborted) return { ...base, added, interrupted: true };
      batch.push(line);
      if (batch.length >= size) await flush();
    }
    await flush();
    return { ...base, added, interrupted: false };
  });
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
