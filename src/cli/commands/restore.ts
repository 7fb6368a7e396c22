/**
 * `cachectl restore FILE`: verify a backup completely, then put its keys back with their
 * remaining TTLs (existing keys kept unless --replace).
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { appendAudit } from '../../core/audit.js';
import { restore, type RestoreResult, type TtlMode } from '../../core/backup/restore.js';
import { confirmOrRefuse } from '../confirm.js';
import { tenantMatch, tenantScope } from '../../core/tenant.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';

interface RestoreFlags {
  replace?: boolean;
  dryRun?: boolean;
  ttlMode: TtlMode;
  match?: string;
  yes?: boolean;
}

export function restoreCommand(ctx: CliContext): Command {
  return new Command('restore')
    .description('put the keys of a backup file back (verified first; existing keys kept unless --replace)')
    .argument('<file>', 'a file written by "cachectl backup" or by --backup')
    .option('--replace', 'overwrite keys that exist (always asks for confirmation)')
    .option('--dry-run', 'verify the file and count what would be restored; write nothing')
    .addOption(
      new Option('--ttl-mode <mode>', 'keep: remaining TTL, skip keys expired since the backup; none: restore without TTL')
        .choices(['keep', 'none'])
        .default('keep'),
    )
    .option('--match <glob>', 'only keys matching this glob')
    .option('-y, --yes', 'do not ask for confirmation (scripts)')
    .addHelpText(
      'after',
      `
The whole file is checked first (format, every record, count and SHA-256): a truncated or
corrupted file is refused with exit code 2 before anything is written. Each master is then asked,
without writing, whether it can read the payloads (a backup of a newer server cannot be restored
into an older one).

Examples:
  $ cachectl restore user-state.cbk.gz --dry-run
  $ cachectl restore user-state.cbk.gz --yes
  $ cachectl restore pre-deploy.cbk.gz --replace --match 'chats:device-1:*' --yes --json`,
    )
    .action(async (file: string, flags: RestoreFlags) => {
      const config = ctx.config();
      // --tenant: only keys under tenant:<id>: (a --match must stay inside it), checked before connecting.
      const match = ctx.options.tenant !== undefined ? tenantMatch(flags.match, tenantScope(ctx.options.tenant)) : flags.match;
      const connection = await ctx.connection();
      const out = ctx.output;
      const absolute = path.resolve(ctx.environment.cwd, file);
      const result = await restore(connection, absolute, {
        replace: flags.replace === true,
        dryRun: flags.dryRun === true,
        ttlMode: flags.ttlMode,
        ...(match !== undefined ? { match } : {}),
        signal: ctx.signal,
        confirm: async (plan) => {
          if (plan.dryRun) return;
          const overwrite = plan.replace ? ', overwriting keys that exist' : '';
          await confirmOrRefuse(ctx, {
            action: `restore ${plan.keys.toLocaleString('en-US')} keys from ${path.basename(absolute)} into ${connection.target} (${plan.target})${overwrite}`,
            needed: plan.replace || plan.keys > config.safety.confirmAbove,
            yes: flags.yes === true,
          });
        },
        onProgress: (p) => out.progress(`restore: ${p.done.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')} keys`),
      });
      out.clearProgress();
      await appendAudit(path.resolve(ctx.environment.cwd, config.logs.dir), {
        command: 'restore',
        targets: [result.file],
        dryRun: result.dryRun,
        result: {
          keys: result.keys,
          restored: result.restored,
          skipped: result.skipped,
          failed: result.failed,
          replace: result.replace,
          interrupted: result.interrupted,
        },
        server: connection.target,
      });
      out.result(result, printRestore);
      if (result.failed > 0 || result.interrupted) ctx.fail(5);
    });
}

export function printRestore(result: RestoreResult, out: Output): void {
  const c = out.color;
  const n = (value: number) => value.toLocaleString('en-US');
  const verb = result.dryRun ? 'Would restore' : 'Restored';
  const seconds = (result.durationMs / 1000).toFixed(2);
  out.line(
    `${c.green(verb)} ${n(result.restored)} of ${n(result.keys)} keys into ${result.target} (${seconds} s)` +
      (result.interrupted ? ` ${c.yellow('— interrupted')}` : ''),
  );
  out.line(`backup: ${result.file}, taken ${result.created} by "${result.command}" from ${result.source}`);
  const { exists, expired, unmatched } = result.skipped;
  const skipped = [
    exists > 0 ? `${n(exists)} exist already${result.replace ? '' : ' (--replace overwrites them)'}` : '',
    expired > 0 ? `${n(expired)} expired since the backup` : '',
    unmatched > 0 ? `${n(unmatched)} not matching --match` : '',
  ].filter(Boolean);
  if (skipped.length > 0) out.line(`skipped: ${skipped.join(', ')}`);
  if (result.failed > 0) {
    out.line(c.red(`failed: ${n(result.failed)}`));
    for (const e of result.errors) out.line(`  ${e.key}: ${e.error}`);
  }
}
