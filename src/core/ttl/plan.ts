/**
 * The TTL policy of the families as a plan: one pattern selection per family with `ttlSeconds`,
 * under a TTL condition (no TTL / TTL above the policy) that the step script decides again on the
 * server when it sets the TTL. Pure: no I/O.
 */
import type { CachectlConfig, Family } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import { getFamily, wholeFamily, type Plan } from '../plan.js';
import type { TtlCondition } from '../selection.js';
import { isTenantScoped, tenantScope } from '../tenant.js';

/** What `ttl apply` (and the maintenance step) sets. */
export interface TtlPolicyOptions {
  /** Keys without a TTL get the policy TTL (default true). */
  missing?: boolean;
  /** Keys whose TTL is above the policy get it lowered to the policy (default false). */
  cap?: boolean;
  /** Shorten each applied TTL by up to this share of it (0..0.5), chosen per key by a hash of its name. */
  jitter?: number;
  /** Only these families (default: every family with `ttlSeconds`). */
  families?: string[];
  /** Only keys under `tenant:<tenant>:` (tenant-scoped families). */
  tenant?: string;
}

/** The families a TTL run covers: the named ones (each must have `ttlSeconds`), else every family with one. */
export function policyFamilies(config: CachectlConfig, names?: readonly string[]): Family[] {
  if (names && names.length > 0) {
    return names.map((name) => {
      const family = getFamily(config, name);
      if (family.ttlSeconds === undefined) {
        throw new UsageError(`Family ${name} has no TTL policy`, { hint: `set "ttlSeconds" for it in the config file (families.${name}.ttlSeconds)` });
      }
      return family;
    });
  }
  const all = Object.values(config.families).filter((f) => f.ttlSeconds !== undefined);
  if (all.length === 0) {
    throw new UsageError('No family has a TTL policy', {
      hint: 'set "ttlSeconds" on the families whose keys should expire (see cachectl.config.example.json)',
    });
  }
  return all;
}

/** The plan of a TTL run (no I/O). */
export function ttlPlan(config: CachectlConfig, options: TtlPolicyOptions = {}): Plan {
  const missing = options.missing !== false;
  const cap = options.cap === true;
  if (!missing && !cap) throw new UsageError('Nothing to apply: --no-missing without --cap', { hint: 'apply to keys without a TTL (default), --cap, or both' });
  const jitter = options.jitter ?? 0;
  if (!(Number.isFinite(jitter) && jitter >= 0 && jitter <= 0.5)) {
    throw new UsageError(`Invalid jitter: ${jitter}`, { hint: 'give a share between 0% and 50%, e.g. --jitter 10%' });
  }
  const scope = options.tenant !== undefined ? tenantScope(options.tenant) : undefined;
  const out: Plan = { selections: [], labels: [], skippedFamilies: [], idleFamilies: [], conditional: true };
  const apply = missing && cap ? 'both' : cap ? 'above' : 'missing';
  for (const family of policyFamilies(config, options.families)) {
    if (scope && !isTenantScoped(family)) {
      out.skippedFamilies.push(family.name);
      continue;
    }
    const condition: TtlCondition = { mode: 'ttl', apply, ttlMs: family.ttlSeconds! * 1000, jitter };
    out.selections.push(wholeFamily(family, scope, condition));
  }
  out.labels = out.selections.map((s) => s.label);
  return out;
}
