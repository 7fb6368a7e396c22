/**
 * `cachectl clear-all` (alias `all`, the earlier tool's command line): every cache family, never
 * queues; keys no family describes only with `--include-unknown`.
 */
import { Command, Option } from 'commander';
import { clearAll, planClearAll } from '../../core/operations/clear-all.js';
import { assessSelections } from '../../core/operations/safety.js';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { addDestructiveOptions, runDestructive, type DestructiveFlags } from '../destructive.js';

interface ClearAllFlags extends DestructiveFlags {
  includeUnknown?: boolean;
  queue?: boolean;
}

export function clearAllCommand(ctx: CliContext): Command {
  const command = new Command('clear-all')
    .alias('all')
    .description('remove every cache family (one SCAN pass per family, masters in parallel); never queue keys')
    .option('--include-unknown', 'also remove keys that belong to no family (queue keys are still never touched)')
    .addOption(new Option('--queue', 'moved: queues are cleared by the queue commands').hideHelp())
    .addHelpText(
      'after',
      `
Always asks for confirmation on a terminal; without one it needs --yes.

Examples:
  $ cachectl clear-all --dry-run
  $ cachectl clear-all --yes
  $ cachectl all --yes --rate 20000          # the earlier "clear-cache.js all"
  $ cachectl clear-all --include-unknown --yes --json`,
    )
    .action(async (flags: ClearAllFlags) => {
      if (flags.queue) {
        throw new UsageError('clear-all does not clear queues', {
          hint: 'queue jobs are removed by the queue commands (see "cachectl --help"), which keep active jobs safe',
        });
      }
      const config = ctx.config();
      const includeUnknown = flags.includeUnknown === true;
      const selections = planClearAll({ config }, { includeUnknown });
      const families = selections.length;
      await runDestructive(ctx, flags, {
        command: 'clear-all',
        describe: includeUnknown ? 'delete every key except queue keys' : `delete every key of ${families} cache ${families === 1 ? 'family' : 'families'}`,
        assessment: assessSelections(
          selections.filter((s) => s.kind === 'exact'),
          { confirmAbove: config.safety.confirmAbove, always: includeUnknown ? 'every non-queue key, unknown ones included' : 'every cache family' },
        ),
        execute: async (options) => clearAll({ connection: await ctx.connection(), config }, { ...options, includeUnknown }),
      });
    });
  return addDestructiveOptions(command, { scanTenants: false });
}
