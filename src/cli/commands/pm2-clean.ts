/**
 * `cachectl pm2-clean [apps…]`: clear caches (clearOnDeploy families, or every family with
 * --all-families; never queues), then restart PM2 apps through PM2's API and report each.
 */
import { Command } from 'commander';
import { deployFamilies } from '../../core/maintenance/hooks.js';
import { pm2Home } from '../../core/pm2/client.js';
import { assertPm2Installed } from '../../core/pm2/installed.js';
import { defaultRestartApps, pm2CleanOperation, type Pm2CleanResult } from '../../core/pm2/clean.js';
import { DEFAULT_ECOSYSTEM, loadEcosystem } from '../../core/pm2/ecosystem.js';
import { runLifecycle } from '../../core/safety/lifecycle.js';
import { ExitCode, PartialError, UsageError } from '../../errors.js';
import { promptConfirm } from '../confirm.js';
import type { CliContext } from '../context.js';
import { logFormatOption } from '../log-format.js';
import { cliEnv } from '../destructive.js';
import type { Output } from '../output.js';

interface Pm2CleanFlags {
  allFamilies?: boolean;
  ecosystem: string;
  dryRun?: boolean;
  yes?: boolean;
}

export function pm2CleanCommand(ctx: CliContext): Command {
  return new Command('pm2-clean')
    .description('clear caches (clearOnDeploy families, or --all-families), then restart PM2 apps and report each')
    .argument('[apps...]', 'PM2 app names to restart (default: the apps of the ecosystem file without cron_restart)')
    .option('--all-families', 'clear every cache family, not only those marked clearOnDeploy (queues are never touched)')
    .option('--ecosystem <file>', 'PM2 ecosystem file for the default app list', DEFAULT_ECOSYSTEM)
    .option('--dry-run', 'count the keys and list the apps; change nothing')
    .option('-y, --yes', 'do not ask for confirmation (scripts)')
    .addOption(logFormatOption())
    .addHelpText(
      'after',
      `
PM2_HOME selects the daemon (default ~/.pm2). Nothing is cleared when no daemon is running.

Exit codes: 0 cleared and every app restarted · 5 an app failed to restart or the clear was
partial · 2 pm2 is not installed · 3 no PM2 daemon / server unreachable · 4 not confirmed.

Examples:
  $ cachectl pm2-clean
  $ cachectl pm2-clean whatsapp_api --yes
  $ cachectl pm2-clean --all-families --dry-run`,
    )
    .action(async (apps: string[], flags: Pm2CleanFlags) => {
      assertPm2Installed('pm2-clean');
      const config = ctx.config();
      const families = flags.allFamilies ? Object.keys(config.families) : deployFamilies(config);
      const targets = apps.length > 0 ? apps : defaultRestartApps(await loadEcosystem(flags.ecosystem, ctx.environment.cwd));
      if (targets.length === 0) {
        throw new UsageError('no app to restart: the ecosystem file has only cron apps', { hint: 'name the apps: cachectl pm2-clean <app> …' });
      }
      if (families.length === 0) ctx.output.warn('no family is marked clearOnDeploy: only restarting (use --all-families to clear every family)');
      const env = await cliEnv(ctx);
      const op = pm2CleanOperation(env.connection, env.config, { families, apps: targets, home: pm2Home(ctx.env), signal: ctx.signal });
      let result: Pm2CleanResult;
      try {
        result = await runLifecycle(env, op, { dryRun: flags.dryRun === true, force: flags.yes === true, confirm: (prompt) => promptConfirm(ctx, prompt) });
      } catch (error) {
        if (error instanceof PartialError && error.partial && typeof error.partial === 'object' && 'restarts' in error.partial)
          ctx.output.result(error.partial as Pm2CleanResult, printClean);
        throw error;
      }
      ctx.output.result(result, printClean);
      if (op.incomplete(result)) ctx.fail(ExitCode.PARTIAL);
    });
}

function printClean(result: Pm2CleanResult, out: Output): void {
  const c = out.color;
  const verb = result.dryRun ? 'would delete' : 'deleted';
  for (const [family, n] of Object.entries(result.families)) out.line(`${family}: ${n} key(s) ${verb}`);
  if (result.restarts.length) {
    out.table(
      ['app', result.dryRun ? 'would restart' : 'restart', 'restarts', 'status'],
      result.restarts.map((r) => [
        r.name,
        result.dryRun ? 'yes' : r.ok ? c.green('ok') : c.red(`failed: ${r.error}`),
        r.restartsAfter !== undefined ? `${r.restartsBefore} → ${r.restartsAfter}` : '-',
        r.status ?? '-',
      ]),
    );
  }
  for (const e of result.errors) out.line(`${c.red('error:')} ${e}`);
}
