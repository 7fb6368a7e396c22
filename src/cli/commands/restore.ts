/**
 * `cachectl restore FILE`: verify a backup completely, then put its keys back with their
 * remaining TTLs (existing keys kept unless --replace).
 */
import { formatCount } from '../../core/stats/format.js';
import path from 'node:path';
import { Command, Option } from 'commander';
import { restoreOperation } from '../../core/backup/operation.js';
import type { RestoreResult, TtlMode } from '../../core/backup/restore.js';
import { runLifecycle } from '../../core/safety/lifecycle.js';
import { tenantMatch, tenantScope } from '../../core/tenant.js';
import { ExitCode, PartialError } from '../../errors.js';
import { promptConfirm } from '../confirm.js';
import type { CliContext } from '../context.js';
import { logFormatOption } from '../log-format.js';
import { cliEnv } from '../destructive.js';
import { safe, type Output } from '../output.js';
import { checkInputFile } from '../../input-file.js';

interface RestoreFlags {
  replace?: boolean;
  dryRun?: boolean;
  ttlMode: TtlMode;
  match?: string;
  partial?: boolean;
  includeProtected?: boolean;
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
    .option('--partial', 'restore the whole records of an interrupted backup (a file cut by a crash or a full disk)')
    .option('--include-protected', "also restore queue keys and cachectl's own keys (skipped by default)")
    .option('-y, --yes', 'do not ask for confirmation (scripts)')
    .addOption(logFormatOption())
    .addHelpText(
      'after',
      `
The whole file is checked first (format, every record, count and SHA-256): a truncated or
corrupted file is refused with exit code 2 before anything is written. An interrupted backup (cut
by a crash or a full disk) is refused too, naming how many whole records it holds: --partial
restores those. Queue keys and cachectl's own keys are skipped and counted unless
--include-protected. Each master is then asked,
without writing, whether it can read the payloads (a backup of a newer server cannot be restored
into an older one).

Examples:
  $ cachectl restore user-state.cbk.gz --dry-run
  $ cachectl restore user-state.cbk.gz --yes
  $ cachectl restore pre-deploy.cbk.gz --replace --match 'chats:device-1:*' --yes --json`,
    )
    .action(async (file: string, flags: RestoreFlags) => {
      // --tenant: only keys under tenant:<id>: (a --match must stay inside it), checked before connecting.
      const match = ctx.options.tenant !== undefined ? tenantMatch(flags.match, tenantScope(ctx.options.tenant)) : flags.match;
      const backupFile = path.resolve(ctx.environment.cwd, file);
      // Before connecting: a folder, FIFO or device is not a backup (the reader bounds the rest).
      checkInputFile(backupFile, { what: 'backup file', maxBytes: Number.MAX_SAFE_INTEGER });
      const env = await cliEnv(ctx);
      const out = ctx.output;
      const op = restoreOperation(env.connection, env.config, backupFile, {
        replace: flags.replace === true,
        ttlMode: flags.ttlMode,
        ...(match !== undefined ? { match } : {}),
        partial: flags.partial === true,
        includeProtected: flags.includeProtected === true,
        signal: ctx.signal,
        onProgress: (p) => out.progress(`restore: ${formatCount(p.done)} / ${formatCount(p.total)} keys`),
      });
      let result: RestoreResult;
      try {
        result = await runLifecycle(env, op, { dryRun: flags.dryRun === true, force: flags.yes === true, confirm: (prompt) => promptConfirm(ctx, prompt) });
      } catch (error) {
        out.clearProgress();
        if (error instanceof PartialError && error.partial && typeof error.partial === 'object' && 'restored' in error.partial)
          out.result(error.partial as RestoreResult, printRestore);
        throw error;
      }
      out.clearProgress();
      out.result(result, printRestore);
      if (op.incomplete(result)) ctx.fail(ExitCode.PARTIAL);
    });
}

export function printRestore(result: RestoreResult, out: Output): void {
  const c = out.color;
  const n = formatCount;
  const verb = result.dryRun ? 'Would restore' : 'Restored';
  const seconds = (result.durationMs / 1000).toFixed(2);
  out.line(
    `${c.green(verb)} ${n(result.restored)} of ${n(result.keys)} keys into ${result.target} (${seconds} s)` +
      (result.interrupted ? ` ${c.yellow('— interrupted')}` : ''),
  );
  out.line(`backup: ${safe(result.file)}, taken ${safe(result.created)} by "${safe(result.command)}" from ${safe(result.source)}`);
  if (!result.complete) out.line(c.yellow('interrupted backup: only its whole records were restored (the rest of the file is cut)'));
  const { exists, expired, unmatched, protected: guarded } = result.skipped;
  const skipped = [
    exists > 0 ? `${n(exists)} exist already${result.replace ? '' : ' (--replace overwrites them)'}` : '',
    expired > 0 ? `${n(expired)} expired since the backup` : '',
    unmatched > 0 ? `${n(unmatched)} not matching --match` : '',
    guarded > 0 ? `${n(guarded)} protected (queue or cachectl keys; --include-protected restores them)` : '',
  ].filter(Boolean);
  if (skipped.length > 0) out.line(`skipped: ${skipped.join(', ')}`);
  if (result.failed > 0) {
    out.line(c.red(`failed: ${n(result.failed)}`));
    for (const e of result.errors) out.line(`  ${safe(e.key)}: ${safe(e.error)}`);
  }
}
