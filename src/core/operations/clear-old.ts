/**
 * `clear-old`: remove family entries older than N hours. Age is idle time (`OBJECT IDLETIME`), or
 * a timestamp in the value when the family sets `ageField`. Candidates are scanned, and the age is
 * tested again on the server at delete time, so a key used since it was selected survives.
 */
import type { Family } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import { familyPattern } from '../families.js';
import { deleteConditional, lfuError, type AgeCondition, type BeforeDeleteHook } from '../keyspace/conditional-delete.js';
import { idlePolicy } from '../keyspace/features.js';
import { readyMasters } from '../keyspace/masters.js';
import type { RunSummary } from '../keyspace/summary.js';
import { isTenantScoped, splitFamilies, tenantFamilyPattern, tenantScope } from '../tenant.js';
import { getFamily, newRun, recordTarget, type ClearOptions, type OperationContext } from './execute.js';

export interface ClearOldOptions extends ClearOptions {
  /** Age threshold for every family; default: each family's `maxAgeHours`, else `maintenance.hours`. */
  hours?: number;
  /** Compatibility with the earlier `CacheManager.clearOldData({ olderThanHours })`. */
  olderThanHours?: number;
  /** Only these families (default: every configured family). */
  families?: string[];
  /** Called with each candidate batch between selection and the server-side decision. */
  beforeDelete?: BeforeDeleteHook;
  /** Clock for the timestamp test (tests); default Date.now. */
  now?: () => number;
}

export interface FamilyAgePlan {
  family: Family;
  hours: number;
  condition: AgeCondition;
  /** MATCH pattern of the family (inside the tenant when restricted). */
  pattern: Buffer;
}

/** Validate the options and decide, per family, the threshold and how age is measured (no I/O). */
export function planClearOld(ctx: Pick<OperationContext, 'config'>, options: ClearOldOptions = {}): FamilyAgePlan[] {
  const given = options.hours ?? options.olderThanHours;
  if (given !== undefined && !(Number.isFinite(given) && given > 0)) {
    throw new UsageError(`Invalid age: ${given} hours`, { hint: 'give a positive number of hours, e.g. --hours 48' });
  }
  const scope = options.tenant !== undefined ? tenantScope(options.tenant) : undefined;
  const names = (options.families ?? Object.keys(ctx.config.families)).filter((name) => !scope || isTenantScoped(getFamily(ctx.config, name)));
  const now = (options.now ?? Date.now)();
  return names.map((name) => {
    const family = getFamily(ctx.config, name);
    const pattern = scope ? tenantFamilyPattern(family, scope) : familyPattern(family);
    const hours = given ?? family.maxAgeHours ?? ctx.config.maintenance.hours;
    const condition: AgeCondition = family.ageField
      ? { mode: 'field', field: family.ageField, maxAgeMs: hours * 3_600_000, now }
      : { mode: 'idle', seconds: hours * 3600 };
    return { family, hours, condition, pattern };
  });
}

/** Remove the entries of every (or the given) family older than the threshold. */
export async function clearOld(ctx: OperationContext, options: ClearOldOptions = {}): Promise<RunSummary> {
  const plan = planClearOld(ctx, options);
  await readyMasters(ctx.connection);
  await assertIdleTracked(ctx, plan);
  const skipped = options.tenant === undefined ? [] : splitFamilies(ctx.config, options.families ?? Object.keys(ctx.config.families)).skipped;
  const run = newRun(ctx, 'clear-old', options, skipped);
  for (const { family, condition, pattern } of plan) {
    if (run.shouldStop()) break;
    const before = run.summary.totals();
    const began = performance.now();
    const { kept } = await deleteConditional(run, pattern, condition, family.name, options.beforeDelete);
    const after = run.summary.totals();
    recordTarget(run, {
      target: family.name,
      family: family.name,
      kind: 'conditional',
      matched: after.matched - before.matched,
      deleted: after.deleted - before.deleted,
      failed: after.failed - before.failed,
      kept,
      durationMs: Math.round((performance.now() - began) * 100) / 100,
    });
  }
  return run.finish(
    plan.map((p) => p.family.name),
    true,
  );
}

/** Idle-time ageing is impossible under an LFU policy: fail before touching anything. */
async function assertIdleTracked(ctx: OperationContext, plan: FamilyAgePlan[]): Promise<void> {
  const idle = plan.filter((p) => p.condition.mode === 'idle');
  if (idle.length === 0) return;
  const policies = await Promise.all(ctx.connection.masters().map((node) => idlePolicy(node)));
  const lfu = policies.find((p) => p.tracked === false);
  if (lfu) throw lfuError(idle.map((p) => p.family.name).join(', '), lfu.policy);
}
