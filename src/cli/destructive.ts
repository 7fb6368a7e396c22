/**
 * The flow every destructive command shares: the common flags, the safety gate (before
 * connecting), the run with a progress line, the audit line, the summary, and the exit code
 * (5 when interrupted or partly failed).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { appendAudit } from '../core/audit.js';
import type { RunSummary } from '../core/keyspace/summary.js';
import type { ClearOptions } from '../core/operations/execute.js';
import type { SafetyAssessment } from '../core/operations/safety.js';
import { ExitCode, PartialError, SafetyError } from '../errors.js';
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
}

/** Add `--dry-run --yes --limit --rate --batch` (and `--scan-tenants` where families are selected). */
export function addDestructiveOptions(command: Command, options: { scanTenants?: boolean } = {}): Command {
  command
    .option('--dry-run', 'count what would be deleted and show a sample; delete nothing')
    .option('-y, --yes', 'go ahead without asking (needed without a terminal for large or broad runs)')
    .option('--limit <n>', 'stop after N deletions', integerParser(1))
    .option('--rate <n>', 'delete at most N keys per second', integerParser(1))
    .option('--batch <n>', 'at most N deletions per server call (default: scan.serverBatch 5000 per pattern step, scan.batch 500 per pipeline)', integerParser(1, 100_000));
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
  assessment: SafetyAssessment;
  execute: (options: ClearOptions) => Promise<S>;
  /** Human rendering (default: the run summary). */
  render?: (summary: S, out: Output) => void;
}

/** Gate, run, audit, print. Throws SafetyError (exit 4) before connecting when refused. */
export async function runDestructive<S extends RunSummary>(ctx: CliContext, flags: DestructiveFlags, spec: DestructiveSpec<S>): Promise<void> {
  const out = ctx.output;
  const dryRun = flags.dryRun === true;
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
  const progress = progressReporter(out, spec.command, dryRun);
  let summary: S;
  let partial: PartialError | undefined;
  try {
    summary = await spec.execute({
      dryRun,
      ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
      ...(flags.rate !== undefined ? { rate: flags.rate } : {}),
      ...(flags.batch !== undefined ? { batch: flags.batch } : {}),
      ...(flags.scanTenants ? { scanTenants: true } : {}),
      signal: ctx.signal,
      onProgress: progress.onProgress,
    });
  } catch (error) {
    if (!(error instanceof PartialError)) throw error;
    summary = error.partial as S;
    partial = error;
  } finally {
    progress.done();
  }
  await audit(ctx, connection.target, summary);
  out.result(summary, (s, o) => (spec.render ?? printRunSummary)(s, o));
  noteRun(summary, out);
  if (partial) throw partial;
  if (summary.interrupted || summary.failed > 0) ctx.fail(ExitCode.PARTIAL);
}

/** One audit line: labels and counts, never values. A failure to write it is a warning. */
async function audit(ctx: CliContext, server: string, summary: RunSummary): Promise<void> {
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
      },
    });
  } catch (error) {
    ctx.output.warn(`could not append to the audit log in ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
