/**
 * `cachectl maintenance`: one locked, recorded run of the maintenance policy (meant for PM2 cron).
 */
import { Command } from 'commander';
import { eventJson, eventText } from '../../core/maintenance/event-text.js';
import { maintenanceOperation } from '../../core/maintenance/operation.js';
import type { MaintenanceOutcome } from '../../core/maintenance/run.js';
import { defaultSteps } from '../../core/maintenance/steps.js';
import { runLifecycle } from '../../core/safety/lifecycle.js';
import path from 'node:path';
import { CachectlError, LockHeldError, UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { addLogFormatOption } from '../log-format.js';
import { cliEnv, logsDir } from '../destructive.js';
import type { Output } from '../output.js';
import { integerParser, parseDays, parseHours } from '../parsers.js';

interface MaintenanceFlags {
  hours?: number;
  backupDir?: string;
  keepDays?: number;
  rate?: number;
  dryRun?: boolean;
  logFormat: 'json' | 'text';
}

export function maintenanceCommand(ctx: CliContext): Command {
  const command = new Command('maintenance')
    .description('run the maintenance policy once, under a lock: clear-old per family, clean finished queue jobs, trim queue events, stats snapshot')
    .option('--hours <n>', "age threshold for every family: 48 (hours), 48h, 2d (overrides maintenance.hours and each family's maxAgeHours)", parseHours)
    .option('--rate <keys/s>', 'ceiling on cache deletions per second (protects a busy server)', integerParser(1))
    .option('--dry-run', 'count what each step would remove; change nothing (no lock, no run record)')
    .option('--backup-dir <dir>', 'keep what clear-old deletes: one maintenance-<UTC timestamp>.cbk.gz per run in DIR (default: maintenance.archive.dir)')
    .option(
      '--keep-days <n>',
      'with an archive: remove archive files older than N days: 14 (days), 14d, 2w (default: maintenance.archive.keepDays; none)',
      parseDays,
    )
    .addHelpText(
      'after',
      `
Every run takes the lock <namespace>:maintenance:lock (namespace "cachectl" by default; a second
run exits with code 6), appends its record to the stream <namespace>:maintenance:runs and one JSON
line to <logs.dir>/maintenance.log. --dry-run takes no lock and records nothing.

Exit codes: 0 every step succeeded · 5 partial (some steps failed, or interrupted) · 1 nothing
succeeded · 6 another run holds the lock · 3 cannot reach the server · 2 the logs cannot be
written (nothing touched) · 7 the ACL denies a command the steps need (nothing touched).

Examples:
  $ cachectl maintenance
  $ cachectl maintenance --hours 48
  $ cachectl maintenance --rate 2000         # at most 2000 deletions per second
  $ cachectl maintenance --backup-dir logs/archive --keep-days 14   # restorable with cachectl restore
  $ cachectl --tenant acme maintenance      # only acme's keys: clear-old and ttl-policy
  $ cachectl maintenance --log-format json      # as in ecosystem.config.cjs`,
    )
    .action(async (flags: MaintenanceFlags) => {
      ctx.releaseIdleStdin();
      const out = ctx.output;
      const json = flags.logFormat === 'json';
      // One object per line on stdout, through the same redaction and control-character guard as all output.
      const write = (line: string) => out.log(line);
      let outcome: MaintenanceOutcome;
      try {
        const env = await cliEnv(ctx);
        const archive = archiveFlags(ctx, flags);
        const op = maintenanceOperation(env.connection, env.config, {
          steps: defaultSteps({
            ...(flags.rate !== undefined ? { rate: flags.rate } : {}),
            ...(archive ? { archive } : {}),
            ...(ctx.options.tenant !== undefined ? { tenant: ctx.options.tenant } : {}),
          }),
          ...(archive ? { archive } : {}),
          hours: flags.hours,
          signal: ctx.signal,
          logDir: logsDir(ctx),
          onEvent: (event) => {
            if (out.json && !json) return;
            if (json) return write(eventJson(event));
            if (event.type === 'warning') return out.warn(event.message);
            const text = eventText(event);
            if (text !== undefined) out.line(text);
          },
        });
        outcome = await runLifecycle(env, op, { dryRun: flags.dryRun === true, force: true });
      } catch (error) {
        // Unattended runs log every refusal as one JSON line too: PM2's log must say why it exited.
        if (json && error instanceof CachectlError) {
          write(
            JSON.stringify({
              time: new Date().toISOString(),
              level: 'error',
              event: error instanceof LockHeldError ? 'lock-held' : 'failed',
              code: error.code,
              message: error.message,
            }),
          );
        }
        throw error;
      }
      if (out.json && !json)
        out.result(
          { ...outcome.run, dryRun: flags.dryRun === true, recorded: outcome.recorded, logFile: outcome.logFile, exitCode: outcome.exitCode },
          () => undefined,
        );
      else if (!json) printHint(outcome, out);
      ctx.fail(outcome.exitCode);
    });
  return addLogFormatOption(command);
}

/** `--backup-dir` (against the working directory) / `--keep-days`, else `maintenance.archive` (next to the config file). */
function archiveFlags(ctx: CliContext, flags: MaintenanceFlags): { dir: string; keepDays?: number | undefined } | undefined {
  const configured = ctx.config().maintenance.archive;
  const dir = flags.backupDir ?? configured?.dir;
  if (dir === undefined) {
    if (flags.keepDays !== undefined)
      throw new UsageError('--keep-days needs an archive folder', { hint: 'add --backup-dir DIR, or set maintenance.archive.dir' });
    return undefined;
  }
  if (dir === '') throw new UsageError('Empty --backup-dir', { hint: 'e.g. --backup-dir logs/archive' });
  return { dir: path.resolve(ctx.environment.cwd, dir), keepDays: flags.keepDays ?? configured?.keepDays };
}

function printHint(outcome: MaintenanceOutcome, out: Output): void {
  if (outcome.exitCode === 0) return;
  out.hint(
    `hint: exit ${outcome.exitCode}: ${outcome.run.status === 'partial' ? 'some steps did not finish; the rest was done' : 'no step succeeded'} (see the lines above and ${outcome.logFile ?? 'maintenance.log'})`,
  );
}
