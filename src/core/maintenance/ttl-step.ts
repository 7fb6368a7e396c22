/**
 * The `ttl-policy` maintenance step: every family with `ttlSeconds` gets its policy on the keys
 * that have no TTL (like `cachectl ttl apply --yes`), in one pass per master, decided on the
 * server when each TTL is set. On by default; `maintenance.ttlPolicy: false` turns it off.
 */
import type { CachectlConfig } from '../../config/load.js';
import { PartialError } from '../../errors.js';
import { executePlan } from '../keyspace/execute.js';
import type { RunSummary } from '../keyspace/summary.js';
import { withTenantTtl } from '../tenant-policies.js';
import { ttlPlan } from '../ttl/plan.js';
import type { MaintenanceStep } from './types.js';

/** True when the step has work: the policy is on and some family has `ttlSeconds`. */
export function ttlPolicyActive(config: CachectlConfig): boolean {
  return config.maintenance.ttlPolicy !== false && Object.values(config.families).some((f) => f.ttlSeconds !== undefined);
}

export function ttlPolicyStep(tuning: { rate?: number; tenant?: string } = {}): MaintenanceStep {
  return {
    name: 'ttl-policy',
    run: async (ctx) => {
      if (!ttlPolicyActive(ctx.config)) {
        ctx.progress(ctx.config.maintenance.ttlPolicy === false ? 'off (maintenance.ttlPolicy: false)' : 'no family sets ttlSeconds');
        return {};
      }
      let summary: RunSummary;
      try {
        const scope = tuning.tenant !== undefined ? { tenant: tuning.tenant } : {};
        summary = await executePlan(ctx.connection, ctx.config, 'maintenance ttl-policy', withTenantTtl(ctx.config, ttlPlan(ctx.config, scope), scope), {
          ...scope,
          dryRun: ctx.dryRun,
          signal: ctx.signal,
          ...(tuning.rate ? { rate: tuning.rate } : {}),
        });
      } catch (error) {
        if (error instanceof PartialError) {
          const partial = error.partial as RunSummary;
          throw new PartialError(`${error.message} (${partial.deleted} key(s) were given their TTL before)`, {}, { cause: error });
        }
        throw error;
      }
      const errors = [...(summary.errors ?? [])];
      if (summary.interrupted) errors.push('interrupted');
      const applied = summary.dryRun ? summary.matched : summary.deleted;
      const perFamily = summary.byTarget
        .filter((t) => (summary.dryRun ? t.matched : t.deleted) > 0)
        .map((t) => `${t.target} ${summary.dryRun ? t.matched : t.deleted}`)
        .join(', ');
      ctx.progress(`${applied} key(s) without a TTL ${ctx.dryRun ? 'would get' : 'got'} their family's policy TTL${perFamily ? ` (${perFamily})` : ''}`);
      return { errors };
    },
  };
}
