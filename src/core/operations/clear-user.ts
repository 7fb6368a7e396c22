/**
 * `clear-user`: remove everything cached about one user — every family with a `user`
 * placeholder, under each spelling the family uses, in one pass — and report it per family, in a
 * form fit to keep as a data-erasure record.
 */
import type { CachectlConfig } from '../../config/load.js';
import { PartialError } from '../../errors.js';
import type { RunSummary } from '../keyspace/summary.js';
import type { UserSubject } from '../phone.js';
import { plan, type Plan } from '../plan.js';
import type { RedisConnection } from '../../redis/connect.js';
import type { ExecuteOptions } from '../keyspace/execute.js';
import type { Operation, Outcome } from '../safety/lifecycle.js';
import { keyspaceOperation, type KeyspaceSpec } from './keyspace.js';
import { planOptions, runOperation, type ClearOptions, type OperationContext } from './run.js';

export interface ClearUserOptions extends ClearOptions {
  /** Country for phone numbers in national format (`082 123 4567` with `ZA`). */
  country?: string;
}

/** One line of the erase report. */
export interface ErasureEntry {
  family: string;
  template: string;
  /** How the family's keys were found: exact keys (no scan) or a pattern. */
  kind: 'exact' | 'pattern';
  /** Keys removed (dry run: keys that would be removed). */
  keysRemoved: number;
  failed: number;
  durationMs: number;
}

export interface ClearUserSummary extends RunSummary {
  /** The user as normalized (phone: E.164 and digits; else the plain id). */
  user: UserSubject;
  /** Per family, also for families where nothing was found (they were checked). */
  erasure: ErasureEntry[];
  /** When the run finished (ISO 8601). */
  completedAt: string;
}

/** The plan of a clear-user run (no I/O): the user normalized, every user-keyed family. */
export function clearUserSpec(config: CachectlConfig, userId: string, options: ClearUserOptions = {}): KeyspaceSpec & { plan: Plan & { user: UserSubject } } {
  const planned = plan(config, [{ kind: 'user', user: userId, ...(options.country !== undefined ? { country: options.country } : {}) }], planOptions(options));
  const user = planned.user!;
  return { command: 'clear-user', describe: `delete everything cached about user ${user.e164 ?? user.input}`, plan: { ...planned, user } };
}

/** Remove every user-keyed family entry of `userId`; returns the summary and the erase report. */
export async function clearUser(ctx: OperationContext, userId: string, options: ClearUserOptions = {}): Promise<Outcome<ClearUserSummary>> {
  const spec = clearUserSpec(ctx.config, userId, options);
  return runOperation(ctx, (engine) => clearUserOperation(ctx.connection, ctx.config, spec, engine), options);
}

/** The keyspace operation of `spec`, its result (and a partial one) with the erase report. */
export function clearUserOperation(
  connection: RedisConnection,
  config: CachectlConfig,
  spec: ReturnType<typeof clearUserSpec>,
  engine: ExecuteOptions & { backup?: boolean },
): Operation<ClearUserSummary> {
  const op = keyspaceOperation(connection, config, spec, engine);
  return {
    ...op,
    execute: async (io) => {
      try {
        return withErasure(await op.execute(io), spec.plan, config);
      } catch (error) {
        // A partial run still gets its erase report: what was removed before the failure.
        if (error instanceof PartialError)
          throw new PartialError(error.message, withErasure(error.partial as RunSummary, spec.plan, config), { cause: error.cause, hint: error.hint });
        throw error;
      }
    },
  };
}

function withErasure(summary: RunSummary, planned: Plan & { user: UserSubject }, config: CachectlConfig): ClearUserSummary {
  const erasure: ErasureEntry[] = [];
  for (const selection of planned.selections) {
    const name = selection.family!;
    if (erasure.some((e) => e.family === name)) continue;
    const rows = summary.byTarget.filter((t) => t.family === name);
    erasure.push({
      family: name,
      template: config.families[name]!.template,
      kind: selection.kind,
      keysRemoved: rows.reduce((n, t) => n + (summary.dryRun ? t.matched : t.deleted), 0),
      failed: rows.reduce((n, t) => n + t.failed, 0),
      durationMs: Math.round(rows.reduce((n, t) => n + t.durationMs, 0) * 100) / 100,
    });
  }
  return Object.assign(summary, { user: planned.user, erasure, completedAt: new Date().toISOString() });
}
