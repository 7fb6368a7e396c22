/**
 * `clear-old`: remove family entries older than N hours, all families in one pass per master. Age
 * is idle time (`OBJECT IDLETIME`), or a timestamp in the value when the family sets `ageField`;
 * it is decided on the server when the key is deleted, so a key used since it was seen survives.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RunSummary } from '../keyspace/summary.js';
import { plan } from '../plan.js';
import type { Outcome } from '../safety/lifecycle.js';
import type { KeyspaceSpec } from './keyspace.js';
import { planOptions, runPlan, type ClearOptions, type OperationContext } from './run.js';

export interface ClearOldOptions extends ClearOptions {
  /** Age threshold for every family; default: each family's `maxAgeHours`, else `maintenance.hours`. */
  hours?: number;
  /** Compatibility with the earlier `CacheManager.clearOldData({ olderThanHours })`. */
  olderThanHours?: number;
  /** Only these families (default: every configured family). */
  families?: string[];
  /** Clock for the timestamp test (tests); default Date.now. */
  now?: () => number;
}

/** The plan of a clear-old run (no I/O): one age-conditional selection per family. */
export function clearOldSpec(config: CachectlConfig, options: ClearOldOptions = {}): KeyspaceSpec {
  const hours = options.hours ?? options.olderThanHours;
  const planned = plan(config, [{ kind: 'old', ...(options.families ? { families: options.families } : {}), ...(hours !== undefined ? { hours } : {}) }], {
    ...planOptions(options),
    ...(options.now ? { now: options.now() } : {}),
  });
  const n = planned.selections.length;
  return {
    command: 'clear-old',
    describe: `delete entries of ${n} ${n === 1 ? 'family' : 'families'} older than their threshold`,
    plan: planned,
    policy: true,
  };
}

/** Remove the entries of every (or the given) family older than the threshold. */
export async function clearOld(ctx: OperationContext, options: ClearOldOptions = {}): Promise<Outcome<RunSummary>> {
  return runPlan(ctx, clearOldSpec(ctx.config, options), options);
}
