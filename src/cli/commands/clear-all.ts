/**
 * `cachectl clear-all` (alias `all`, the earlier tool's command line): every cache family; keys no
 * family describes only with `--include-unknown`; queues (finished jobs past retention, waiting
 * and delayed jobs exported then drained, never active ones) only with `--queue`.
 */
import path from 'node:path';
import { Command } from 'commander';
import { labelsOf } from '../../core/operations/execute.js';
import { clearAll, planClearAll } from '../../core/operations/clear-all.js';
import { assessSelections } from '../../core/operations/safety.js';
import { clearQueuesAfterCaches, type ClearQueuesResult } from '../../core/queues/clear-all.js';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { addDestructiveOptions, runDestructive, type DestructiveFlags } from '../destructive.js';
import type { Output } from '../output.js';
import { fmt } from '../progress.js';

interface ClearAllFlags extends DestructiveFlags {
  includeUnknown?: boolean;
  queue?: boolean;
}

export function clearAllCommand(ctx: CliContext): Command {
  const command = new Command('clear-all')
    .alias('all')
    .description('remove every cache family (one SCAN pass per family, masters in parallel); queues only with --queue')
    .option('--include-unknown', 'also remove keys that belong to no family (queue keys are still never touched)')
    .option('--queue', 'then also clear queues: clean finished jobs past retention, back up and drain waiting/delayed jobs (never active ones)')
    .addHelpText(
      'after',
      `
Always asks for confirmation on a terminal; without one it needs --yes. With --queue, once the
families are cleared, every BullMQ queue under queues.prefixes loses its completed/failed jobs
older than queues.completedRetentionHours/failedRetentionHours, and its waiting and delayed jobs
are exported to <logs.dir>/backups (re-add them with "queues import") and then removed. Active
jobs are never touched.

Examples:
  $ cachectl clear-all --dry-run
  $ cachectl clear-all --yes
  $ cachectl all --yes --rate 20000          # the earlier "clear-cache.js all"
  $ cachectl all --queue --yes               # the earlier "clear-cache.js all --queue"
  $ cachectl clear-all --yes --backup cleared.cbk.gz
  $ cachectl clear-all --include-unknown --yes --json`,
    )
    .action(async (flags: ClearAllFlags) => {
      const config = ctx.config();
      const includeUnknown = flags.includeUnknown === true;
      const tenant = ctx.options.tenant;
      if (tenant !== undefined && flags.queue) {
        throw new UsageError('clear-all --queue cannot be restricted to one tenant', {
          hint: 'queues are shared by every tenant: run "clear-all --queue" without --tenant, or drop --queue',
        });
      }
      const selections = planClearAll({ config }, { includeUnknown, ...(tenant !== undefined ? { tenant } : {}) });
      const families = selections.length;
      const logsDir = path.resolve(ctx.environment.cwd, config.logs.dir);
      const what =
        (includeUnknown ? 'delete every key except queue keys' : `delete every key of ${families} cache ${families === 1 ? 'family' : 'families'}`) +
        (tenant !== undefined ? ` in tenant ${tenant}` : '');
      const queuePlan = flags.queue ? await previewQueues(ctx, flags, logsDir) : '';
      await runDestructive(ctx, flags, {
        command: 'clear-all',
        describe: flags.queue ? `${what}, then ${queuePlan || 'clean and drain every queue (active jobs untouched)'}` : what,
        selection: labelsOf(selections),
        assessment: assessSelections(
          selections.filter((s) => s.kind === 'exact'),
          { confirmAbove: config.safety.confirmAbove, always: includeUnknown ? 'every non-queue key, unknown ones included' : 'every cache family' },
        ),
        execute: async (options) => clearAll({ connection: await ctx.connection(), config }, { ...options, includeUnknown }),
        ...(flags.queue
          ? {
              followUp: async ({ dryRun, connection }) => {
                const out = ctx.output;
                let queues: ClearQueuesResult;
                try {
                  queues = await clearQueuesAfterCaches(connection, config, {
                    logsDir,
                    dryRun,
                    signal: ctx.signal,
                    onProgress: (p) =>
                      out.progress(`clear-all --queue: ${p.queue} ${p.step} ${fmt(p.done)}${p.total !== undefined ? ` of ${fmt(p.total)}` : ''}`),
                  });
                } finally {
                  out.clearProgress();
                }
                for (const s of queues.skippedQueues) out.warn(`queue ${s.queue} skipped: ${s.reason}`);
                if (queues.interrupted) out.warn('interrupted while clearing queues: the summary says what was done');
                return { fields: { queues }, render: (o) => printQueues(queues, o), partial: queues.interrupted };
              },
            }
          : {}),
      });
    });
  return addDestructiveOptions(command, { scanTenants: false });
}

/**
 * The queue half, dry-run, for the confirmation prompt. Only when a prompt will be shown (a
 * terminal and no --yes): otherwise the gate refuses or goes ahead without connecting first.
 */
async function previewQueues(ctx: CliContext, flags: ClearAllFlags, logsDir: string): Promise<string> {
  const { stdin, stderr } = ctx.environment.streams;
  if (flags.dryRun || flags.yes || !stdin.isTTY || !stderr.isTTY) return '';
  const preview = await clearQueuesAfterCaches(await ctx.connection(), ctx.config(), { logsDir, dryRun: true, signal: ctx.signal });
  const t = preview.totals;
  return `in ${preview.queues.length} queue(s) clean ${fmt(t.cleaned)} finished job(s) past retention and back up then drain ${fmt(t.drained)} waiting/delayed job(s) (active jobs untouched)`;
}

/** The queue part of the summary. */
function printQueues(result: ClearQueuesResult, out: Output): void {
  const t = result.totals;
  const verb = result.dryRun ? 'would' : '';
  out.line(
    `queues: ${result.queues.length} cleared${result.dryRun ? ' (dry run)' : ''}; ${fmt(t.cleaned)} finished job(s) ${verb ? 'would be ' : ''}cleaned, ` +
      `${fmt(t.drained)} waiting/delayed job(s) ${verb ? 'would be ' : ''}drained` +
      (result.dryRun ? '' : `, ${fmt(t.backedUp)} exported to ${result.backupDir}`) +
      (t.skippedJobs > 0 ? `, ${fmt(t.skippedJobs)} skipped` : ''),
  );
  if (result.queues.length > 0) {
    out.table(
      ['queue', 'completed', 'failed', 'drained', 'backup'],
      result.queues.map((q) => [
        q.queue,
        fmt(result.dryRun ? q.completed.matched : q.completed.removed),
        fmt(result.dryRun ? q.failed.matched : q.failed.removed),
        fmt(result.dryRun ? Object.values(q.drain.byState).reduce<number>((a, b) => a + (b ?? 0), 0) : q.drain.removed),
        q.drain.backup ?? '-',
      ]),
      { align: ['left', 'right', 'right', 'right', 'left'] },
    );
  }
}
