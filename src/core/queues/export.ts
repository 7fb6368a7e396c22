/**
 * `queues export`: jobs as JSON lines (name, data, opts, state, timestamps, attempts, reason), the
 * format `queues import` reads back and `drain` writes its backups in.
 */
import { lstat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import type { Job, Queue } from 'bullmq';
import { UsageError } from '../../errors.js';
import { createExclusive, publish, secureDir } from '../safe-file.js';
import type { RedisConnection } from '../../redis/connect.js';
import { withQueue, type ExportableState } from './bull.js';
import type { QueueRef } from './discovery.js';
import { snapshotIds, type StateIds } from './snapshot.js';

/** One exported job: one line of an export file. */
export interface ExportedJob {
  /** Queue it came from (`<prefix>:<name>`); informative, import targets the queue you name. */
  queue: string;
  id: string;
  name: string;
  data: unknown;
  opts: Record<string, unknown>;
  state: ExportableState;
  timestamp: number;
  processedOn: number | null;
  finishedOn: number | null;
  attemptsMade: number;
  failedReason: string | null;
}

export interface ExportOptions {
  states: ExportableState[];
  /** File path (created; must not exist) or an open stream (not closed). */
  out: string | NodeJS.WritableStream;
  signal?: AbortSignal;
  onProgress?: (progress: { exported: number; total: number }) => void;
  /** Leave out jobs created by a job scheduler (a drain leaves them in place, so no backup). */
  skipSchedulerJobs?: boolean;
}

export interface ExportResult {
  queue: string;
  /** The file written, when `out` was a path. */
  file: string | null;
  /** Jobs written per state. */
  byState: Partial<Record<ExportableState, number>>;
  exported: number;
  /** Listed but gone (finished or removed) before they could be read. */
  vanished: number;
  /** Left out because a job scheduler owns them (`skipSchedulerJobs`). */
  schedulerJobs: number;
  /** Ids written, per state (what a drain may remove). */
  ids: StateIds[];
  interrupted: boolean;
  elapsedMs: number;
}

const CHUNK = 500;

/** Export the jobs of `ref` in `states`, oldest first per state. */
export async function exportJobs(connection: RedisConnection, ref: QueueRef, options: ExportOptions): Promise<ExportResult> {
  const started = performance.now();
  const file = typeof options.out === 'string' ? path.resolve(options.out) : null;
  const sink = file ? await FileSink.create(file) : new StreamSink(options.out as NodeJS.WritableStream);
  try {
    const result = await withQueue(connection, ref, async (queue) => {
      const snapshot = await snapshotIds(connection, ref, options.states, options.signal);
      return writeJobs(queue, ref, snapshot, sink, options);
    });
    await sink.commit();
    return { ...result, queue: ref.key, file, elapsedMs: performance.now() - started };
  } catch (error) {
    await sink.abort();
    throw error;
  }
}

async function writeJobs(queue: Queue, ref: QueueRef, snapshot: StateIds[], sink: Sink, options: ExportOptions) {
  const total = snapshot.reduce((n, s) => n + s.ids.length, 0);
  const byState: Partial<Record<ExportableState, number>> = {};
  const written: StateIds[] = [];
  let exported = 0;
  let vanished = 0;
  let schedulerJobs = 0;
  let interrupted = false;
  for (const { state, ids } of snapshot) {
    const done: string[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const jobs = await Promise.all(ids.slice(i, i + CHUNK).map((id) => queue.getJob(id)));
      const lines: string[] = [];
      for (const job of jobs) {
        if (!job?.id) {
          vanished++;
          continue;
        }
        if (options.skipSchedulerJobs && job.repeatJobKey) {
          schedulerJobs++;
          continue;
        }
        lines.push(JSON.stringify(toRecord(ref, job, state)));
        done.push(job.id);
      }
      if (lines.length > 0) await sink.write(`${lines.join('\n')}\n`);
      exported += lines.length;
      options.onProgress?.({ exported, total });
    }
    byState[state] = done.length;
    written.push({ state, ids: done });
    if (interrupted) break;
  }
  return { byState, exported, vanished, schedulerJobs, ids: written, interrupted };
}

export function toRecord(ref: QueueRef, job: Job, state: ExportableState): ExportedJob {
  return {
    queue: ref.key,
    id: job.id!,
    name: job.name,
    data: job.data,
    opts: { ...job.opts } as Record<string, unknown>,
    state,
    timestamp: job.timestamp,
    processedOn: job.processedOn ?? null,
    finishedOn: job.finishedOn ?? null,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason ?? null,
  };
}

interface Sink {
  write(text: string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Writes to `<file>.partial` (created exclusively, never through a link, mode 0600), fsyncs and
 * moves it into place on commit, so a file that exists is complete.
 */
class FileSink implements Sink {
  private constructor(
    private readonly file: string,
    private readonly temp: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(file: string): Promise<FileSink> {
    await secureDir(path.dirname(file));
    const exists = await lstat(file).then(
      () => true,
      () => false,
    );
    if (exists) throw new UsageError(`${file} already exists`, { hint: 'choose another --out file (exports never overwrite)' });
    const temp = `${file}.partial`;
    return new FileSink(file, temp, await createExclusive(temp, 'Export file'));
  }

  async write(text: string): Promise<void> {
    await this.handle.write(text);
  }

  async commit(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
    await publish(this.temp, this.file, { what: 'Export file' });
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await unlink(this.temp).catch(() => undefined);
  }
}

class StreamSink implements Sink {
  constructor(private readonly stream: NodeJS.WritableStream) {}

  async write(text: string): Promise<void> {
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }

  async commit(): Promise<void> {}

  async abort(): Promise<void> {}
}
