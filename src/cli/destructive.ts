/**
 * The CLI side of the safety lifecycle, for every command that deletes or writes: the common flags,
 * the confirmation prompt (a terminal asks; without one `--yes` is needed), the progress line, and
 * printing the result — also the partial result of a run that failed after its first change (exit
 * 5). Everything else (assess, preflight, execute, audit) happens in the core lifecycle.
 */
import { formatCount } from '../core/stats/format.js';
import path from 'node:path';
import type { Command } from 'commander';
import { archiveFile, checkArchiveDir, type ArchiveLabel } from '../core/backup/archive.js';
import type { ExecuteOptions } from '../core/keyspace/execute.js';
import type { RunSummary } from '../core/keyspace/summary.js';
import { runLifecycle, type LifecycleEnv, type Operation, type Outcome } from '../core/safety/lifecycle.js';
import { ExitCode, PartialError, UsageError } from '../errors.js';
import { promptConfirm } from './confirm.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';
import { logFormatOption } from './log-format.js';
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
  /** `--backup-dir DIR`: the same, in a new `<command>-<UTC timestamp>.cbk.gz` in DIR. */
  backupDir?: string;
  /** `--force`: replace an existing backup file. */
  force?: boolean;
}

/** Add `--dry-run --yes --limit --rate --batch --backup --backup-dir --force --log-format` (and `--scan-tenants` where families are selected). */
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
    .option('--backup <file>', 'also keep exactly the deleted keys (DUMP + TTL) in FILE for "cachectl restore" (.gz: compressed)')
    .option('--backup-dir <dir>', 'like --backup, in a new <command>-<UTC timestamp>.cbk.gz in DIR (never an existing file: fit for schedules)')
    .option('--force', 'with --backup: replace FILE if it exists')
    .addOption(logFormatOption());
  if (options.scanTenants !== false) {
    command.option('--scan-tenants', 'scan every tenant:* namespace instead of the configured tenants (finds unlisted ones)');
  }
  return command;
}

/** Where the lifecycle of a CLI run happens: the connection, the config, `<logs.dir>` for the audit. */
export async function cliEnv(ctx: CliContext): Promise<LifecycleEnv> {
  return { connection: await ctx.connection(), config: ctx.config(), auditDir: logsDir(ctx) };
}

/** `logs.dir`: absolute once loaded (next to the config file, or the state folder without one). */
export function logsDir(ctx: CliContext): string {
  return path.resolve(ctx.environment.cwd, ctx.config().logs.dir);
}

/** Engine options from the flags (and `--tenant`), with a progress line labelled `label`. */
export function engineOptions(ctx: CliContext, flags: DestructiveFlags, label: string): { options: ExecuteOptions; done: () => void } {
  const progress = progressReporter(ctx.output, label, flags.dryRun === true);
  return {
    options: {
      ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
      ...(flags.rate !== undefined ? { rate: flags.rate } : {}),
      ...(flags.batch !== undefined ? { batch: flags.batch } : {}),
      ...(ctx.options.tenant !== undefined ? { tenant: ctx.options.tenant } : {}),
      signal: ctx.signal,
      onProgress: progress.onProgress,
    },
    done: progress.done,
  };
}

/** What a destructive command gives `runDestructive`. */
export interface DestructiveSpec<R extends RunSummary> {
  /** Progress label (the command name; its first word names `--backup-dir` files). */
  label: string;
  /** The operation, built with the engine options from the flags (`backup` when `--backup`). */
  build: (engine: ExecuteOptions & { backup?: boolean }, env: LifecycleEnv) => Operation<R>;
  /** Human rendering (default: the run summary). */
  render?: (result: Outcome<R>, out: Output) => void;
}

