/**
 * Jobs in and out: `queues drain`, `queues export`, `queues import`.
 */
import path from 'node:path';
import { Command } from 'commander';
import { assertOperable, EXPORTABLE_STATES, resolveQueue, type ExportableState } from '../../../core/queues/bull.js';
import { queueRef } from '../../../core/queues/discovery.js';
import { backupFileName, drainQueue, drainStates, type DrainResult } from '../../../core/queues/drain.js';
import { exportJobs } from '../../../core/queues/export.js';
import { importJobs, type ImportResult } from '../../../core/queues/import.js';
import { UsageError } from '../../../errors.js';
import type { CliContext } from '../../context.js';
import { safe, type Output } from '../../output.js';
import { logsDir } from '../../destructive.js';
import { addSafetyOptions, formatMs, plural, prefixesOf, runQueueAction, statesParser, targetQueues, type CommonFlags } from './shared.js';

interface DrainFlags extends CommonFlags {
  delayed?: boolean;
  backup: boolean;
}

export function drainCommand(ctx: CliContext): Command {
  const command = new Command('drain')
    .description('remove the jobs waiting to run (and delayed ones with --delayed), after backing them up')
    .argument('<name>', 'queue name (or <prefix>:<name>)')
    .option('--delayed', 'also remove delayed jobs')
    .option('--no-backup', 'do not write the backup file first')
    .addHelpText(
      'after',
      `
The jobs are first written to <logs.dir>/backups/<queue>-<time>.jsonl (restore them with
"cachectl queues import FILE <name>"); then exactly those jobs are removed. Active jobs, jobs added
meanwhile and job-scheduler jobs are left alone. Always asks for confirmation, or needs --yes.

Examples:
  $ cachectl queues drain messages --dry-run
  $ cachectl queues drain messages --delayed --yes`,
    );
  return addSafetyOptions(command).action(async (name: string, flags: DrainFlags) => {
    const connection = await ctx.connection();
    const [ref] = await targetQueues(ctx, connection, name, flags);
    assertOperable(connection, ref!);
    const backupDir = flags.backup ? path.join(logsDir(ctx), 'backups') : false;
    const now = new Date();
    const file = backupDir ? backupFileName(backupDir, ref!, now) : undefined;
    const drain = (dryRun: boolean) =>
      drainQueue(connection, ref!, {
        delayed: flags.delayed,
        backupDir,
        ...(file ? { file } : {}),
        now,
        dryRun,
        signal: ctx.signal,
        onProgress: ({ phase, done, total }) =>
          ctx.output.progress(phase === 'take' ? `taking ${done}` : `${phase === 'backup' ? 'backing up' : 'removing'} ${done}/${total}`),
      });
    await runQueueAction<DrainResult>(
      ctx,
      flags,
      {
        command: 'queues drain',
        describe: (n) =>
          `remove ${n === undefined ? 'the jobs' : plural(n, 'job')} (${drainStates(flags.delayed).join(', ')}) from ${ref!.key}${flags.backup ? ' after backing them up' : ' WITHOUT a backup'}`,
        refs: [ref!],
        count: async () => Object.values((await drain(true)).byState).reduce<number>((a, b) => a + (b ?? 0), 0),
        always: flags.backup ? 'jobs that have not run yet are removed' : 'jobs that have not run yet are removed, with no backup',
        ...(file ? { files: [{ file, owner: ref!.key }] } : {}),
        execute: drain,
        changes: (r) => r.removed + r.held,
        incomplete: (r) => r.interrupted,
        auditResult: (r) => ({
          byState: r.byState,
          backup: r.backup,
          removed: r.removed,
          skipped: r.skipped,
          held: r.held,
          ...(r.recovered ? { recovered: { file: r.recovered.file, held: r.recovered.held, removed: r.recovered.removed } } : {}),
          interrupted: r.interrupted,
        }),
      },
      printDrain,
    );
  });
}

export function printDrain(r: DrainResult, out: Output): void {
  const found =
    Object.entries(r.byState)
      .filter(([, n]) => n)
      .map(([state, n]) => `${n} ${state}`)
      .join(', ') || 'none';
  const pending = r.recovered;
  if (r.dryRun) {
    if (pending)
      out.line(
        `An interrupted drain (${safe(pending.host)} pid ${pending.pid}, ${pending.startedAt}) holds ${plural(pending.held, 'job')}${pending.file ? ` for ${safe(pending.file)}` : ''}: this drain would finish it first.`,
      );
    out.line(`Dry run: would remove from ${safe(r.queue)}: ${found}; nothing was changed.`);
    return;
  }
  if (pending)
    out.line(
      `Finished an interrupted drain (${pending.startedAt}): removed ${plural(pending.removed, 'job')}${pending.file ? `, backed up in ${pending.file}` : ''}.`,
    );
  if (r.backup) out.line(`Backed up ${plural(r.backedUp, 'job')} to ${r.backup}`);
  out.line(
    `Removed ${plural(r.removed, 'job')} from ${safe(r.queue)} (${found} taken)${r.skipped ? `; left ${r.skipped} that belong to a job scheduler` : ''} in ${formatMs(r.elapsedMs)}.`,
  );
  if (r.held > 0) out.warn(`${plural(r.held, 'job')} taken but not yet removed are held out of the workers' reach: run the drain again to finish`);
  else if (r.interrupted) out.warn('interrupted: the jobs not yet taken are still in the queue');
}

interface ExportFlags extends CommonFlags {
  state: ExportableState[];
  out: string;
}

