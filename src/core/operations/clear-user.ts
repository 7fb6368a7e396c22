/**
 * `clear-user`: remove everything cached about one user — every family with a `user`
 * placeholder, under each spelling the family uses — and report it per family, in a form fit to
 * keep as a data-erasure record.
 */
import { PartialError, UsageError } from '../../errors.js';
import { selectFamily, type Selection } from '../families.js';
import { readyMasters } from '../keyspace/masters.js';
import type { RunSummary } from '../keyspace/summary.js';
import { normalizeUser, userForms, type UserSubject } from '../phone.js';
import { bindTenant, isTenantScoped, tenantScope } from '../tenant.js';
import { labelsOf, newRun, runSelections, type ClearOptions, type OperationContext } from './execute.js';

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

export interface ClearUserPlan {
  user: UserSubject;
  selections: Selection[];
  /** User-keyed families a tenant-restricted run leaves out (not tenant-scoped). */
  skippedFamilies: string[];
}

/** Normalize the user and plan the selections (no I/O). */
export function planClearUser(ctx: Pick<OperationContext, 'config'>, userId: string, options: ClearUserOptions = {}): ClearUserPlan {
  const user = normalizeUser(userId, options.country !== undefined ? { country: options.country } : {});
  const scope = options.tenant !== undefined ? tenantScope(options.tenant) : undefined;
  const keyed = Object.values(ctx.config.families).filter((family) => family.user !== undefined);
  if (keyed.length === 0) {
    throw new UsageError('No family is keyed by user', { hint: 'set "user" (the placeholder holding the phone/id) on the families in the config file' });
  }
  const families = scope ? keyed.filter((family) => isTenantScoped(family)) : keyed;
  if (families.length === 0) {
    throw new UsageError(`No user-keyed family is tenant-scoped, so --tenant ${scope!.id} leaves nothing to erase`, {
      hint: `user-keyed families: ${keyed.map((f) => `${f.name} (${f.template})`).join(', ')}; run without --tenant`,
    });
  }
  const selections = families.flatMap((family) => {
    const values = { [family.user!]: userForms(user, family.userFormat) };
    return selectFamily(family, scope ? bindTenant(family, values, scope) : values, { tenants: ctx.config.tenants, scanTenants: options.scanTenants === true });
  });
  return { user, selections, skippedFamilies: keyed.filter((f) => !families.includes(f)).map((f) => f.name) };
}

/** Remove every user-keyed family entry of `userId`; returns the summary and the erase report. */
export async function clearUser(ctx: OperationContext, userId: string, options: ClearUserOptions = {}): Promise<ClearUserSummary> {
  const plan = planClearUser(ctx, userId, options);
  await readyMasters(ctx.connection);
  const run = newRun(ctx, 'clear-user', options, plan.skippedFamilies);
  await runSelections(run, plan.selections);
  try {
    return withErasure(run.finish(labelsOf(plan.selections)), plan, ctx);
  } catch (error) {
    // A partial run still gets its erase report: what was removed before the failure.
    if (error instanceof PartialError) {
      throw new PartialError(error.message, withErasure(error.partial as RunSummary, plan, ctx), { cause: error.cause, hint: error.hint });
    }
    throw error;
  }
}

function withErasure(summary: RunSummary, plan: ClearUserPlan, ctx: Pick<OperationContext, 'config'>): ClearUserSummary {
  const erasure: ErasureEntry[] = [];
  for (const selection of plan.selections) {
    const name = selection.family!;
    if (erasure.some((e) => e.family === name)) continue;
    const rows = summary.byTarget.filter((t) => t.family === name);
    erasure.push({
      family: name,
      template: ctx.config.families[name]!.template,
      kind: selection.kind,
      keysRemoved: rows.reduce((n, t) => n + (summary.dryRun ? t.matched : t.deleted), 0),
      failed: rows.reduce((n, t) => n + t.failed, 0),
      durationMs: Math.round(rows.reduce((n, t) => n + t.durationMs, 0) * 100) / 100,
    });
  }
  return { ...summary, user: plan.user, erasure, completedAt: new Date().toISOString() };
}
