/**
 * `cachectl backup <family|pattern ...> --out FILE`: keys (DUMP payloads and TTLs) to a file that
 * `cachectl restore` puts back.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { appendAudit } from '../../core/safety/audit.js';
import { backup, type BackupSummary } from '../../core/backup/backup.js';
import { resolveTargets, type BackupTarget } from '../../core/backup/select.js';
import type { FamilyValues } from '../../core/families.js';
import { formatBytes, formatCount } from '../../core/stats/format.js';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { logFormatOption } from '../log-format.js';
import type { Output } from '../output.js';

interface BackupFlags {
  out?: string;
  /** `-o FILE`: the earlier short name of `--out` (hidden; `-o` means an output format elsewhere). */
  o?: string;
  force?: boolean;
}

export function backupCommand(ctx: CliContext): Command {
  return new Command('backup')
    .description('write the keys of families or patterns (DUMP payloads and TTLs) to a file that "restore" puts back')
    .argument('<targets...>', 'family names, each optionally followed by --<placeholder> <value>, and/or "pattern <glob>"')
    .option('--out <file>', 'file to write (required); gzip-compressed when the name ends in .gz')
    .addOption(new Option('-o <file>', 'the same as --out').hideHelp())
    .option('--force', 'replace the file if it exists')
    .allowUnknownOption()
    .addOption(logFormatOption())
    .addHelpText(
      'after',
      `
Targets:
  <family>                         every key of the family (e.g. userState)
  <family> --<placeholder> <value> only keys with that value (repeat for several values)
  pattern <glob>                   every key matching a raw glob
Queue keys (queues.prefixes) are never included. Reads every master of a cluster.

Examples:
  $ cachectl backup userState --out user-state.cbk.gz
  $ cachectl backup convMapping --conversationId abc-123 --out conv.cbk
  $ cachectl backup chatList context pattern 'feature-flags:*' --out pre-deploy.cbk.gz --json`,
    )
    .action(async (tokens: string[], flags: BackupFlags) => {
      const file = flags.out ?? flags.o;
      if (file === undefined) throw new UsageError("required option '--out <file>' not specified", { hint: 'e.g. --out user-state.cbk.gz' });
      const config = ctx.config();
      // Resolve before connecting: a bad family or placeholder touches nothing.
      const tenant = ctx.options.tenant;
      const selections = resolveTargets(config, parseBackupTargets(tokens), tenant);
      const connection = await ctx.connection();
      const out = ctx.output;
      const summary = await backup(connection, config, selections, {
        out: path.resolve(ctx.environment.cwd, file),
        overwrite: flags.force === true,
        signal: ctx.signal,
        ...(tenant !== undefined ? { tenant } : {}),
        onProgress: (p) => out.progress(`backup: ${formatCount(p.keys)} keys written`),
      });
      out.clearProgress();
      await appendAudit(path.resolve(ctx.environment.cwd, config.logs.dir), {
        command: 'backup',
        targets: summary.selection,
        dryRun: false,
        result: { file: summary.file, keys: summary.keys, skipped: summary.skipped, bytes: summary.bytes },
        server: connection.target,
      });
      out.result(summary, printBackup);
    });
}

/**
 * Split the command line into targets: a family name starts a target and the `--name value`
 * (or `--name=value`) pairs after it bind its placeholders; `pattern <glob>` is a raw glob.
 */
export function parseBackupTargets(tokens: readonly string[]): BackupTarget[] {
  const targets: BackupTarget[] = [];
  let family: { family: string; values: FamilyValues } | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.startsWith('--') && token.length > 2) {
      const eq = token.indexOf('=');
      const name = eq > 0 ? token.slice(2, eq) : token.slice(2);
      if (!family) {
        throw new UsageError(`${token} must follow a family name`, { hint: 'e.g. cachectl backup convMapping --conversationId abc-123 --out f.cbk' });
      }
      const value: string | undefined = eq > 0 ? token.slice(eq + 1) : tokens[++i];
      if (value === undefined) throw new UsageError(`${token} needs a value`, { hint: `e.g. --${name} <value>` });
      const previous = family.values[name];
      family.values[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
      continue;
    }
    if (token === 'pattern') {
      const glob = tokens[++i];
      if (glob === undefined || glob === '') throw new UsageError('"pattern" needs a glob', { hint: "e.g. pattern 'context:*'" });
      targets.push({ pattern: glob });
      family = undefined;
      continue;
    }
    if (token.startsWith('-')) throw new UsageError(`Unknown option ${token}`, { hint: 'run "cachectl backup --help"' });
    family = { family: token, values: {} };
    targets.push(family);
  }
  return targets;
}

export function printBackup(summary: BackupSummary, out: Output): void {
  const c = out.color;
  const seconds = (summary.durationMs / 1000).toFixed(2);
  out.line(`${c.green('Backed up')} ${formatCount(summary.keys)} keys to ${summary.file} (${formatBytes(summary.bytes)}, ${seconds} s)`);
  out.line(`selection: ${summary.selection.join(', ')}`);
  if (summary.skipped > 0) out.line(`skipped: ${formatCount(summary.skipped)} keys deleted or expired during the backup`);
  out.line(`restore with: cachectl restore ${JSON.stringify(summary.file)}`);
}