export function exportCommand(ctx: CliContext): Command {
  const command = new Command('export')
    .description('write jobs as JSON lines (name, data, opts, state, timestamps, attempts, failedReason)')
    .argument('<name>', 'queue name (or <prefix>:<name>)')
    .requiredOption('--state <states>', `comma-separated: ${EXPORTABLE_STATES.join(', ')}`, statesParser(EXPORTABLE_STATES))
    .requiredOption('--out <file>', 'file to write (never overwritten), or - for stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ cachectl queues export messages --state failed --out failed.jsonl
  $ cachectl queues export messages --state wait,delayed --out - | jq -r .name`,
    );
  return command.action(async (name: string, flags: ExportFlags) => {
    const connection = await ctx.connection();
    const [ref] = await targetQueues(ctx, connection, name, flags);
    assertOperable(connection, ref!);
    const toStdout = flags.out === '-';
    if (toStdout && ctx.output.json) throw new UsageError('--out - and --json both want stdout', { hint: 'write the jobs to a file with --out FILE' });
    const result = await exportJobs(connection, ref!, {
      states: flags.state,
      out: toStdout ? ctx.output.streams.stdout : path.resolve(ctx.environment.cwd, flags.out),
      signal: ctx.signal,
      onProgress: ({ exported, total }) => ctx.output.progress(`exported ${exported}/${total}`),
    });
    ctx.output.clearProgress();
    const { ids: _ids, ...summary } = result;
    if (toStdout) ctx.output.info(`Exported ${plural(result.exported, 'job')} of ${safe(result.queue)}.`);
    else
      ctx.output.result(summary, (r, out) =>
        out.line(
          `Exported ${plural(r.exported, 'job')} of ${safe(r.queue)} to ${safe(r.file)} (${
            Object.entries(r.byState)
              .map(([s, n]) => `${n} ${s}`)
              .join(', ') || 'none'
          }).`,
        ),
      );
    if (result.interrupted) {
      ctx.output.warn('interrupted: the file holds only part of the jobs');
      ctx.fail(5);
    }
  });
}

interface ImportFlags extends CommonFlags {
  create?: boolean;
  again?: boolean;
}

export function importCommand(ctx: CliContext): Command {
  const command = new Command('import')
    .description('add the jobs of an export file (or drain backup) to a queue; the whole file is checked first')
    .argument('<file>', 'JSON lines written by "queues export" or "queues drain"')
    .argument('<name>', 'queue name (or <prefix>:<name>)')
    .option('--create', 'the queue may not exist yet (first --prefix / queues.prefixes is used)')
    .option('--again', 'import the whole file once more, even the jobs an earlier run of it already added')
    .addHelpText(
      'after',
      `
Jobs are added as new jobs (new ids unless opts.jobId was set), in file order, with their original
timestamp: delayed jobs keep their schedule; failed/completed ones will run again. A bad line refuses
the whole file (exit 2) before anything is added. Running the same import again (after an
interruption, say) adds only the jobs still missing and says how many it skipped; --again imports
the whole file once more. Jobs whose own opts.jobId is already in the queue are left out.

Examples:
  $ cachectl queues import logs/backups/bull-messages-2024-05-01T02-00-00-000Z.jsonl messages --dry-run
  $ cachectl queues import failed.jsonl messages --yes`,
    );
  return addSafetyOptions(command).action(async (file: string, name: string, flags: ImportFlags) => {
    const connection = await ctx.connection();
    const prefixes = prefixesOf(ctx, flags);
    const ref = await resolveQueue(connection, name, prefixes).catch((error: unknown) => {
      // --create: a queue that does not exist yet is made under the first prefix.
      if (flags.create && error instanceof UsageError && error.message.startsWith('No queue')) return queueRef(prefixes[0]!, name);
      throw error;
    });
    assertOperable(connection, ref);
    const filePath = path.resolve(ctx.environment.cwd, file);
    await runQueueAction<ImportResult>(
      ctx,
      flags,
      {
        command: 'queues import',
        describe: (n) => `add ${n === undefined ? 'the jobs' : plural(n, 'job')} of ${filePath} to ${ref.key}`,
        refs: [ref],
        count: async () => {
          const planned = await importJobs(connection, ref, { file: filePath, dryRun: true, again: flags.again });
          return planned.total - planned.skipped;
        },
        execute: (dryRun) =>
          importJobs(connection, ref, {
            file: filePath,
            dryRun,
            again: flags.again,
            signal: ctx.signal,
            onProgress: ({ added, total }) => ctx.output.progress(`added ${added}/${total}`),
          }),
        changes: (r) => r.added,
        incomplete: (r) => r.interrupted,
        auditResult: (r) => ({ file: filePath, total: r.total, added: r.added, skipped: r.skipped, duplicates: r.duplicates, byState: r.byState }),
      },
      (r, out) => {
        const states =
          Object.entries(r.byState)
            .map(([s, n]) => `${n} ${s}`)
            .join(', ') || 'none';
        const skipped = r.skipped ? `; skipped ${plural(r.skipped, 'job')} an earlier import of this file already added` : '';
        const duplicates = r.duplicates ? `; left out ${plural(r.duplicates, 'job')} whose job id is already in the queue` : '';
        out.line(
          r.dryRun
            ? `Dry run: would add ${plural(r.total - r.skipped, 'job')} to ${safe(r.queue)} (file: ${states})${skipped}; nothing was changed.`
            : `Added ${plural(r.added, 'job')} to ${safe(r.queue)} (file: ${states})${skipped}${duplicates}.`,
        );
      },
    );
  });
}
