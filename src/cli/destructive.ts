/**
 * The flow every destructive command shares: the common flags, the safety gate (before
 * connecting), the run with a progress line, the audit line, the summary, and the exit code
 * (5 when interrupted or partly failed), and `--backup FILE` (the deleted keys, captured by the
 * engine at delete time).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { appendAudit } from '../core/audit.js';
import { runCapturing } from '../core/backup/capture-run.js';
import { openBackupSink, type BackupSink } from '../core/backup/sink.js';
import type { RunSummary } from '../core/keyspace/summary.js';
import type { ClearOptions } from '../core/operations/execute.js';
import type { SafetyAssessment } from '../core/operations/safety.js';
import type { RedisConnection } from '../redis/connect.js';
import { ExitCode, PartialError, SafetyError, UsageError } from '../errors.js';
import { confirmOrRefuse } from './confirm.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';
import { integerParser } from './parsers.js';
import { progressReporter } from './progress.js';
import { noteRun, printRunSummary } from './run-summary.js';

/** The flags of every destructive command. */
export interface DestructiveFlags {
  dryRun?: boolean;
  yes?: boolean;
  limit?: number;
  rate?: number;
  batch?: number;
  scanTenants?: boolean;
  /** `--backup FILE`: keep exactly the deleted keys in FILE. */
  backup?: string;
  /** `--force`: replace an existing backup file. */
  force?: boolean;
}

/** The backup written by a run, as it appears in `--json` and the audit line. */
export interface RunBackup {
  file: string;
  keys: number;
  /** `false` for a dry run: no file was written. */
  written: boolean;
}

/** Extra work after a successful run (e.g. `clear-all --queue`); its fields join the result and audit. */
export interface FollowUp {
  /** Merged into the `--json` result and the audit line's `result`. */
  fields: Record<string, unknown>;
  /** Human output after the run summary. */
  render?: (out: Output) => void;
  /** Exit 5 (interrupted or partly done). */
  partial?: boolean;
}

/** Add `--dry-run --yes --limit --rate --batch` (and `--scan-tenants` where families are selected). */
export function addDestructiveOptions(command: Command, options: { scanTenants?: boolean } = {}): Command {
  command
    .option('--dry-run', 'count what would be deleted and show a sample; delete nothing')
    .option('-y, --yes', 'go ahead without asking (needed without a terminal for large or broad runs)')
    .option('--limit <n>', 'stop after N deletions', integerParser(1))
    .option('--rate <n>', 'delete at most N keys per second', integerParser(1))
    .option(
      '--batch <n>',
      'at most N deletions per server call (default: scan.serverBatch 5000 per pattern step, scan.batch 500 per pipeline)',
      integerParser(1, 100_000),
    )
    .option('--backup <file>', 'write exactly the deleted keys (DUMP + TTL) to FILE for "cachectl restore" (.gz: compressed)')
    .option('--force', 'with --backup: replace FILE if it exists');
  if (options.scanTenants !== false) {
    command.option('--scan-tenants', 'scan every tenant:* namespace instead of the configured tenants (finds unlisted ones)');
  }
  return command;
}

export interface DestructiveSpec<S extends RunSummary> {
  /** Command name for messages and the audit log (`invalidate`, `clear-all`…). */
  command: string;
  /** What will happen, for the prompt ("delete every key of 5 families"). */
  describe: string;
  /** Labels of what is selected, for the backup header (default: `describe`). */
  selection?: string[];
  assessment: SafetyAssessment;
  execute: (options: ClearOptions) => Promise<S>;
  /** Human rendering (default: the run summary). */
  render?: (summary: S, out: Output) => void;
  /** Runs after a run that finished without failure or interruption (same dry-run mode). */
  followUp?: (run: { dryRun: boolean; summary: S; connection: RedisConnection }) => Promise<FollowUp>;
}

