/**
 * `cachectl invalidate`: remove cache entries by family and values, by raw pattern, or a
 * conversation's mappings in every tenant namespace.
 */
import { Command } from 'commander';
import { conversationSpec, familySpec, patternSpec } from '../../core/operations/invalidate.js';
import { keyspaceOperation, type KeyspaceSpec } from '../../core/operations/keyspace.js';
import { getFamily } from '../../core/plan.js';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { addDestructiveOptions, runDestructive, type DestructiveFlags } from '../destructive.js';
import { parsePlaceholderArgs } from '../placeholder-args.js';

interface InvalidateFlags extends DestructiveFlags {
  wa?: string;
}

export function invalidateCommand(ctx: CliContext): Command {
  const command = new Command('invalidate')
    .description('remove cache entries: a family for given values, a raw glob, or a conversation in every tenant namespace')
    .argument('<family>', 'a family name, or "pattern" (then a glob), or "conversation" (then its id)')
    .argument('[args...]', '--<placeholder> value pairs for a family; the glob / the conversation id')
    .option('--wa <waId>', 'with "conversation": also remove the mapping of this WhatsApp id')
    .allowUnknownOption()
    .addHelpText(
      'after',
      `
Values are matched literally (a value of "*" removes only the key with a literal "*"). With every
placeholder given (tenants enumerated from the config), keys are deleted directly without a scan;
otherwise the matching keys are found with SCAN on every master. Queue keys are never touched.

Examples:
  $ cachectl invalidate convMapping --conversationId 0f8e-42 --dry-run
  $ cachectl invalidate chatList --deviceId device-1
  $ cachectl invalidate conversation 0f8e-42 --wa +27821234567
  $ cachectl invalidate pattern 'context:STORY-0042*' --yes
  $ cachectl invalidate context --storyId STORY-0042 --rate 5000 --json
  $ cachectl invalidate pattern 'context:*' --yes --backup context.cbk.gz   # restore: cachectl restore context.cbk.gz`,
    )
    .action(async (target: string, args: string[], flags: InvalidateFlags) => {
      const spec = planInvalidation(ctx, target, args, flags);
      await runDestructive(ctx, flags, { label: spec.command, build: (engine, env) => keyspaceOperation(env.connection, env.config, spec, engine) });
    });
  return addDestructiveOptions(command);
}

/** The plan of an invalidation, from the command line (no I/O: bad input touches nothing). */
function planInvalidation(ctx: CliContext, target: string, args: string[], flags: InvalidateFlags): KeyspaceSpec {
  const config = ctx.config();
  const options = { ...(flags.scanTenants ? { scanTenants: true } : {}), ...(ctx.options.tenant !== undefined ? { tenant: ctx.options.tenant } : {}) };
  if (flags.wa !== undefined && target !== 'conversation') {
    throw new UsageError('--wa only goes with "invalidate conversation"', { hint: `for family ${target}, give its placeholders as --<placeholder> value` });
  }
  if (target === 'pattern') return patternSpec(config, single(args, 'glob after "pattern"', "cachectl invalidate pattern 'context:STORY-1*'"), options);
  if (target === 'conversation') {
    const id = single(args, 'conversation id after "conversation"', 'cachectl invalidate conversation 0f8e-42 [--wa +27821234567]');
    return conversationSpec(config, id, { ...options, ...(flags.wa !== undefined ? { waId: flags.wa } : {}) });
  }
  const family = getFamily(config, target);
  return familySpec(config, family.name, parsePlaceholderArgs(args, family), options);
}

/** The one operand after a keyword; `what` names it ("glob after \"pattern\""). */
function single(args: string[], what: string, example: string): string {
  const [value, ...extra] = args;
  if (value === undefined || value.startsWith('--')) throw new UsageError(`Missing ${what}`, { hint: `e.g. ${example}` });
  if (value === '') throw new UsageError(`Empty ${what}`, { hint: `e.g. ${example}` });
  if (extra.length > 0)
    throw new UsageError(`Unexpected argument "${extra[0]}"`, { hint: `e.g. ${example}; run "cachectl invalidate --help" for the options` });
  return value;
}
