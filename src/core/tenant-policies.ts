/**
 * Per-tenant policies (`tenantPolicies` in the config): a tenant's own retention (`maxAgeHours`)
 * and TTL policy (`ttlSeconds`) for tenant-scoped families. They become extra selections of the
 * same plan, placed before the family-wide ones: the step script judges each key by the first rule
 * it matches, so `tenant:acme:…` keys follow acme's policy and every other tenant the family's —
 * all tenants in one pass per master, not one pass per tenant.
 */
import type { CachectlConfig, Family } from '../config/load.js';
import type { Plan } from './plan.js';
import type { Condition, Selection } from './selection.js';
import { isTenantScoped, tenantFamilyPattern, tenantScope } from './tenant.js';

/** The tenant/family pairs of the policies whose `field` is set, tenants in config order. */
function entries(
  config: CachectlConfig,
  field: 'maxAgeHours' | 'ttlSeconds',
  only?: ReadonlySet<string>,
): Array<{ tenant: string; family: Family; value: number }> {
  const out: Array<{ tenant: string; family: Family; value: number }> = [];
  for (const [tenant, policy] of Object.entries(config.tenantPolicies ?? {})) {
    for (const [name, values] of Object.entries(policy.families)) {
      const family = config.families[name];
      const value = values[field];
      if (!family || value === undefined || !isTenantScoped(family)) continue;
      if (only && !only.has(name)) continue;
      out.push({ tenant, family, value });
    }
  }
  return out;
}

function selection(tenant: string, family: Family, condition: Condition): Selection {
  return {
    kind: 'pattern',
    family: family.name,
    label: `${family.name} (tenant ${tenant})`,
    pattern: tenantFamilyPattern(family, tenantScope(tenant)),
    condition,
  };
}

/**
 * A clear-old plan with each tenant's own retention first. Not with `--hours` (it overrides every
 * age), and only for families the plan covers.
 */
export function withTenantRetention(config: CachectlConfig, plan: Plan, options: { hoursOverride?: boolean; now?: number; tenant?: string } = {}): Plan {
  if (options.hoursOverride) return plan;
  const covered = new Set(plan.selections.flatMap((s) => (s.family !== undefined ? [s.family] : [])));
  const now = options.now ?? Date.now();
  const extra = entries(config, 'maxAgeHours', covered)
    .filter((e) => options.tenant === undefined || e.tenant === options.tenant)
    .map(({ tenant, family, value }) =>
      selection(
        tenant,
        family,
        family.ageField ? { mode: 'field', field: family.ageField, maxAgeMs: value * 3_600_000, now } : { mode: 'idle', seconds: value * 3600 },
      ),
    );
  return merge(plan, extra);
}

/** A TTL plan with each tenant's own TTL policy first (for the families the plan covers: they have a family-wide one). */
export function withTenantTtl(config: CachectlConfig, plan: Plan, options: { tenant?: string } = {}): Plan {
  const first = plan.selections.find((s) => s.kind === 'pattern' && s.condition?.mode === 'ttl');
  const template = first?.kind === 'pattern' && first.condition?.mode === 'ttl' ? first.condition : undefined;
  const apply = template?.apply ?? 'missing';
  const jitter = template?.jitter ?? 0;
  const only = new Set(plan.selections.flatMap((s) => (s.family !== undefined ? [s.family] : [])));
  const extra = entries(config, 'ttlSeconds')
    .filter((e) => (options.tenant === undefined || e.tenant === options.tenant) && only.has(e.family.name))
    .map(({ tenant, family, value }) => selection(tenant, family, { mode: 'ttl', apply, ttlMs: value * 1000, jitter }));
  return merge(plan, extra);
}

function merge(plan: Plan, extra: Selection[]): Plan {
  if (extra.length === 0) return plan;
  const selections = [...extra, ...plan.selections];
  const idle = extra.filter((s) => s.kind === 'pattern' && s.condition?.mode === 'idle').map((s) => s.family!);
  return {
    ...plan,
    selections,
    labels: [...new Set(selections.map((s) => s.label))],
    idleFamilies: [...new Set([...plan.idleFamilies, ...idle])],
  };
}

/** `convMapping retention 48 h, TTL 3600 s; waMapping TTL 600 s` — a tenant's own policy in words. */
export function describeTenantPolicy(policy: Record<string, { maxAgeHours?: number; ttlSeconds?: number }>): string {
  return Object.entries(policy)
    .map(([family, v]) => {
      const parts = [v.maxAgeHours !== undefined ? `retention ${v.maxAgeHours} h` : '', v.ttlSeconds !== undefined ? `TTL ${v.ttlSeconds} s` : ''];
      return `${family} ${parts.filter(Boolean).join(', ')}`;
    })
    .join('; ');
}
