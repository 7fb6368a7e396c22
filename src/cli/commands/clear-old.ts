/**
 * `cachectl clear-old` (alias `old`; `old --hours=48` is the earlier tool's command line): remove
 * family entries older than N hours, the age re-checked on the server at delete time.
 */
import { Command } from 'commander';
import { withTenantRetention } from '../../core/tenant-policies.js';
import { clearOldSpec } from '../../core/operations/clear-old.js';
import { keyspaceOperation } from '../../core/operations/keyspace.js';
import type { CliContext } from '../context.js';
import { addDestructiveOptions, runDestructive, type DestructiveFlags } from '../destructive.js';
import { parseHours } from '../parsers.js';

interface ClearOldFlags extends DestructiveFlags {
  hours?: number;
}

export function clearOldCommand(ctx: CliContext): Command {
  const command = new Command('clear-old')
    .alias('old')
    .description('remove family entries older than N hours (idle time, or a timestamp field per family)')
    .argument('[families...]', 'only these families (default: every family)')
    .option('--hours <n>', "age threshold: 48 (hours), 48h, 2d, 90m (default: each family's maxAgeHours, else maintenance.hours = 24)", parseHours)
    .addHelpText(
      'after',
      `
Age is the key's idle time (OBJECT IDLETIME), or, for a family with "ageField", the timestamp in
that hash field / JSON property (ISO 8601 or epoch s/ms). The test is repeated on the server when
the key is deleted, so an entry used since the scan survives. Under an LFU maxmemory-policy idle
time is not tracked: set "ageField" for those families. Runs unattended (no confirmation);
look first with --dry-run.

Examples:
  $ cachectl clear-old --dry-run
  $ cachectl clear-old --hours 168
  $ cachectl old --hours=48                 # the earlier "clear-cache.js old --hours=48"
  $ cachectl clear-old userState --hours 12 --rate 2000
  $ cachectl clear-old --backup old-entries.cbk.gz      # keep exactly what was removed
  $ cachectl clear-old --hours 168 --backup-dir logs/archive --yes   # weekly, a new file each time`,
    )
    .action(async (families: string[], flags: ClearOldFlags) => {
      const base = clearOldSpec(ctx.config(), {
        ...(families.length > 0 ? { families } : {}),
        ...(flags.hours !== undefined ? { hours: flags.hours } : {}),
        ...(ctx.options.tenant !== undefined ? { tenant: ctx.options.tenant } : {}),
      });
      // Each tenant's own retention (tenantPolicies) in the same pass, unless --hours overrides every age.
      const spec = {
        ...base,
        plan: withTenantRetention(ctx.config(), base.plan, {
          hoursOverride: flags.hours !== undefined,
          ...(ctx.options.tenant !== undefined ? { tenant: ctx.options.tenant } : {}),
        }),
      };
      await runDestructive(ctx, flags, { label: 'clear-old', build: (engine, env) => keyspaceOperation(env.connection, env.config, spec, engine) });
    });
  return addDestructiveOptions(command, { scanTenants: false });
}
