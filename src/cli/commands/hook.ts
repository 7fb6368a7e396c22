/**
 * `cachectl hook <pre-deploy|deploy|pm2-restart>`: what deploy scripts and restart wrappers call.
 * Explicit by nature, so no confirmation; always a summary and an audit line. The earlier tool's
 * flags `--pre-deploy`, `--deploy` and `--pm2-restart` are rewritten to these (see ../legacy-flags.ts).
 */
import path from 'node:path';
import { Argument, Command } from 'commander';
import { HOOK_NAMES, runHook, type HookName, type HookResult } from '../../core/maintenance/hooks.js';
import { ExitCode, PartialError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { logFormatOption } from '../log-format.js';
import { cliEnv, logsDir } from '../destructive.js';
import type { Output } from '../output.js';
import { integerParser } from '../parsers.js';

interface HookFlags {
  keepBackups: number;
  backupDir?: string;
  dryRun?: boolean;
}

export function hookCommand(ctx: CliContext): Command {
  return new Command('hook')
    .description('deploy / restart hooks: pre-deploy (backup + clear clearOnDeploy families), deploy (clear them), pm2-restart (clean finished queue jobs)')
    .addArgument(new Argument('<name>', 'which hook').choices([...HOOK_NAMES]))
    .option('--keep-backups <n>', 'pre-deploy (and deploy with --backup-dir): how many backups to keep', integerParser(1, 10000), 10)
    .option('--backup-dir <dir>', 'pre-deploy: back up into DIR instead of <logs.dir>/backups; deploy: also keep what it deletes there (deploy-<time>.cbk.gz)')
    .option('--dry-run', 'count what the hook would remove; change nothing (no backup is written)')
    .addOption(logFormatOption())
    .addHelpText(
      'after',
      `
Hooks never ask for confirmation (calling one is the decision). Each prints a summary and writes
a line to <logs.dir>/audit.log.

  pre-deploy   back up the clearOnDeploy families (exactly the keys removed) into
               <logs.dir>/backups/pre-deploy-<time>.cbk.gz, then clear them
  deploy       clear the clearOnDeploy families (fresh caches for the new release)
  pm2-restart  remove completed/failed queue jobs past retention (queues.*RetentionHours);
               never waiting, delayed or active jobs, never user state

The earlier flags still work: --pre-deploy, --deploy, --pm2-restart.

Exit codes: 0 done · 5 partly done · 1 nothing done · 3 server unreachable.

Examples:
  $ cachectl hook pre-deploy
  $ cachectl hook deploy --json
  $ cachectl --pm2-restart`,
    )
    .action(async (name: HookName, flags: HookFlags) => {
      ctx.releaseIdleStdin();
      const env = await cliEnv(ctx);
      const print = (result: HookResult) => {
        for (const warning of result.warnings) ctx.output.warn(warning);
        ctx.output.result(result, printHook);
      };
      let result: HookResult;
      try {
        result = await runHook(env, name, {
          signal: ctx.signal,
          backupDir: flags.backupDir ? path.resolve(ctx.environment.cwd, flags.backupDir) : path.join(logsDir(ctx), 'backups'),
          ...(flags.backupDir && name === 'deploy' ? { archive: true } : {}),
          keepBackups: flags.keepBackups,
          dryRun: flags.dryRun === true,
          progress: (message) => ctx.output.info(message),
        });
      } catch (error) {
        // Changes were made before the failure: what was done, then the error (exit 5).
        if (error instanceof PartialError) print(error.partial as HookResult);
        throw error;
      }
      print(result);
      ctx.fail(result.status === 'ok' ? ExitCode.OK : result.status === 'partial' ? ExitCode.PARTIAL : ExitCode.FAILED);
    });
}

function printHook(result: HookResult, out: Output): void {
  const c = out.color;
  const status = result.status === 'ok' ? c.green('ok') : result.status === 'partial' ? c.yellow('partial') : c.red('failed');
  out.line(`hook ${result.hook}${result.dryRun ? ' (dry run: nothing was changed)' : ''}: ${status} (${result.durationMs} ms)`);
  if (result.backup)
    out.line(
      `  backup: ${result.backup.keys} key(s) in ${result.backup.file}${result.backup.prunedOld.length ? ` (${result.backup.prunedOld.length} old backup(s) pruned)` : ''}`,
    );
  const verb = result.dryRun ? 'would be ' : '';
  for (const [family, n] of Object.entries(result.families)) out.line(`  ${family}: ${n} key(s) ${verb}deleted`);
  for (const [queue, n] of Object.entries(result.queues)) out.line(`  ${queue}: ${n} finished job(s) ${verb}removed`);
  if (result.hook === 'pm2-restart' && Object.keys(result.queues).length === 0 && result.errors.length === 0) out.line('  no finished jobs past retention');
  for (const e of result.errors) out.line(`  ${c.red('error:')} ${e}`);
}
