/**
 * What every `queues` subcommand shares: which prefixes, which queues, the lifecycle every action
 * runs, option parsers, and small formatters.
 */
import { formatCount } from '../../../core/stats/format.js';
import { InvalidArgumentError, type Command } from 'commander';
import { parseState, resolveQueue } from '../../../core/queues/bull.js';
import { discoverQueues, type QueueRef } from '../../../core/queues/discovery.js';
import { queueOperation, type QueueActionSpec } from '../../../core/queues/operation.js';
import { runLifecycle } from '../../../core/safety/lifecycle.js';
import { ExitCode, PartialError, UsageError } from '../../../errors.js';
import type { RedisConnection } from '../../../redis/connect.js';
import { promptConfirm } from '../../confirm.js';
import type { CliContext } from '../../context.js';
import { cliEnv } from '../../destructive.js';
import { logFormatOption } from '../../log-format.js';
import type { Output } from '../../output.js';
import { parseDuration, splitDuration } from '../../parsers.js';

export interface CommonFlags {
  prefix?: string[];
  dryRun?: boolean;
  yes?: boolean;
  all?: boolean;
}

/**
 * `--prefix` (repeatable) or the configured `queues.prefixes`. The option is declared once, on
 * `queues`, so it works before or after the subcommand; the context holds every ancestor's options.
 */
export function prefixesOf(ctx: CliContext, flags: CommonFlags): string[] {
  const given = flags.prefix ?? (ctx.options as CommonFlags).prefix;
  return given?.length ? given : ctx.config().queues.prefixes;
}

export function addPrefixOption(command: Command): Command {
  return command.option('--prefix <prefix>', 'BullMQ prefix to look under (repeatable; default: queues.prefixes, "bull")', collect);
}

export function addSafetyOptions(command: Command): Command {
  return command
    .option('--dry-run', 'show what would change; change nothing')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .addOption(logFormatOption());
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** One named queue, or every queue with `--all` (exactly one of the two). */
export async function targetQueues(ctx: CliContext, connection: RedisConnection, name: string | undefined, flags: CommonFlags): Promise<QueueRef[]> {
  const prefixes = prefixesOf(ctx, flags);
  if (name && flags.all)
    throw new UsageError('Give a queue name or --all, not both', { hint: 'e.g. "cachectl queues pause messages" or "cachectl queues pause --all"' });
  if (!name && !flags.all) throw new UsageError('Which queue? Give its name, or --all', { hint: 'run "cachectl queues" to list them' });
  if (name) return [await resolveQueue(connection, name, prefixes)];
  return discoverQueues(connection, prefixes, { signal: ctx.signal, count: ctx.config().scan.count });
}

/**
 * Run a queue action through the safety lifecycle (count, confirm or `--yes`, preflight, execute,
 * audit) and print its result; a result that is incomplete (interrupted) sets exit 5, and so does a
 * failure after the first change (its partial result is printed first).
 */
export async function runQueueAction<R extends object>(
  ctx: CliContext,
  flags: CommonFlags,
  spec: QueueActionSpec<R>,
  print: (result: R, out: Output) => void,
): Promise<R> {
  const env = await cliEnv(ctx);
  let result: R;
  try {
    result = await runLifecycle(env, queueOperation(env.connection, env.config, spec), {
      dryRun: flags.dryRun === true,
      force: flags.yes === true,
      confirm: (prompt) => promptConfirm(ctx, prompt),
    });
  } catch (error) {
    ctx.output.clearProgress();
    if (error instanceof PartialError && error.partial && typeof error.partial === 'object' && Object.keys(error.partial).length > 0)
      ctx.output.result(error.partial as R, print);
    throw error;
  }
  ctx.output.clearProgress();
  ctx.output.result(result, print);
  if (spec.incomplete(result)) ctx.fail(ExitCode.PARTIAL);
  return result;
}

/** `--grace`: a duration ("24h", "30m", "7d") or 0; a bare number still means hours, with a note. */
export interface Grace {
  ms: number;
  /** Given as a bare number (hours): the command warns that a unit is expected. */
  bare: boolean;
}

export function parseGrace(value: string): Grace {
  const { amount, unit } = splitDuration(value);
  return { ms: parseDuration(value, { bare: 'h', allowZero: true }), bare: unit === undefined && amount !== 0 };
}

/** A commander parser for one state out of `allowed` (bad input → exit 2). */
export function stateParser<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    try {
      return parseState(value, allowed);
    } catch (error) {
      throw new InvalidArgumentError(`${(error as Error).message}; use one of: ${allowed.join(', ')}.`);
    }
  };
}

/** A comma-separated list of states out of `allowed`. */
export function statesParser<T extends string>(allowed: readonly T[]): (value: string) => T[] {
  const one = stateParser(allowed);
  return (value) => [
    ...new Set(
      value
        .split(',')
        .filter((s) => s.trim() !== '')
        .map(one),
    ),
  ];
}

/** "3s", "4m", "2h", "5d" — coarse ages for tables. */
export function formatAge(ms: number | null): string {
  if (ms === null) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}
