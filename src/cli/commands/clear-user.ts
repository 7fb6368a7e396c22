/**
 * `cachectl clear-user` (alias `user`, the earlier tool's command line): remove everything cached
 * about one user and print an erase report per family.
 */
import { formatCount } from '../../core/stats/format.js';
import { Command } from 'commander';
import { clearUserOperation, clearUserSpec, type ClearUserSummary } from '../../core/operations/clear-user.js';
import type { CliContext } from '../context.js';
import { addDestructiveOptions, runDestructive, type DestructiveFlags } from '../destructive.js';
import type { Output } from '../output.js';
import { formatMs, printRunSummary } from '../run-summary.js';

interface ClearUserFlags extends DestructiveFlags {
  country?: string;
}

export function clearUserCommand(ctx: CliContext): Command {
  const command = new Command('clear-user')
    .alias('user')
    .description('remove everything cached about one user (every family with a user placeholder) and print an erase report')
    .argument('<user...>', 'phone number in any spelling (+27 82 123 4567, 27821234567) or a plain id')
    .option('--country <code>', 'country of a number in national format (082 123 4567 --country ZA)')
    .addHelpText(
      'after',
      `
A phone number is normalized to E.164, and each family is searched under the spelling(s) it uses
("userFormat": e164 +27821234567, digits 27821234567, or any = both). A value that is not a phone
number is used as a plain id, literally. The report lists every family checked, with the keys
removed and the time taken (--json for a record to keep).

Examples:
  $ cachectl clear-user +27 82 123 4567
  $ cachectl clear-user 082 123 4567 --country ZA --dry-run
  $ cachectl user 27821234567                 # the earlier "clear-cache.js user <phone>"
  $ cachectl clear-user customer-4411 --json > erasure-record.json`,
    )
    .action(async (parts: string[], flags: ClearUserFlags) => {
      const spec = clearUserSpec(ctx.config(), parts.join(' '), {
        ...(flags.country !== undefined ? { country: flags.country } : {}),
        ...(ctx.options.tenant !== undefined ? { tenant: ctx.options.tenant } : {}),
        ...(flags.scanTenants ? { scanTenants: true } : {}),
      });
      const user = spec.plan.user;
      if (user.note) ctx.output.warn(`"${user.input}" is used as a plain id: ${user.note}`);
      await runDestructive<ClearUserSummary>(ctx, flags, {
        label: 'clear-user',
        build: (engine, env) => clearUserOperation(env.connection, env.config, spec, engine),
        render: printErasure,
      });
    });
  return addDestructiveOptions(command);
}

/** The erase report: who, when, per family what was removed. */
export function printErasure(summary: ClearUserSummary, out: Output): void {
  const who = summary.user.kind === 'phone' ? `${summary.user.e164} (phone; also searched as ${summary.user.digits})` : `${summary.user.input} (plain id)`;
  out.line(`${summary.dryRun ? 'Erase report (dry run: nothing was deleted)' : 'Erase report'} — user ${who}`);
  out.line(`completed ${summary.completedAt}${summary.interrupted ? ' (interrupted)' : ''}`);
  out.table(
    ['family', 'template', 'lookup', summary.dryRun ? 'keys found' : 'keys removed', 'failed', 'time'],
    summary.erasure.map((e) => [
      e.family,
      e.template,
      e.kind === 'exact' ? 'exact keys' : 'scan',
      formatCount(e.keysRemoved),
      formatCount(e.failed),
      formatMs(e.durationMs),
    ]),
    { align: ['left', 'left', 'left', 'right', 'right', 'right'] },
  );
  printRunSummary({ ...summary, byTarget: [] }, out);
}
