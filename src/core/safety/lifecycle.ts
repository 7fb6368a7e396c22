/**
 * The safety core: the one lifecycle every destructive operation runs — CLI command, hook,
 * maintenance, queue action, restore, library call:
 *
 *   plan (done by the caller, pure) → guard (in the operation) → assess (breadth, estimated size:
 *   confirm / force / refuse) → preflight (connection and slots, audit log, backup file and free
 *   space, ACL) → execute → audit → result
 *
 * Exit codes follow from it: a refusal (4), a preflight failure (2, 3, 7) or a bad plan (2) means
 * nothing was touched; once the first change is made, any failure is a `PartialError` (exit 5)
 * carrying what was done, and the audit line is written either way.
 */
import { formatCount } from '../stats/format.js';
import path from 'node:path';
import { Cluster } from 'ioredis';
import type { CachectlConfig } from '../../config/load.js';
import { CachectlError, PartialError, SafetyError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { openBackupSink, type BackupSink } from '../backup/sink.js';
import type { CaptureSink } from '../keyspace/run.js';
import { describeEstimate, type Assessment } from './assess.js';
import { appendAudit } from './audit.js';
import type { Estimate } from './estimate.js';
import { checkAppendable, checkFreeSpace, checkNewFile } from './preflight.js';

/** Where a run happens: the server, the configuration, and where its audit line goes. */
export interface LifecycleEnv {
  connection: RedisConnection;
  config: CachectlConfig;
  /** Folder of `audit.log`; undefined: no audit line (library callers that opt out). */
  auditDir: string | undefined;
}

/** What a confirmation is asked with: enough to know what is about to happen, and where. */
export interface ConfirmPrompt {
  /** The server: URL without password, database, standalone / cluster with N masters / sentinel. */
  server: string;
  /** What will happen, in one line. */
  action: string;
  /** Why it asks (breadth, always-confirm selections, the size estimate). */
  reasons: string[];
  estimate?: Estimate;
  /** Only `--yes` (library: `force`) may confirm it: a selection of every key. */
  requireYes: boolean;
}

export interface LifecycleOptions {
  /** Count and show, change nothing (no confirmation, no backup file). */
  dryRun?: boolean;
  /** Go ahead without confirmation (CLI `--yes`, library `force: true`). */
  force?: boolean;
  /**
   * Library: go ahead without `force` when the run is estimated at no more than this many keys
   * (a selection of every key still needs `force`); above it, a `SafetyError`.
   */
  maxKeys?: number;
  /** Ask; throw a `SafetyError` to refuse. Absent: refuse whatever needs confirmation (library). */
  confirm?: (prompt: ConfirmPrompt) => Promise<void>;
  /** `--backup FILE`: keep exactly what is deleted. */
  backup?: { file: string; overwrite?: boolean };
}

/** A backup written by a run, as reported in results and the audit line. */
export interface RunBackup {
  file: string;
  keys: number;
  /** False for a dry run, or when the run failed before deleting anything (no file kept). */
  written: boolean;
  /** False when the file could not be ended (kept as `FILE.partial`; restore it with --partial). */
  complete?: boolean;
}

/** What an operation gives the lifecycle. */
export interface Operation<R extends object> {
  /** Command name for messages and the audit line (`invalidate`, `clear-all`, `queues drain`…). */
  command: string;
  /** What will happen, in one line (the prompt). */
  describe: string;
  /** Labels of what is selected (audit targets, backup header); never values. */
  targets: string[];
  /**
   * Calling it is the decision (maintenance, hooks: scheduled or deploy-time, no `--yes`): it never
   * asks, not even on a production context.
   */
  explicit?: boolean;
  /**
   * Judge the run. `sized`: the decision needs its size (a prompt, `maxKeys`, a backup's room),
   * so estimate it on the server; `bytes`: the payload size too (a backup).
   */
  assess(options: { bytes: boolean; sized: boolean }): Promise<Assessment>;
  /** Checks of its own (files, ACL, queues…), before anything changes (not for dry runs). */
  preflight?(): Promise<void>;
  /** Do it (or count it); `capture` receives what is deleted when a backup was asked for. */
  execute(io: { dryRun: boolean; capture?: CaptureSink }): Promise<R>;
  /** How many changes the result (or a partial one) records: 0 means nothing was touched (not asked for dry runs). */
  changes(result: R): number;
  /** True when the result is incomplete (interrupted, some keys failed): exit 5. */
  incomplete(result: R): boolean;
  /** Audit fields of a result: counts and status, never values. */
  auditResult(result: R): Record<string, unknown>;
}

/** The result, with the backup when there was one. */
export type Outcome<R> = R & { backup?: RunBackup };

/**
 * Run `op` through the lifecycle. Returns the result (with `backup`), or throws: before any change
 * a `SafetyError` / `UsageError` / `PreflightError` / connection or permission error; after one, a
 * `PartialError` whose `partial` is the result so far (with `backup`). Results that are merely
 * incomplete (interrupted) are returned; the caller decides the exit code from `incomplete`.
 */
export async function runLifecycle<R extends object>(env: LifecycleEnv, op: Operation<R>, options: LifecycleOptions = {}): Promise<Outcome<R>> {
  const dryRun = options.dryRun === true;
  // assess
  if (!dryRun) {
    // Already confirmed (--yes / force) and nothing to measure: no estimate pass on the server.
    const sized = !options.force || options.maxKeys !== undefined || options.backup !== undefined;
    const assessment = await op.assess({ bytes: options.backup !== undefined, sized }).catch((error: unknown) => {
      throw error instanceof CachectlError ? error : env.connection.wrapError(error);
    });
    await decide(env, op, assessment, options);
    await preflight(env, op, options, assessment.estimate).catch((error: unknown) => {
      throw error instanceof CachectlError ? error : env.connection.wrapError(error);
    });
  } else if (env.auditDir !== undefined) {
    // A dry run changes nothing: it only needs to leave its audit line.
    await checkAppendable(env.auditDir);
  }
  // execute
  const sink = options.backup && !dryRun ? await openSink(env, op, options.backup) : undefined;
  let captured = 0;
  const capture: CaptureSink | undefined = sink
    ? async (entries) => {
        await sink.capture(entries);
        captured += entries.length;
      }
    : undefined;
  let result: R | undefined;
  let failure: unknown;
  try {
    result = await op.execute({ dryRun, ...(capture ? { capture } : {}) });
  } catch (error) {
    failure = error;
    if (error instanceof PartialError) result = error.partial as R;
  }
  const changed = dryRun ? 0 : Math.max(captured, result ? op.changes(result) : 0);
  const backup = await finishSink(sink, options, dryRun, changed > 0 || (failure === undefined && result !== undefined));
  const outcome = result ? (Object.assign(result, backup ? { backup } : {}) as Outcome<R>) : undefined;
  // audit
  const auditError = await audit(env, op, dryRun, outcome, failure, backup);
  if (failure !== undefined) {
    // Nothing was changed: the failure keeps its own class and exit code (3, 7, 2…), not "partial".
    if (changed === 0) throw unwrap(env, failure);
    const base = failure instanceof CachectlError ? failure : env.connection.wrapError(failure);
    throw failure instanceof PartialError && outcome
      ? new PartialError(failure.message, outcome, { cause: failure.cause ?? failure, hint: failure.hint })
      : new PartialError(`${op.command} stopped part-way: ${base.message}`, outcome ?? {}, {
          cause: failure,
          hint: `${changed} change(s) were made before the failure; ${base.hint ?? 'run again to finish'}`,
        });
  }
  if (auditError !== undefined && changed > 0) {
    throw new PartialError(`${op.command} finished, but its audit line could not be written (${auditError})`, outcome!, {
      hint: 'the work is done; check the logs folder (space, permissions) so that the next runs are recorded',
    });
  }
  return outcome!;
}

/** The error behind a `PartialError` that changed nothing, as a classified cachectl error. */
function unwrap(env: LifecycleEnv, failure: unknown): unknown {
  if (!(failure instanceof PartialError) || failure.cause === undefined) return failure;
  return failure.cause instanceof CachectlError ? failure.cause : env.connection.wrapError(failure.cause);
}

/**
 * Confirmation: ask, or go ahead with `force`, or refuse. On a production context every run that can
 * ask does, whatever its size or kind (age policies too): the prompt wants the context's name.
 */
async function decide<R extends object>(env: LifecycleEnv, op: Operation<R>, assessed: Assessment, options: LifecycleOptions): Promise<void> {
  const production = env.config.context?.production && !op.explicit ? env.config.context.name : undefined;
  const assessment = production ? { ...assessed, confirm: true, reasons: [...assessed.reasons, `"${production}" is a production context`] } : assessed;
  const withinLimit =
    production === undefined && options.maxKeys !== undefined && assessment.estimate !== undefined && assessment.estimate.upper <= options.maxKeys;
  if (options.maxKeys !== undefined && assessment.estimate && !withinLimit && !options.force) {
    throw new SafetyError(`Refusing to ${op.describe}: ${describeEstimate(assessment.estimate)}, more than maxKeys (${formatCount(options.maxKeys)})`, {
      hint: 'raise maxKeys, pass force: true, or narrow the selection; nothing was changed',
    });
  }
  if (!assessment.confirm || options.force || (withinLimit && !assessment.requireYes)) {
    if (assessment.requireYes && !options.force) throw refusal(op, assessment, 'a selection of every key');
    return;
  }
  if (assessment.requireYes) throw refusal(op, assessment, 'a selection of every key');
  if (!options.confirm) throw refusal(op, assessment, undefined);
  await options.confirm({
    server: describeServer(env.connection),
    action: op.describe,
    reasons: assessment.reasons,
    ...(assessment.estimate ? { estimate: assessment.estimate } : {}),
    requireYes: false,
  });
}

function refusal<R extends object>(op: Operation<R>, assessment: Assessment, always: string | undefined): SafetyError {
  const why = assessment.reasons.join('; ');
  return new SafetyError(`Refusing to ${op.describe}${why ? `: ${why}` : ''}`, {
    hint: always
      ? `${always} always needs --yes (library: force: true); look first with --dry-run`
      : 'confirm with --yes (library: force: true), or look first with --dry-run; nothing was changed',
  });
}

async function preflight<R extends object>(env: LifecycleEnv, op: Operation<R>, options: LifecycleOptions, estimate: Estimate | undefined): Promise<void> {
  if (env.auditDir !== undefined) await checkAppendable(env.auditDir);
  if (options.backup) {
    await checkNewFile(options.backup.file, { overwrite: options.backup.overwrite === true, what: 'Backup file' });
    if (estimate?.bytes !== undefined)
      await checkFreeSpace(path.dirname(options.backup.file), estimate.bytes, `the backup of ${formatCount(estimate.keys)} key(s)`);
  }
  await op.preflight?.();
}

async function openSink<R extends object>(env: LifecycleEnv, op: Operation<R>, backup: { file: string; overwrite?: boolean }): Promise<BackupSink> {
  return openBackupSink(backup.file, { connection: env.connection, command: op.command, selection: op.targets, overwrite: backup.overwrite === true });
}

/** Keep the file when something was deleted or the run succeeded; else remove it. */
async function finishSink(sink: BackupSink | undefined, options: LifecycleOptions, dryRun: boolean, keep: boolean): Promise<RunBackup | undefined> {
  if (!options.backup) return undefined;
  if (dryRun || !sink) return { file: options.backup.file, keys: 0, written: false };
  if (!keep) {
    await sink.abort();
    return { file: options.backup.file, keys: 0, written: false };
  }
  const closed = await sink.close();
  return { file: closed.file, keys: closed.keys, written: true, ...(closed.complete === false ? { complete: false } : {}) };
}

/** Write the audit line; returns why it failed, if it did. */
async function audit<R extends object>(
  env: LifecycleEnv,
  op: Operation<R>,
  dryRun: boolean,
  outcome: Outcome<R> | undefined,
  failure: unknown,
  backup: RunBackup | undefined,
): Promise<string | undefined> {
  if (env.auditDir === undefined) return undefined;
  try {
    await appendAudit(env.auditDir, {
      command: op.command,
      targets: op.targets,
      dryRun,
      server: env.connection.target,
      result: {
        ...(outcome ? op.auditResult(outcome) : {}),
        ...(backup ? { backup } : {}),
        ...(failure !== undefined ? { error: failure instanceof Error ? failure.message : String(failure) } : {}),
      },
    });
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message ?? String(error);
  }
}

/** `redis://host:port (db 0, standalone)`, `redis://host:port (cluster, 3 masters)`: for prompts. */
export function describeServer(connection: RedisConnection): string {
  const { client, mode } = connection;
  if (client instanceof Cluster) return `${connection.target} (cluster, ${connection.masters().length} masters)`;
  const db = client.options.db ?? 0;
  return `${connection.target} (db ${db}, ${mode})`;
}
