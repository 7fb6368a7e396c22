/**
 * `cachectl queues` (the table) and `cachectl queues inspect <name>`.
 */
import { Command } from 'commander';
import { resolveQueue } from '../../../core/queues/bull.js';
import { QUEUE_STATES } from '../../../core/queues/discovery.js';
import { inspectQueue, type QueueInspection } from '../../../core/queues/inspect.js';
import { listQueues, type QueueSummary } from '../../../core/queues/list.js';
import { describeMalformed } from '../../../core/queues/shape.js';
import type { CliContext } from '../../context.js';
import { safe, type Output } from '../../output.js';
import { QUEUE_COUNT_ALIGN, QUEUE_COUNT_HEADS, queueCountCells } from '../../queue-columns.js';
import { integerParser } from '../../parsers.js';
import type { WatchFlags } from '../../view-options.js';
import { watchable } from '../../watch.js';
import { formatAge, prefixesOf, type CommonFlags } from './shared.js';

export interface QueueListResult {
  prefixes: string[];
  queues: QueueSummary[];
}

/** The default action of `queues`: one row per queue. */
export async function listAction(ctx: CliContext, flags: CommonFlags & WatchFlags): Promise<void> {
  const prefixes = prefixesOf(ctx, flags);
  await watchable(ctx, flags, async (out) => {
    const connection = await ctx.connection();
    const queues = await listQueues(connection, {
      prefixes,
      signal: ctx.signal,
      count: ctx.config().scan.count,
      onMalformed: (malformed) => malformed.forEach((m) => out.warn(describeMalformed(m))),
    });
    out.result<QueueListResult>({ prefixes, queues }, printList);
  });
  // Interrupted while listing: the list is incomplete (a watch simply stops).
  if (ctx.signal.aborted && flags.watch === undefined) ctx.fail(5);
}

/** On a narrow terminal: names shortened, then events, children, paused, prio, completed… left out. */
const LIST_FIT = { shrink: [0], drop: [12, 5, 6, 4, 7, 11, 3, 10, 9] };

export function printList(result: QueueListResult, out: Output): void {
  if (result.queues.length === 0) {
    out.line(`No BullMQ queues under prefix ${result.prefixes.join(', ')}.`);
    out.hint('hint: set queues.prefixes in the config (or --prefix) if your queues use another prefix, e.g. {bull} on a cluster');
    return;
  }
  const c = out.color;
  out.table(
    [...QUEUE_COUNT_HEADS, 'state', 'workers', 'oldest wait', 'events'],
    result.queues.map((q) => [
      ...queueCountCells(q.key, q.counts, out),
      q.isPaused ? c.yellow('paused') : 'running',
      q.workers === null ? 'unknown' : q.workers,
      formatAge(q.oldestWaitingAgeMs),
      q.eventsLength,
    ]),
    { align: [...QUEUE_COUNT_ALIGN, 'left', 'right', 'right', 'right'], fit: LIST_FIT },
  );
  if (result.queues.some((q) => q.workers === null)) out.hint('workers "unknown": CLIENT LIST is not permitted for this user');
  for (const q of result.queues) if (q.problem) out.warn(`${safe(q.key)}: ${safe(q.problem)} (use a hash-tagged prefix such as {bull})`);
}

interface InspectFlags extends CommonFlags {
  recent: number;
  sample: number;
}

export function inspectCommand(ctx: CliContext): Command {
  return new Command('inspect')
    .description('one queue in detail: counts, workers, top failure reasons, the latest failed jobs')
    .argument('<name>', 'queue name (or <prefix>:<name>)')
    .option('--recent <n>', 'latest failed jobs to list', integerParser(0, 1000), 10)
    .option('--sample <n>', 'failed jobs (newest first) the reasons are counted over', integerParser(1, 100_000), 1000)
    .action(async (name: string, flags: InspectFlags) => {
      const connection = await ctx.connection();
      const ref = await resolveQueue(connection, name, prefixesOf(ctx, flags));
      const result = await inspectQueue(connection, ref, { recent: flags.recent, sample: flags.sample });
      ctx.output.result(result, printInspection);
    });
}

export function printInspection(q: QueueInspection, out: Output): void {
  const c = out.color;
  out.paragraph(
    `${c.bold(safe(q.key))}  ${q.isPaused ? c.yellow('paused') : 'running'} · workers ${q.workers ?? 'unknown'} · oldest waiting ${formatAge(q.oldestWaitingAgeMs)} · events ${q.eventsLength}`,
  );
  const counts = q.counts;
  out.table([...QUEUE_STATES], [QUEUE_STATES.map((state) => counts[state])], { align: Array(8).fill('right') });
  if (q.problem) out.warn(safe(q.problem));
  const f = q.failures;
  if (f.total === 0) {
    out.line('No failed jobs.');
    return;
  }
  const note = f.sampled < f.total ? ` (the ${f.sampled} most recent of ${f.total} failed jobs)` : ` (all ${f.total} failed jobs)`;
  out.line(`Top failure reasons${note}:`);
  out.table(
    ['count', 'reason'],
    f.topReasons.map((r) => [r.count, safe(r.reason)]),
    { align: ['right', 'left'], fit: { shrink: [1] } },
  );
  if (f.recent.length > 0) {
    out.line('Most recent failed jobs:');
    out.table(
      ['id', 'name', 'attempts', 'failed at', 'reason'],
      f.recent.map((j) => [
        safe(j.id),
        safe(j.name),
        j.attemptsMade,
        j.finishedOn ? new Date(j.finishedOn).toISOString() : '-',
        safe(j.failedReason.split('\n', 1)[0]!.slice(0, 100)),
      ]),
      { align: ['left', 'left', 'right', 'left', 'left'], fit: { shrink: [4, 1, 0], drop: [2, 3] } },
    );
  }
}
