/**
 * `cachectl queues clean <name|--all> --state … --grace … [--limit N] [--max-time 60s]`.
 */
import { formatCount } from '../../../core/stats/format.js';
import { Command } from 'commander';
import { assertOperable, clusterProblem, CLEANABLE_STATES, type CleanableState } from '../../../core/queues/bull.js';
import { cleanQueue, DEFAULT_MAX_TIME_MS, type CleanResult } from '../../../core/queues/clean.js';
import { UsageError } from '../../../errors.js';
import type { CliContext } from '../../context.js';
import { safe, type Output } from '../../output.js';
import { durationOption, integerParser } from '../../parsers.js';
import {
  addSafetyOptions,
  formatAge,
  formatMs,
  parseGrace,
  plural,
  runQueueAction,
  stateParser,
  targetQueues,
  type CommonFlags,
  type Grace,
} from './shared.js';

interface CleanFlags extends CommonFlags {
  state: CleanableState;
  grace?: Grace;
  limit?: number;
  maxTime: number;
}

export interface CleanSummary {
  state: CleanableState;
  graceMs: number;
  dryRun: boolean;
  queues: CleanResult[];
  skipped: Array<{ queue: string; reason: string }>;
  total: number;
}

export function cleanCommand(ctx: CliContext): Command {
  const command = new Command('clean')
    .description('remove jobs older than a grace period from one state (never active jobs), in short bounded batches')
    .argument('[name]', 'queue name (or <prefix>:<name>)')
    .option('--all', 'every queue under the prefixes')
    .option('--state <state>', `which jobs: ${CLEANABLE_STATES.join(' | ')}`, stateParser(CLEANABLE_STATES), 'completed')
    .option(
      '--grace <duration>',
      'keep jobs younger than this (24h, 30m, 7d; 0 = none). Default for completed/failed: queues.completedRetentionHours / failedRetentionHours',
      parseGrace,
    )
    .option('--limit <n>', 'remove at most this many jobs per queue', integerParser(1))
    .addOption(durationOption('--max-time <duration>', 'stop starting new batches after this long (whole run)', DEFAULT_MAX_TIME_MS))
    .addHelpText(
      'after',
      `
Ages: completed/failed jobs by when they finished; delayed by when they were processed or added;
wait/prioritized by when they were added. Uses BullMQ's Queue.clean in batches sized to keep each
server call short; "active" is not a state you can clean.

Examples:
  $ cachectl queues clean messages --state completed --grace 24h --dry-run
  $ cachectl queues clean --all --state failed --grace 7d --yes
  $ cachectl queues clean messages --state wait --grace 2d --limit 10000 --max-time 30s`,
    );
  return addSafetyOptions(command).action(async (name: string | undefined, flags: CleanFlags) => {
    const config = ctx.config();
    if (flags.grace?.bare)
      ctx.output.warn(`--grace ${flags.grace.ms / 3_600_000}: a bare number is read as hours; write ${flags.grace.ms / 3_600_000}h (durations take a unit)`);
    const graceMs = flags.grace?.ms ?? defaultGrace(flags.state, config.queues);
    const connection = await ctx.connection();
    const refs = await targetQueues(ctx, connection, name, flags);
    if (name) assertOperable(connection, refs[0]!);
    const skipped = refs.flatMap((ref) => {
      const reason = clusterProblem(connection, ref);
      return reason ? [{ queue: ref.key, reason }] : [];
    });
    const usable = refs.filter((ref) => !clusterProblem(connection, ref));
    const common = { state: flags.state, graceMs, limit: flags.limit, signal: ctx.signal };
    const summary = (queues: CleanResult[], dryRun: boolean): CleanSummary => ({
      state: flags.state,
      graceMs,
      dryRun,
      queues,
      skipped,
      total: queues.reduce((n, r) => n + (dryRun ? r.matched : r.removed), 0),
    });
    const estimate = async () => {
      const estimates: CleanResult[] = [];
      for (const ref of usable) estimates.push(await cleanQueue(connection, ref, { ...common, dryRun: true, maxTimeMs: flags.maxTime }));
      return estimates;
    };
    const unprocessed = flags.state !== 'completed' && flags.state !== 'failed';
    const result = await runQueueAction<CleanSummary>(
      ctx,
      flags,
      {
        command: 'queues clean',
        describe: (n) =>
          `remove ${n === undefined ? `${flags.state} jobs` : plural(n, `${flags.state} job`)} older than ${formatAge(graceMs)} from ${plural(usable.length, 'queue')}`,
        refs: usable,
        count: async () => (await estimate()).reduce((n, r) => n + r.matched, 0),
        ...(unprocessed ? { always: 'these jobs have not run yet and are not backed up' } : {}),
        execute: async (dryRun) => {
          if (dryRun) return summary(await estimate(), true);
          const started = performance.now();
          const results: CleanResult[] = [];
          for (const ref of usable) {
            const left = flags.maxTime - (performance.now() - started);
            const done = await cleanQueue(connection, ref, {
              ...common,
              maxTimeMs: Math.max(0, left),
              onProgress: ({ queue, removed }) => ctx.output.progress(`${queue}: ${formatCount(removed)} removed`),
            });
            results.push(done);
            if (done.stoppedBy === 'signal' || done.stoppedBy === 'time') break;
          }
          return summary(results, false);
        },
        changes: (r) => (r.dryRun ? 0 : r.total),
        incomplete: (r) => r.queues.some((q) => q.stoppedBy === 'signal'),
        auditResult: (r) => ({ state: r.state, graceMs: r.graceMs, [r.dryRun ? 'matched' : 'removed']: r.total, stoppedBy: r.queues.map((q) => q.stoppedBy) }),
      },
      printClean,
    );
    if (!result.dryRun && (result.queues.length < usable.length || result.queues.some((r) => r.stoppedBy === 'time'))) {
      ctx.output.warn(`stopped at the --max-time budget (${formatMs(flags.maxTime)}): run again to continue`);
    }
  });
}

function defaultGrace(state: CleanableState, queues: { completedRetentionHours: number; failedRetentionHours: number }): number {
  if (state === 'completed') return queues.completedRetentionHours * 3_600_000;
  if (state === 'failed') return queues.failedRetentionHours * 3_600_000;
  throw new UsageError(`--grace is required with --state ${state}`, { hint: 'e.g. --grace 48h (jobs added within it are kept)' });
}

export function printClean(s: CleanSummary, out: Output): void {
  const verb = s.dryRun ? 'would remove' : 'removed';
  out.table(
    ['queue', 'state', verb, 'left in state', 'batches', 'time', 'stopped'],
    s.queues.map((r) => [safe(r.queue), r.state, s.dryRun ? r.matched : r.removed, r.remaining, r.batches, formatMs(r.elapsedMs), r.stoppedBy]),
    { align: ['left', 'left', 'right', 'right', 'right', 'right', 'left'] },
  );
  out.line(
    `${s.dryRun ? 'Dry run: would remove' : 'Removed'} ${plural(s.total, `${s.state} job`)} older than ${formatAge(s.graceMs)}${s.dryRun ? '; nothing was changed' : ''}.`,
  );
  for (const k of s.skipped) out.warn(`skipped ${safe(k.queue)}: ${safe(k.reason)}`);
}
