/**
 * `cachectl clear-all` (alias `all`, the earlier tool's command line): every cache family; keys no
 * family describes only with `--include-unknown`; queues (finished jobs past retention, waiting
 * and delayed jobs exported then drained, never active ones) only with `--queue`.
 */
import { formatCount } from '../../core/stats/format.js';
import { Command } from 'commander';
import { clearAllSpec, type ClearAllResult } from '../../core/operations/clear-all.js';
import { keyspaceOperation } from '../../core/operations/keyspace.js';
import type { ClearQueuesResult } from '../../core/queues/clear-all.js';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { addDestructiveOptions, logsDir, runDestructive, type DestructiveFlags } from '../destructive.js';
import type { Output } from '../output.js';
import { printRunSummary } from '../run-summary.js';

interface ClearAllFlags extends DestructiveFlags {
  includeUnknown?: boolean;
  queue?: boolean;
}

export function clearAllCommand(ctx: CliContext): Command {
  const command = new Command('clear-all')
    .alias('all')
    .description('remove every cache family (one SCAN pass per master for all of them); queues only with --queue')
    .option('--include-unknown', "also remove keys that belong to no family (queue keys and cachectl's own keys are still never touched)")
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
      const tenant = ctx.options.tenant;
      if (tenant !== undefined && flags.queue) {
        throw new UsageError('clear-all --queue cannot be restricted to one tenant', {
          hint: 'queues are shared by every tenant: run "clear-all --queue" without --tenant, or drop --queue',
        });
      }
      const spec = clearAllSpec(config, { includeUnknown: flags.includeUnknown === true, ...(tenant !== undefined ? { tenant } : {}) });
      const out = ctx.output;
      const queues = flags.queue
        ? {
            logsDir: logsDir(ctx),
            signal: ctx.signal,
            onProgress: (p: { queue: string; step: string; done: number; total?: number }) =>
              out.progress(`clear-all --queue: ${p.queue} ${p.step} ${formatCount(p.done)}${p.total !== undefined ? ` of ${formatCount(p.total)}` : ''}`),
          }
        : undefined;
      // The queue part loads BullMQ: only with --queue.
      const withQueues = queues ? (await import('../../core/operations/clear-all-queues.js')).clearAllOperation : undefined;
      await runDestructive<ClearAllResult>(ctx, flags, {
        label: 'clear-all',
        build: (engine, env) =>
          withQueues && queues
            ? withQueues(env.connection, env.config, spec, { ...engine, queues })
            : keyspaceOperation(env.connection, env.config, spec, engine),
        render: (result, o) => {
          printRunSummary(result, o);
          if (result.queues) {
            for (const s of result.queues.skippedQueues) o.warn(`queue ${s.queue} skipped: ${s.reason}`);
            if (result.queues.interrupted) o.warn('interrupted while clearing queues: the summary says what was done');
            printQueues(result.queues, o);
          }
        },
      });
    });
  return addDestructiveOptions(command, { scanTenants: false });
}

/** The queue part of the summary. */
function printQueues(result: ClearQueuesResult, out: Output): void {
  const t = result.totals;
  const verb = result.dryRun ? 'would' : '';
  out.line(
    `queues: ${result.queues.length} cleared${result.dryRun ? ' (dry run)' : ''}; ${formatCount(t.cleaned)} finished job(s) ${verb ? 'would be ' : ''}cleaned, ` +
      `${formatCount(t.drained)} waiting/delayed job(s) ${verb ? 'would be ' : ''}drained` +
      (result.dryRun ? '' : `, ${formatCount(t.backedUp)} exported to ${result.backupDir}`) +
      (t.skippedJobs > 0 ? `, ${formatCount(t.skippedJobs)} skipped` : ''),
  );
  if (result.queues.length > 0) {
    out.table(
      ['queue', 'completed', 'failed', 'drained', 'backup'],
      result.queues.map((q) => [
        q.queue,
        formatCount(result.dryRun ? q.completed.matched : q.completed.removed),
        formatCount(result.dryRun ? q.failed.matched : q.failed.removed),
        formatCount(result.dryRun ? Object.values(q.drain.byState).reduce<number>((a, b) => a + (b ?? 0), 0) : q.drain.removed),
        q.drain.backup ?? '-',
      ]),
      { align: ['left', 'right', 'right', 'right', 'left'] },
    );
  }
}
