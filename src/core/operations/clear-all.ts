/**
 * `clear-all`: every cache family in one pass per master. Queue keys and cachectl's own keys are
 * never touched; keys no family describes only with `includeUnknown` (one pass over everything
 * except them).
 */
import type { CachectlConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import type { RunSummary } from '../keyspace/summary.js';
import { plan } from '../plan.js';
import type { ClearQueuesOptions, ClearQueuesResult } from '../queues/clear-all.js';
import type { Outcome } from '../safety/lifecycle.js';
import { keyspaceOperation, type KeyspaceSpec } from './keyspace.js';
import { auditDirOf, planOptions, runOperation, type ClearOptions, type OperationContext } from './run.js';

export interface ClearAllOptions extends ClearOptions {
  /** Also delete keys that belong to no family (never queue keys or cachectl's own keys). */
  includeUnknown?: boolean;
  /** Only these families (default: every configured family). */
  families?: string[];
  /** Compatibility with the earlier `CacheManager.clearAllCaches`: `false` keeps user-keyed families. */
  clearUserStates?: boolean;
  /** Then also clean and drain the queues (`clear-all --queue`); options of the queue part. */
  queues?: ClearQueuesOptions | true;
}

/** The plan and prompt of a clear-all (no I/O). */
export function clearAllSpec(config: CachectlConfig, options: ClearAllOptions = {}): KeyspaceSpec {
  if (options.includeUnknown && (options.families || options.clearUserStates === false)) {
    throw new UsageError('includeUnknown cannot be combined with a family selection', { hint: 'it removes every non-queue key; choose either' });
  }
  const target = options.includeUnknown
    ? ({ kind: 'everything' } as const)
    : ({
        kind: 'families',
        ...(options.families ? { families: options.families } : {}),
        ...(options.clearUserStates === false ? { userStates: false } : {}),
      } as const);
  const planned = plan(config, [target], planOptions(options));
  const n = planned.selections.length;
  const what = options.includeUnknown
    ? "delete every key except queue keys and cachectl's own keys"
    : `delete every key of ${n} cache ${n === 1 ? 'family' : 'families'}`;
  return { command: 'clear-all', describe: what + (options.tenant !== undefined ? ` in tenant ${options.tenant}` : ''), plan: planned };
}

/** Remove every cache family (and, with `includeUnknown`, every other unprotected key; with `queues`, then clear the queues). */
export async function clearAll(ctx: OperationContext, options: ClearAllOptions = {}): Promise<Outcome<ClearAllResult>> {
  const { queues, includeUnknown: _u, families: _f, clearUserStates: _c, ...rest } = options;
  if (queues && options.tenant !== undefined) {
    throw new UsageError('clearing queues cannot be restricted to one tenant', {
      hint: 'queues are shared by every tenant: drop the tenant, or the queue part',
    });
  }
  const spec = clearAllSpec(ctx.config, options);
  if (!queues) return runOperation(ctx, (engine) => keyspaceOperation(ctx.connection, ctx.config, spec, engine), rest);
  // The queue part loads BullMQ: only when asked for.
  const { clearAllOperation } = await import('./clear-all-queues.js');
  const queueOptions = queues === true ? { logsDir: auditDirOf(ctx) ?? ctx.config.logs.dir, signal: options.signal } : { signal: options.signal, ...queues };
  return runOperation(ctx, (engine) => clearAllOperation(ctx.connection, ctx.config, spec, { ...engine, queues: queueOptions }), rest);
}

/** A clear-all, and (with `queues`) what it did to the queues afterwards. */
export interface ClearAllResult extends RunSummary {
  queues?: ClearQueuesResult;
}
