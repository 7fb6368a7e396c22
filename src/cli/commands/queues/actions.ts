/**
 * `queues retry`, `queues pause|resume`, `queues obliterate`.
 */
import { Command, Option } from 'commander';
import { assertNoActive, obliterateQueue, pauseQueue, resumeQueue, retryJobs, type PauseResult } from '../../../core/queues/actions.js';
import { assertOperable, clusterProblem, FINISHED_STATES, type FinishedState } from '../../../core/queues/bull.js';
import { queueCounts } from '../../../core/queues/discovery.js';
import { confirmOrRefuse } from '../../confirm.js';
import type { CliContext } from '../../context.js';
import { integerParser } from '../../parsers.js';
import { addSafetyOptions, audit, plural, stateParser, targetQueues, type CommonFlags } from './shared.js';

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
    const plan = await retryJobs(connection, ref!, { state: flags.state, limit: flags.limit, dryRun: true });
    if (!flags.dryRun) {
      await confirmOrRefuse(ctx, {
        action: `retry ${plural(plan.matched, `${flags.state} job`)} of ${ref!.key}`,
        needed: plan.matched > ctx.config().safety.confirmAbove,
        yes: flags.yes === true,
      });
    }
    const result = flags.dryRun ? plan : await retryJobs(connection, ref!, { state: flags.state, limit: flags.limit });
    await audit(ctx, 'retry', [ref!], result.dryRun, { state: result.state, matched: result.matched, retried: result.retried });
    ctx.output.result(result, (r, out) =>
      out.line(
        r.dryRun
          ? `Dry run: would retry ${plural(r.matched, `${r.state} job`)} of ${r.queue}.`
          : `Retried ${plural(r.retried, `${r.state} job`)} of ${r.queue} (moved back to wait).`,
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
      if (problem) ctx.output.warn(`skipped ${ref.key}: ${problem}`);
      return !problem;
    });
    if (!flags.dryRun) {
      await confirmOrRefuse(ctx, {
        action: `${verb} ${plural(usable.length, 'queue')}`,
        needed: flags.all === true && usable.length > 0,
        yes: flags.yes === true,
      });
    }
    const results: PauseResult[] = [];
    for (const ref of usable) results.push(await (pause ? pauseQueue : resumeQueue)(connection, ref, { dryRun: flags.dryRun }));
    const changed = results.filter((r) => r.wasPaused !== pause).length;
    await audit(ctx, verb, usable, flags.dryRun === true, { changed, queues: results.length });
    ctx.output.result({ dryRun: flags.dryRun === true, queues: results }, (data, out) => {
      for (const r of data.queues) {
        const already = r.wasPaused === pause;
        out.line(`${r.queue}: ${already ? `already ${pause ? 'paused' : 'running'}` : data.dryRun ? `would ${verb}` : pause ? 'paused' : 'resumed'}`);
      }
      if (data.queues.length === 0) out.line('No queues.');
    });
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
    const plan = await obliterateQueue(connection, ref!, { force: flags.force, dryRun: true });
    if (!flags.dryRun) {
      assertNoActive(ref!, plan.active, flags.force);
      await confirmOrRefuse(ctx, { action: `obliterate ${ref!.key} and its ${plural(plan.jobs, 'job')}`, needed: true, yes: flags.yes === true });
    }
    const result = flags.dryRun ? plan : await obliterateQueue(connection, ref!, { force: flags.force });
    await audit(ctx, 'obliterate', [ref!], result.dryRun, {
      jobs: result.jobs,
      active: result.active,
      obliterated: result.obliterated,
      force: flags.force === true,
    });
    ctx.output.result(result, (r, out) => {
      if (!r.dryRun) return out.line(`Obliterated ${r.queue} (${plural(r.jobs, 'job')}).`);
      out.line(`Dry run: would obliterate ${r.queue} (${plural(r.jobs, 'job')}, ${r.active} active); nothing was changed.`);
    });
    if (result.dryRun && result.active > 0 && !flags.force)
      ctx.output.warn(`a real run would be refused while ${result.active} job(s) are active (unless --force)`);
    if (!flags.dryRun) {
      const left = await queueCounts(connection, ref!);
      if (Object.values(left).some((n) => n > 0)) ctx.output.warn(`${ref!.key} still holds jobs added while it was being removed`);
    }
  });
}
