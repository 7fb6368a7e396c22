/**
 * A clearing run with its deleted keys captured into a backup sink: the one place that decides
 * whether the file is kept (something was deleted, or the run succeeded) or removed (it failed
 * before deleting anything). Used by `--backup FILE` and by `hook pre-deploy`.
 */
import { PartialError } from '../../errors.js';
import type { CaptureSink } from '../keyspace/run.js';
import type { RunSummary } from '../keyspace/summary.js';
import type { BackupSummary } from './backup.js';
import type { BackupSink } from './sink.js';

export interface CapturedRun<S extends RunSummary> {
  /** The run's summary (also for a `PartialError`: its partial summary); absent on other failures. */
  summary?: S;
  /** What the run threw, if it threw (the caller decides how to report it). */
  failure?: unknown;
  /** The finished file; absent without a sink or when it was removed. */
  backup?: BackupSummary;
}

/**
 * Run `run` with the sink's `capture` (or none without a sink), then close the sink when the run
 * succeeded or deleted something (the file then holds exactly those keys), else abort it.
 * Never throws the run's error: it is returned as `failure`.
 */
export async function runCapturing<S extends RunSummary>(
  sink: BackupSink | undefined,
  run: (capture: CaptureSink | undefined) => Promise<S>,
): Promise<CapturedRun<S>> {
  let captured = 0;
  const capture: CaptureSink | undefined = sink
    ? async (entries) => {
        await sink.capture(entries);
        // Counted once durable: a batch whose capture failed is put back by the engine.
        captured += entries.length;
      }
    : undefined;
  const outcome: CapturedRun<S> = {};
  try {
    outcome.summary = await run(capture);
  } catch (error) {
    outcome.failure = error;
    if (error instanceof PartialError) outcome.summary = error.partial as S;
  }
  if (sink) {
    const deleted = Math.max(captured, outcome.summary?.deleted ?? 0);
    if (deleted > 0 || outcome.failure === undefined) outcome.backup = await sink.close();
    else await sink.abort();
  }
  return outcome;
}