/** Run a keyspace operation through the lifecycle and print its result; sets exit 5 when incomplete. */
export async function runDestructive<R extends RunSummary>(ctx: CliContext, flags: DestructiveFlags, spec: DestructiveSpec<R>): Promise<void> {
  const backup = await backupFile(ctx, flags, spec.label);
  const env = await cliEnv(ctx);
  const engine = engineOptions(ctx, flags, spec.label);
  const op = spec.build({ ...engine.options, ...(backup ? { backup: true } : {}) }, env);
  let outcome: Outcome<R>;
  try {
    outcome = await runLifecycle(env, op, {
      dryRun: flags.dryRun === true,
      force: flags.yes === true,
      confirm: (prompt) => promptConfirm(ctx, prompt),
      ...(backup ? { backup: { file: backup, overwrite: flags.force === true } } : {}),
    });
  } catch (error) {
    engine.done();
    // Changes were made: the summary of what was done, then the error (exit 5).
    if (error instanceof PartialError && error.partial && typeof error.partial === 'object' && 'command' in error.partial)
      printOutcome(ctx, error.partial as Outcome<R>, spec, op);
    throw error;
  }
  engine.done();
  printOutcome(ctx, outcome, spec, op);
  if (op.incomplete(outcome)) ctx.fail(ExitCode.PARTIAL);
}

function printOutcome<R extends RunSummary>(ctx: CliContext, outcome: Outcome<R>, spec: DestructiveSpec<R>, op: Operation<R>): void {
  const out = ctx.output;
  out.result(outcome, () => {
    (spec.render ?? printRunSummary)(outcome, out);
    if (outcome.backup) printBackupLine(outcome.backup, outcome.dryRun, out);
  });
  noteRun(outcome, out);
  noteTenant(outcome, out);
  if (outcome.backup?.written && op.incomplete(outcome)) {
    out.warn(`the run stopped part-way: ${outcome.backup.file} holds the ${formatCount(outcome.backup.keys)} key(s) deleted so far (kept)`);
  }
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

/** Resolve `--backup FILE` against the working directory (`--force` needs it), or name a new file in `--backup-dir`. */
async function backupFile(ctx: CliContext, flags: DestructiveFlags, label: string): Promise<string | undefined> {
  if (flags.backupDir !== undefined) {
    if (flags.backup !== undefined)
      throw new UsageError('--backup and --backup-dir exclude each other', { hint: 'a file, or a folder that gets a new file per run' });
    if (flags.backupDir === '') throw new UsageError('Empty --backup-dir', { hint: 'e.g. --backup-dir logs/archive' });
    if (flags.force) throw new UsageError('--force only goes with --backup FILE', { hint: '--backup-dir always writes a new file' });
    const dir = path.resolve(ctx.environment.cwd, flags.backupDir);
    if (!flags.dryRun) await checkArchiveDir(dir);
    return archiveFile(dir, label.split(' ')[0] as ArchiveLabel);
  }
  if (flags.backup === undefined) {
    if (flags.force) throw new UsageError('--force only goes with --backup FILE', { hint: 'it allows replacing an existing backup file' });
    return undefined;
  }
  if (flags.backup === '') throw new UsageError('Empty --backup file name', { hint: 'e.g. --backup cleared.cbk.gz' });
  return path.resolve(ctx.environment.cwd, flags.backup);
}

function printBackupLine(backup: NonNullable<Outcome<RunSummary>['backup']>, dryRun: boolean, out: Output): void {
  if (dryRun) {
    out.line(`backup: dry run, no file written (a real run writes the deleted keys to ${backup.file})`);
  } else if (backup.written && backup.complete === false) {
    out.line(
      `backup: ${formatCount(backup.keys)} key(s) in ${backup.file}, an incomplete file (restore with: cachectl restore --partial ${JSON.stringify(backup.file)})`,
    );
  } else if (backup.written) {
    out.line(`backup: ${formatCount(backup.keys)} key(s) in ${backup.file} (restore with: cachectl restore ${JSON.stringify(backup.file)})`);
  } else {
    out.line(`backup: the run stopped before deleting anything, so no file was written (${backup.file})`);
  }
}
