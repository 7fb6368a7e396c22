/**
 * The earlier state-module API (`clearAllUserStates`, `clearOldUserStates`, `getMemoryStats`,
 * `clearUserState`) as thin wrappers over the operations: the same plans, the same safety
 * lifecycle (a whole family still needs `force`), the same audit line. They work on the
 * `userState` family (the one the earlier tool called "user states") and return what the earlier
 * functions returned: a count of deleted keys, a small statistics object, the run summary.
 */
import { UsageError } from '../../errors.js';
import type { CachectlConfig } from '../../config/load.js';
import type { RunSummary } from '../keyspace/summary.js';
import { clearAll } from '../operations/clear-all.js';
import { clearOld } from '../operations/clear-old.js';
import { runPlan, type ClearOptions, type OperationContext } from '../operations/run.js';
import { normalizeUser, userForms } from '../phone.js';
import { getFamily, plan } from '../plan.js';
import type { Outcome } from '../safety/lifecycle.js';
import { collectStats } from '../stats/index.js';
import type { QueueCounts } from '../queues/discovery.js';
import type { MemoryFigures } from '../stats/types.js';

/** The family the earlier API calls "user states". */
export const USER_STATE_FAMILY = 'userState';

/** What `getMemoryStats()` returns: the earlier fields, plus the server's memory figures. */
export interface MemoryStats {
  /** Keys on every master (DBSIZE summed). */
  totalKeys: number;
  /** Keys of the `userState` family (sampled estimate unless `exact`). */
  userStateKeys: number;
  memory: MemoryFigures;
  /** ISO 8601. */
  timestamp: string;
}

/** Deleted keys of a run (dry run: that would be deleted). */
export function deletedCount(summary: RunSummary): number {
  return summary.dryRun ? summary.matched : summary.deleted;
}

/** Every `userState` key (a whole family: needs `force`, like `cachectl invalidate userState --yes`). */
export async function clearAllUserStates(ctx: OperationContext, options: ClearOptions = {}): Promise<Outcome<RunSummary>> {
  requireUserStates(ctx.config);
  return clearAll(ctx, { ...options, families: [USER_STATE_FAMILY] });
}

/** `userState` keys older than `hours` (idle time, or the family's `ageField`), decided on the server. */
export async function clearOldUserStates(ctx: OperationContext, hours: number | undefined, options: ClearOptions = {}): Promise<Outcome<RunSummary>> {
  requireUserStates(ctx.config);
  return clearOld(ctx, { ...options, families: [USER_STATE_FAMILY], ...(hours !== undefined ? { hours } : {}) });
}

/** One user's `userState` keys, in every spelling of the number the family uses (exact keys, no scan). */
export async function clearUserState(ctx: OperationContext, phone: string, options: ClearOptions & { country?: string } = {}): Promise<Outcome<RunSummary>> {
  const family = requireUserStates(ctx.config);
  const placeholder = family.user ?? family.parsed.placeholders[0];
  if (placeholder === undefined) throw new UsageError(`family ${USER_STATE_FAMILY} (${family.template}) has no placeholder for the user`);
  const user = normalizeUser(phone, options.country !== undefined ? { country: options.country } : {});
  const planned = plan(ctx.config, [{ kind: 'family', family: USER_STATE_FAMILY, values: { [placeholder]: userForms(user, family.userFormat) } }], {
    ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
  });
  return runPlan(ctx, { command: 'clear-user-state', describe: `delete the user state of ${user.e164 ?? user.input}`, plan: planned }, options);
}

/** Key counts and memory: the earlier `getMemoryStats()` (read-only; queues are not inspected). */
export async function getMemoryStats(ctx: Pick<OperationContext, 'connection' | 'config'>, options: { exact?: boolean } = {}): Promise<MemoryStats> {
  const stats = await collectStats(ctx.connection, ctx.config, { skipQueues: true, ...(options.exact ? { exact: true } : {}) });
  return { totalKeys: stats.keyspace.keys, userStateKeys: stats.summary.userStates, memory: stats.memory, timestamp: stats.timestamp };
}

/** The earlier `getCacheStats()` fields at the top level, next to the new ones. */
export interface LegacyStatsFields {
  /** Job counts summed over every queue (same as `summary.queue`). */
  queue: QueueCounts;
  /** Keys of the `userState` family (same as `summary.userStates`). */
  userStates: number;
}

function requireUserStates(config: CachectlConfig) {
  if (!Object.hasOwn(config.families, USER_STATE_FAMILY)) {
    throw new UsageError(`The earlier user-state API needs the "${USER_STATE_FAMILY}" family, which this configuration removes`, {
      hint: 'declare it in the config file, or use invalidate / clearOldData with your own family',
    });
  }
  return getFamily(config, USER_STATE_FAMILY);
}
