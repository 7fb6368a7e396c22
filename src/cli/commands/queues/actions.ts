/**
 * `queues retry`, `queues pause|resume`, `queues obliterate`.
 */
import { Command, Option } from 'commander';
import {
  assertNoActive,
  obliterateQueue,
  pauseQueue,
  resumeQueue,
  retryJobs,
  type ObliterateResult,
  type PauseResult,
  type RetryResult,
} from '../../../core/queues/actions.js';
import { assertOperable, clusterProblem, FINISHED_STATES, type FinishedState } from '../../../core/queues/bull.js';
import { queueCounts } from '../../../core/queues/discovery.js';
import type { CliContext } from '../../context.js';
import { safe } from '../../output.js';
import { integerParser } from '../../parsers.js';
import { addSafetyOptions, plural, runQueueAction, stateParser, targetQueues, type CommonFlags } from './shared.js';

interface RetryFlags extends CommonFlags {
  state: FinishedState;
  limit?: number;
}

export function retryCommand(ctx: CliContext): Command {
  const command = new Command('retry')
    .description('move failed (or completed) jobs back to wait, so workers run them again')
    .argument('<name>', 'queue name (or <prefix>:<name>)')
    .option('--state <state>', 'failed | completed', stateParser(FINISHED_STATES), 'failed')
    .option('--limit <n>', 'retry at most this many, oldest first', integerParser(1))
    .addHelpText(
      'after',
      `
Examples:
  $ cachectl queues retry messages --dry-run
  $ cachectl queues retry messages --limit 100 --yes`,
    );
  return addSafetyOptions(command).action(async (name: string, flags: RetryFlags) => {
    const connection = await ctx.connection();
    const [ref] = await targetQueues(ctx, connection, name, flags);
    assertOperable(connection, ref!);
    const options = { state: flags.state, ...(flags.limit !== undefined ? { limit: flags.limit } : {}) };
    await runQueueAction<RetryResult>(
      ctx,
      flags,
      {
        command: 'queues retry',
        describe: (n) => `retry ${n === undefined ? `${flags.state} jobs` : plural(n, `${flags.state} job`)} of ${ref!.key}`,
        refs: [ref!],
        count: async () => (await retryJobs(connection, ref!, { ...options, dryRun: true })).matched,
        execute: (dryRun) => retryJobs(connection, ref!, { ...options, dryRun }),
        changes: (r) => r.retried,
        incomplete: () => false,
        auditResult: (r) => ({ state: r.state, matched: r.matched, retried: r.retried }),
      },
      (r, out) =>
        out.line(
          r.dryRun
            ? `Dry run: would retry ${plural(r.matched, `${r.state} job`)} of ${safe(r.queue)}.`
            : `Retried ${plural(r.retried, `${r.state} job`)} of ${safe(r.queue)} (moved back to wait).`,
        ),
    );
  });
}

export function pauseCommand(ctx: CliContext, pause: boolean): Command {
  const verb = pause ? 'pause' : 'resume';
  const command = new Command(verb)
    .description(pause ? 'pause queues globally: workers finish what they hold and take nothing new' : 'resume paused queues')
    .argument('[name]', 'queue name (or <prefix>:<name>)')
    .option('--all', 'every queue under the prefixes')
    .addHelpText(
      'after',
      `
Examples:
  $ cachectl queues ${verb} messages
  $ cachectl queues ${verb} --all --yes`,
    );
  return addSafetyOptions(command).action(async (name: string | undefined, flags: CommonFlags) => {
    const connection = await ctx.connection();
    const refs = await targetQueues(ctx, connection, name, flags);
    if (name) assertOperable(connection, refs[0]!);
    const usable = refs.filter((ref) => {
      const problem = clusterProblem(connection, ref);
      if (problem) ctx.output.warn(`skipped ${safe(ref.key)}: ${safe(problem)}`);
      return !problem;
    });
    const act = async (dryRun: boolean) => {
      const results: PauseResult[] = [];
      for (const ref of usable) results.push(await (pause ? pauseQueue : resumeQueue)(connection, ref, { dryRun }));
      return { dryRun, queues: results };
    };
    await runQueueAction(
      ctx,
      flags,
      {
        command: `queues ${verb}`,
        describe: () => `${verb} ${plural(usable.length, 'queue')}`,
        refs: usable,
        // Pausing every queue at once stops all work: --all asks (the count is the queues).
        count: async () => usable.length,
        ...(flags.all ? { always: `${verb} every queue under the prefixes` } : {}),
        execute: act,
        changes: (r) => (r.dryRun ? 0 : r.queues.filter((q) => q.wasPaused !== pause).length),
        incomplete: () => false,
        auditResult: (r) => ({ changed: r.queues.filter((q) => q.wasPaused !== pause).length, queues: r.queues.length }),
      },
      (data, out) => {
        for (const r of data.queues) {
          const already = r.wasPaused === pause;
          out.line(`${safe(r.queue)}: ${already ? `already ${pause ? 'paused' : 'running'}` : data.dryRun ? `would ${verb}` : pause ? 'paused' : 'resumed'}`);
        }
        if (data.queues.length === 0) out.line('No queues.');
      },
    );
  });
}

interface ObliterateFlags extends CommonFlags {
  force?: boolean;
}

export function obliterateCommand(ctx: CliContext): Command {
  const command = new Command('obliterate')
    .description('delete a queue and every job in it (pauses it first; refuses while jobs are active)')
    .argument('<name>', 'queue name (or <prefix>:<name>)')
    .addOption(new Option('--force', 'also when jobs are active (their workers will report "Missing lock" errors)'))
    .addHelpText(
      'after',
      `
Always asks for confirmation (on a terminal), or needs --yes.

Examples:
  $ cachectl queues obliterate old-imports --dry-run
  $ cachectl queues obliterate old-imports --yes`,
    );
  return addSafetyOptions(command).action(async (name: string, flags: ObliterateFlags) => {
    const connection = await ctx.connection();
    const [ref] = await targetQueues(ctx, connection, name, flags);
    assertOperable(connection, ref!);
    const result = await runQueueAction<ObliterateResult>(
      ctx,
      flags,
      {
        command: 'queues obliterate',
        describe: () => `obliterate ${ref!.key} and every job in it`,
        refs: [ref!],
        count: async () => {
          const plan = await obliterateQueue(connection, ref!, { force: flags.force, dryRun: true });
          assertNoActive(ref!, plan.active, flags.force);
          // Always asks: the queue itself goes, not just jobs.
          return Math.max(1, plan.jobs);
        },
        always: 'the queue and every job in it are deleted',
        execute: (dryRun) => obliterateQueue(connection, ref!, { force: flags.force, dryRun }),
        changes: (r) => (r.obliterated ? Math.max(1, r.jobs) : 0),
        incomplete: () => false,
        auditResult: (r) => ({ jobs: r.jobs, active: r.active, obliterated: r.obliterated, force: flags.force === true }),
      },
      (r, out) => {
        if (!r.dryRun) return out.line(`Obliterated ${safe(r.queue)} (${plural(r.jobs, 'job')}).`);
        out.line(`Dry run: would obliterate ${safe(r.queue)} (${plural(r.jobs, 'job')}, ${r.active} active); nothing was changed.`);
      },
    );
    if (result.dryRun && result.active > 0 && !flags.force)
      ctx.output.warn(`a real run would be refused while ${result.active} job(s) are active (unless --force)`);
    if (!result.dryRun) {
      const left = await queueCounts(connection, ref!);
      if (Object.values(left).some((n) => n > 0)) ctx.output.warn(`${safe(ref!.key)} still holds jobs added while it was being removed`);
    }
  });
}
