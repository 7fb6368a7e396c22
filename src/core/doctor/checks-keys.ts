/**
 * Checks about the cache content and its upkeep: families that should expire but hold keys
 * without a TTL, and whether scheduled maintenance actually ran.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { StatsResult } from '../stats/types.js';
import { describeTenantPolicy } from '../tenant-policies.js';
import { fromFindings, verdict } from './check.js';
import type { CheckFinding, DoctorCheck } from './types.js';

/** A run with no end this long after it started probably died without recording its end. */
const STUCK_RUN_MS = 60 * 60_000;

export function ttlCoverageCheck(stats: StatsResult, config: CachectlConfig): DoctorCheck {
  const limit = config.doctor.noTtlFailRatio;
  const approx = stats.sampling.method === 'exact' ? '' : '~';
  const findings: CheckFinding[] = stats.families
    .filter((f) => f.ttlSeconds !== null)
    .map((f) => {
      const text = `${approx}${f.withoutTtl} of ${approx}${f.keys} keys without TTL (${(f.withoutTtlShare * 100).toFixed(1)}%), expected ${f.ttlSeconds}s`;
      if (f.keys === 0 || f.withoutTtl === 0) return { subject: f.name, status: 'pass', message: f.keys === 0 ? 'no keys' : `every key has a TTL` };
      return { subject: f.name, status: f.withoutTtlShare >= limit ? 'fail' : 'warn', message: text };
    });
  const how = stats.sampling.method === 'exact' ? 'every key checked' : `estimated from ${stats.sampling.inspected} sampled keys; --exact checks every key`;
  return fromFindings('ttl-coverage', findings, {
    pass: `every family with ttlSeconds has TTLs on its keys (${how})`,
    skip: 'no family sets ttlSeconds',
    hint: `the code that writes these keys forgets the TTL (SET without EX); fix the writer, then give the strays their TTL with "cachectl ttl apply" (maintenance does it nightly unless maintenance.ttlPolicy is false) (${how})`,
  });
}

export function maintenanceCheck(stats: StatsResult, now: Date): DoctorCheck {
  const m = stats.maintenance;
  if (!m)
    return verdict('maintenance', 'warn', 'the maintenance run record could not be read', 'check that the ACL allows XREVRANGE on cachectl:maintenance:runs');
  if (m.scheduleError) {
    return verdict(
      'maintenance',
      'fail',
      `maintenance.schedule "${m.schedule}" (${m.timezone}) is invalid: ${m.scheduleError}`,
      'fix maintenance.schedule / maintenance.timezone in the config file',
    );
  }
  const last = m.lastRun;
  if (!last) {
    return verdict(
      'maintenance',
      'warn',
      `no maintenance run recorded (schedule ${m.schedule} ${m.timezone})`,
      'schedule "cachectl maintenance" (e.g. PM2 cron_restart with autorestart: false, see "cachectl schedule"); ignore if you do not use it',
    );
  }
  const lastText = `last run ${last.startedAt} (${last.status}${last.errors.length > 0 ? `: ${last.errors[0]}` : ''})`;
  if (m.overdue) {
    const since = m.lastSuccess ? `last success ${m.lastSuccess.startedAt}` : 'no successful run recorded';
    return verdict(
      'maintenance',
      'fail',
      `overdue: no successful run since ${m.dueSince} (${since}; ${lastText})`,
      'check the scheduler (pm2 status / pm2 logs for the maintenance app) and run "cachectl maintenance" by hand to see the error',
    );
  }
  if (last.status === 'running' && now.getTime() - Date.parse(last.startedAt) > STUCK_RUN_MS) {
    return verdict(
      'maintenance',
      'warn',
      `a run started ${last.startedAt} never recorded its end`,
      'it may have been killed (kill_timeout, OOM); check its logs',
    );
  }
  if (last.status === 'failed' || last.status === 'partial') {
    return verdict('maintenance', 'warn', `${lastText}; next due ${m.nextRunAt}`, 'see the maintenance log for the error; the next scheduled run retries');
  }
  return verdict('maintenance', 'pass', `${lastText}, removed ${last.removed}; next due ${m.nextRunAt}`);
}

/**
 * Tenant namespaces (`tenant:<id>:`) found in the keyspace that `tenants` does not list: an
 * invalidation of a tenant-scoped family enumerates the listed tenants, so it misses them (unless
 * the family sets `scanTenants`).
 */
export function tenantsCheck(stats: StatsResult, config: CachectlConfig): DoctorCheck {
  const scoped = Object.values(config.families).filter((f) => f.parsed.placeholders.includes('tenant'));
  if (scoped.length === 0 || !stats.tenants) return verdict('tenants', 'skip', 'no family has a {tenant} placeholder');
  const listed = new Set(['default', ...config.tenants]);
  const covered = scoped.every((f) => f.scanTenants);
  const approx = stats.sampling.method === 'exact' ? '' : '~';
  // Tenants with their own policy are shown as such (pass), so the report says who follows what.
  const own: CheckFinding[] = stats.tenants.tenants
    .filter((t) => t.policy)
    .map((t) => ({
      subject: `tenant:${t.tenant}`,
      status: 'pass' as const,
      message: `own policy: ${describeTenantPolicy(t.policy!)}`,
    }));
  const unlisted: CheckFinding[] = stats.tenants.tenants
    .filter((t) => !listed.has(t.tenant))
    .map((t) => ({
      subject: `tenant:${t.tenant}`,
      status: covered ? ('pass' as const) : ('warn' as const),
      message: `${approx}${t.keys} key(s) in a tenant namespace the config does not list${covered ? ' (covered: every tenant family sets scanTenants)' : ''}`,
    }));
  const findings = [...unlisted, ...own];
  return fromFindings('tenants', findings, {
    pass: `every tenant namespace seen is listed in tenants (${config.tenants.length} listed)`,
    hint: `add the tenant to "tenants" in the config, or set "scanTenants": true on ${scoped
      .filter((f) => !f.scanTenants)
      .map((f) => f.name)
      .join(', ')} so invalidations also reach unlisted tenants (one shared SCAN pass)`,
  });
}
