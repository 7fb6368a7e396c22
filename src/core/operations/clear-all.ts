/**
 * `clear-all`: every cache family, one SCAN pass per family, masters in parallel. Queue keys are
 * never touched; keys no family describes only with `includeUnknown` (one pass over everything
 * except the queue prefixes).
 */
import { UsageError } from '../../errors.js';
import { familyPattern, type Selection } from '../families.js';
import type { RunSummary } from '../keyspace/summary.js';
import { isTenantScoped, splitFamilies, tenantFamilyPattern, tenantPattern, tenantScope } from '../tenant.js';
import { executeSelections, getFamily, type ClearOptions, type OperationContext } from './execute.js';

export interface ClearAllOptions extends ClearOptions {
  /** Also delete keys that belong to no family (still never queue keys). */
  includeUnknown?: boolean;
  /** Only these families (default: every configured family). */
  families?: string[];
  /** Compatibility with the earlier `CacheManager.clearAllCaches`: `false` keeps user-keyed families. */
  clearUserStates?: boolean;
  /** Refused here: this operation clears caches only; `CacheManager.clearAllCaches` and `clear-all --queue` add the queue part. */
  clearQueueJobs?: boolean;
}

/** Label of the everything-but-queues pass of `includeUnknown`. */
export const ALL_KEYS_LABEL = 'all keys (unknown included, queues excluded)';

/** Plan clear-all (no I/O). */
export function planClearAll(ctx: Pick<OperationContext, 'config'>, options: ClearAllOptions = {}): Selection[] {
  if (options.clearQueueJobs) {
    throw new UsageError('clear-all does not clear queues', {
      hint: 'queue jobs are removed by the queue commands (cachectl queues …), which drain them safely',
    });
  }
  const names = options.families ?? Object.keys(ctx.config.families);
  const families = names.map((name) => getFamily(ctx.config, name)).filter((family) => options.clearUserStates !== false || family.user === undefined);
  const scope = options.tenant !== undefined ? tenantScope(options.tenant) : undefined;
  if (options.includeUnknown) {
    if (options.families || options.clearUserStates === false) {
      throw new UsageError('includeUnknown cannot be combined with a family selection', {
        hint: 'it removes every non-queue key; choose either',
      });
    }
    if (scope) return [{ kind: 'pattern', label: `all keys of tenant ${scope.id} (queues excluded)`, pattern: tenantPattern(scope) }];
    return [{ kind: 'pattern', label: ALL_KEYS_LABEL, pattern: Buffer.from('*') }];
  }
  if (scope) {
    return families
      .filter((family) => isTenantScoped(family))
      .map((family) => ({ kind: 'pattern' as const, family: family.name, label: family.name, pattern: tenantFamilyPattern(family, scope) }));
  }
  return families.map((family) => ({ kind: 'pattern' as const, family: family.name, label: family.name, pattern: familyPattern(family) }));
}

/** Families a tenant-restricted clear-all leaves out (not tenant-scoped); empty without `tenant`. */
export function clearAllSkipped(ctx: Pick<OperationContext, 'config'>, options: ClearAllOptions = {}): string[] {
  if (options.tenant === undefined || options.includeUnknown) return [];
  const names = (options.families ?? Object.keys(ctx.config.families)).filter(
    (name) => options.clearUserStates !== false || getFamily(ctx.config, name).user === undefined,
  );
  return splitFamilies(ctx.config, names).skipped;
}

/** Remove every cache family (and, with `includeUnknown`, every other non-queue key). */
export async function clearAll(ctx: OperationContext, options: ClearAllOptions = {}): Promise<RunSummary> {
  return executeSelections(ctx, 'clear-all', planClearAll(ctx, options), options, clearAllSkipped(ctx, options));
}
