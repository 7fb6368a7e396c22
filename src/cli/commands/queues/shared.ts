/**
 * What every `queues` subcommand shares: which prefixes, which queues, option parsers, the audit
 * line, and small formatters.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { appendAudit } from '../../../core/audit.js';
import { parseState, resolveQueue } from '../../../core/queues/bull.js';
import { discoverQueues, type QueueRef } from '../../../core/queues/discovery.js';
import { UsageError } from '../../../errors.js';
import type { RedisConnection } from '../../../redis/connect.js';
import type { CliContext } from '../../context.js';
import { durationParser } from '../../parsers.js';

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
  return command.option('--dry-run', 'show what would change; change nothing').option('-y, --yes', 'do not ask for confirmation (needed without a terminal)');
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

/** The logs folder (`logs.dir`, relative to the working directory). */
export function logsDir(ctx: CliContext): string {
  return path.resolve(ctx.environment.cwd, ctx.config().logs.dir);
}

/** One audit line for a destructive (or dry) run. */
export async function audit(ctx: CliContext, command: string, refs: QueueRef[], dryRun: boolean, result: Record<string, unknown>): Promise<void> {
  const connection = await ctx.connection();
  await appendAudit(logsDir(ctx), { command: `queues ${command}`, targets: refs.map((r) => r.key), dryRun, result, server: connection.target });
}

/** Grace period: a duration ("24h", "30m", "7d", "0"); a bare number is hours. */
export function parseGrace(value: string): number {
  if (value.trim() === '0') return 0;
  return durationParser('h')(value);
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
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}
