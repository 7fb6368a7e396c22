/**
 * `ttl apply`: give the keys of every family with a TTL policy (`ttlSeconds`) that policy — keys
 * without a TTL (the default) and, opt-in, keys whose TTL is above it — in bounded server-side
 * steps through the keyspace engine, on every master. Whether a key qualifies is decided again by
 * the step script when it sets the TTL (PTTL and PEXPIRE in one script call), so a key given a
 * TTL or rewritten meanwhile is judged on what it is then. Nothing is deleted; no value crosses
 * the network. Runs the safety lifecycle: assess (size), confirm, preflight (PTTL / PEXPIRE
 * allowed by the ACL), execute, audit.
 */
import type { CachectlConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { coveredMasters, readyMasters } from '../../redis/topology.js';
import { literalPrefix } from '../glob.js';
import type { ExecuteOptions } from '../keyspace/execute.js';
import type { RunSummary } from '../keyspace/summary.js';
import { checkAcl, probeKey, type AclProbe } from '../safety/acl.js';
import type { Operation, Outcome } from '../safety/lifecycle.js';
import { withTenantTtl } from '../tenant-policies.js';
import { ttlPlan, type TtlPolicyOptions } from '../ttl/plan.js';
import { keyspaceOperation, type KeyspaceSpec } from './keyspace.js';
import { runOperation, type ClearOptions, type OperationContext } from './run.js';

export interface TtlApplyOptions extends TtlPolicyOptions, Omit<ClearOptions, 'backup' | 'scanTenants'> {}

/** Per family: the policy and what the run did. */
export interface TtlFamilyResult {
  family: string;
  ttlSeconds: number;
  /** Keys given the policy TTL (dry run: that would be). */
  applied: number;
  /** With `cap`: keys whose TTL was within the policy. Without `cap` 0: keys that have a TTL are passed over uncounted. */
  kept: number;
}

/** A `ttl apply` run: the engine's summary (`deleted` counts keys given a TTL; nothing is deleted) and per family. */
export interface TtlApplySummary extends RunSummary {
  /** Keys given the policy TTL (dry run: that would be). */
  applied: number;
  apply: 'missing' | 'above' | 'both';
  jitter: number;
  families: TtlFamilyResult[];
}

/** The plan and prompt of a `ttl apply` run (no I/O). */
export function ttlApplySpec(config: CachectlConfig, options: TtlPolicyOptions = {}): KeyspaceSpec {
  const planned = withTenantTtl(config, ttlPlan(config, options), options.tenant !== undefined ? { tenant: options.tenant } : {});
  const n = planned.selections.length;
  const what = options.cap
    ? options.missing === false
      ? 'lower TTLs above the policy'
      : 'set or lower TTLs to the policy'
    : 'set the policy TTL on keys without one';
  return {
    command: 'ttl apply',
    describe: `${what} in ${n} ${n === 1 ? 'family' : 'families'}${options.tenant ? ` of tenant ${options.tenant}` : ''}`,
    plan: planned,
  };
}

/** The lifecycle operation of a `ttl apply` run. */
export function ttlApplyOperation(
  connection: RedisConnection,
  config: CachectlConfig,
  spec: KeyspaceSpec,
  engine: ExecuteOptions,
  options: TtlPolicyOptions = {},
): Operation<TtlApplySummary> {
  const base = keyspaceOperation(connection, config, spec, engine);
  const apply = options.cap ? (options.missing === false ? 'above' : 'both') : 'missing';
  const finish = (summary: RunSummary): TtlApplySummary => withFamilies(summary, config, apply, options.jitter ?? 0);
  return {
    ...base,
    preflight: async () => {
      await readyMasters(connection);
      coveredMasters(connection);
      await checkAcl(connection, ttlProbes(spec));
    },
    execute: async (io) => finish(await base.execute(io)),
    auditResult: (summary) => ({ ...base.auditResult(summary), applied: summary.applied, apply: summary.apply, jitter: summary.jitter }),
  };
}

/** Run `ttl apply` through the lifecycle. */
export async function ttlApply(ctx: OperationContext, options: TtlApplyOptions = {}): Promise<Outcome<TtlApplySummary>> {
  if ((options as { backup?: unknown }).backup !== undefined) throw new UsageError('ttl apply deletes nothing, so there is nothing to back up');
  const spec = ttlApplySpec(ctx.config, options);
  return runOperation(ctx, (engine) => ttlApplyOperation(ctx.connection, ctx.config, spec, engine, options), options);
}

/** The summary with the per-family view (also for a partial summary). */
export function withFamilies(summary: RunSummary, config: CachectlConfig, apply: TtlApplySummary['apply'], jitter: number): TtlApplySummary {
  const families: TtlFamilyResult[] = summary.byTarget
    .filter((t) => t.family !== undefined)
    .map((t) => ({
      family: t.family!,
      ttlSeconds: config.families[t.family!]?.ttlSeconds ?? 0,
      applied: summary.dryRun ? t.matched : t.deleted,
      kept: t.kept ?? 0,
    }));
  return Object.assign(summary, { applied: summary.dryRun ? summary.matched : summary.deleted, apply, jitter, families });
}

/** The commands the run sends, on a key of each family. */
function ttlProbes(spec: KeyspaceSpec): AclProbe[] {
  const probes: AclProbe[] = [{ harmless: ['SCAN', '0', 'MATCH', probeKey('cachectl'), 'COUNT', '1'], what: 'the keyspace pass' }];
  for (const selection of spec.plan.selections) {
    if (selection.kind !== 'pattern') continue;
    const key = probeKey(literalPrefix(selection.pattern));
    probes.push({ harmless: ['PTTL', key], what: `the keys of ${selection.label}` });
    probes.push({ harmless: ['PEXPIRE', key, '1000'], what: `the keys of ${selection.label}` });
  }
  return probes;
}
