/**
 * `cachectl queues`: list BullMQ queues (default action) and act on them through subcommands.
 * The subcommands live in ./queues/*.ts; this file wires them together.
 */
import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addOutputOption, addWatchOption, type WatchFlags } from '../view-options.js';
import { obliterateCommand, pauseCommand, retryCommand } from './queues/actions.js';
import { cleanCommand } from './queues/clean.js';
import { addPrefixOption, type CommonFlags } from './queues/shared.js';
import { inspectCommand, listAction } from './queues/show.js';
import { drainCommand, exportCommand, importCommand } from './queues/transfer.js';

export function queuesCommand(ctx: CliContext): Command {
  const queues = addPrefixOption(
    new Command('queues').description('BullMQ queues: counts, workers, failures; clean, retry, pause/resume, drain, obliterate, export/import').addHelpText(
      'after',
      `
Queues are found by scanning <prefix>:*:meta on every master (prefixes: queues.prefixes, default
"bull"; on a cluster BullMQ needs a hash-tagged prefix such as {bull}). Active jobs are never removed.

Examples:
  $ cachectl queues
  $ cachectl queues --json | jq '.queues[] | {key, failed: .counts.failed}'
  $ cachectl queues inspect messages
  $ cachectl queues clean --all --state completed --grace 24h --yes`,
    ),
  ).action((flags: CommonFlags & WatchFlags) => listAction(ctx, flags));
  addWatchOption(addOutputOption(queues));

  const subcommands = [
    inspectCommand(ctx),
    cleanCommand(ctx),
    retryCommand(ctx),
    pauseCommand(ctx, true),
    pauseCommand(ctx, false),
    drainCommand(ctx),
    obliterateCommand(ctx),
    exportCommand(ctx),
    importCommand(ctx),
  ];
  for (const sub of subcommands) queues.addCommand(sub);
  // Subcommand help also lists --prefix and the connection options (they inherit this setting).
  queues.configureHelp({ showGlobalOptions: true });
  // main.ts configures output and exitOverride on `queues` after this returns; pass them on to the
  // subcommand about to run.
  queues.hook('preSubcommand', (parent, sub) => {
    sub.copyInheritedSettings(parent);
  });
  return queues;
}