/** Gate, run, audit, print. Throws SafetyError (exit 4) before connecting when refused. */
export async function runDestructive<S extends RunSummary>(ctx: CliContext, flags: DestructiveFlags, spec: DestructiveSpec<S>): Promise<void> {
  const out = ctx.output;
  const dryRun = flags.dryRun === true;
  const backupFile = backupPath(ctx, flags);
  if (!dryRun) {
    const why = spec.assessment.reasons.join('; ');
    if (spec.assessment.requireYes && !flags.yes) {
      throw new SafetyError(`Refusing to ${spec.describe}: ${why}`, {
        hint: 'a pattern that selects every key always needs --yes; look first with --dry-run',
      });
    }
    await confirmOrRefuse(ctx, { action: why ? `${spec.describe} (${why})` : spec.describe, needed: spec.assessment.confirm, yes: flags.yes === true });
  }
  const connection = await ctx.connection();
  // Opened before anything is deleted: an unusable or existing FILE stops the command here.
  const sink = backupFile && !dryRun ? await openSink(connection, backupFile, flags, spec) : undefined;
  const progress = progressReporter(out, spec.command, dryRun);
  let captured;
  try {
    captured = await runCapturing<S>(sink, (capture) =>
      spec.execute({
        dryRun,
        ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
        ...(flags.rate !== undefined ? { rate: flags.rate } : {}),
        ...(flags.batch !== undefined ? { batch: flags.batch } : {}),
        ...(flags.scanTenants ? { scanTenants: true } : {}),
        ...(ctx.options.tenant !== undefined ? { tenant: ctx.options.tenant } : {}),
        ...(capture ? { capture } : {}),
        signal: ctx.signal,
        onProgress: progress.onProgress,
      }),
    );
  } finally {
    progress.done();
  }
  const { failure } = captured;
  if (failure !== undefined && !(failure instanceof PartialError)) throw failure;
  const summary = captured.summary as S;
  const partial = failure as PartialError | undefined;
  const backup: RunBackup | undefined = backupFile
    ? { file: captured.backup?.file ?? backupFile, keys: captured.backup?.keys ?? 0, written: captured.backup !== undefined }
    : undefined;
  const done = !partial && !summary.interrupted && summary.failed === 0;
  const follow = done && spec.followUp ? await spec.followUp({ dryRun, summary, connection }) : undefined;
  const extra = { ...(backup ? { backup } : {}), ...follow?.fields };
  await audit(ctx, connection.target, summary, extra);
  out.result({ ...summary, ...extra }, () => {
    (spec.render ?? printRunSummary)(summary, out);
    if (backup) printBackupLine(backup, dryRun, out);
    follow?.render?.(out);
  });
  noteRun(summary, out);
  noteTenant(summary, out);
  if (backup?.written && !done)
    out.warn(`the run stopped part-way: ${backup.file} holds the ${backup.keys.toLocaleString('en-US')} key(s) deleted so far (kept)`);
  if (partial) throw partial;
  if (!done || follow?.partial) ctx.fail(ExitCode.PARTIAL);
}

/** Under `--tenant`: which families were left out, and any key the engine refused (should be none). */
export function noteTenant(summary: RunSummary, out: Output): void {
  if (!summary.tenant) return;
  const skipped = summary.tenant.skippedFamilies;
  out.info(
    `restricted to tenant ${summary.tenant.id} (keys tenant:${summary.tenant.id}:…)${skipped.length > 0 ? `; skipped (not tenant-scoped): ${skipped.join(', ')}` : ''}`,
  );
  if (summary.skippedOutsidePrefix) out.warn(`${summary.skippedOutsidePrefix} matched key(s) outside tenant:${summary.tenant.id}: were left untouched`);
}

/** Resolve `--backup FILE` and refuse an existing one (without `--force`) before asking or connecting. */
function backupPath(ctx: CliContext, flags: DestructiveFlags): string | undefined {
  if (flags.backup === undefined) {
    if (flags.force) throw new UsageError('--force only goes with --backup FILE', { hint: 'it allows replacing an existing backup file' });
    return undefined;
  }
  if (flags.backup === '') throw new UsageError('Empty --backup file name', { hint: 'e.g. --backup cleared.cbk.gz' });
  const file = path.resolve(ctx.environment.cwd, flags.backup);
  if (!flags.dryRun && !flags.force && existsSync(file)) {
    throw new UsageError(`Backup file ${file} already exists`, { hint: 'choose another name, or add --force to replace it' });
  }
  return file;
}

async function openSink<S extends RunSummary>(
  connection: RedisConnection,
  file: string,
  flags: DestructiveFlags,
  spec: DestructiveSpec<S>,
): Promise<BackupSink> {
  return openBackupSink(file, { connection, command: spec.command, selection: spec.selection ?? [spec.describe], overwrite: flags.force === true });
}

function printBackupLine(backup: RunBackup, dryRun: boolean, out: Output): void {
  if (dryRun) {
    out.line(`backup: dry run, no file written (a real run writes the deleted keys to ${backup.file})`);
  } else if (backup.written) {
    out.line(`backup: ${backup.keys.toLocaleString('en-US')} key(s) in ${backup.file} (restore with: cachectl restore ${JSON.stringify(backup.file)})`);
  } else {
    out.line(`backup: the run stopped before deleting anything, so no file was written (${backup.file})`);
  }
}

/** One audit line: labels and counts, never values. A failure to write it is a warning. */
async function audit(ctx: CliContext, server: string, summary: RunSummary, extra: Record<string, unknown>): Promise<void> {
  const dir = path.resolve(ctx.environment.cwd, ctx.config().logs.dir);
  try {
    await appendAudit(dir, {
      command: summary.command,
      targets: summary.targets,
      dryRun: summary.dryRun,
      server,
      result: {
        scanned: summary.scanned,
        matched: summary.matched,
        deleted: summary.deleted,
        failed: summary.failed,
        skippedQueueKeys: summary.skippedQueueKeys,
        ...(summary.kept !== undefined ? { kept: summary.kept } : {}),
        nodes: summary.nodes.length,
        durationMs: summary.durationMs,
        interrupted: summary.interrupted,
        limitReached: summary.limitReached,
        ...(summary.errors ? { errors: summary.errors.length } : {}),
        ...extra,
      },
    });
  } catch (error) {
    ctx.output.warn(`could not append to the audit log in ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
