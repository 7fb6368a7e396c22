/**
 * The maintenance policy as steps: clear-old (every family in one pass), the TTL policy (keys
 * without a TTL get their family's), clean finished queue
 * jobs, trim queue events streams, record a stats snapshot. Each step is independent, so one that fails leaves
 * the others' work done and the record says which.
 */
import path from 'node:path';
import { PartialError } from '../../errors.js';
import { archiveFile, pruneArchive } from '../backup/archive.js';
import { openBackupSink } from '../backup/sink.js';
import { executePlan } from '../keyspace/execute.js';
import type { RunSummary } from '../keyspace/summary.js';
import { clearOldSpec } from '../operations/clear-old.js';
import type { Plan } from '../plan.js';
import { collectStats } from '../stats/collect.js';
import type { StatsResult } from '../stats/types.js';
import { queueSteps } from './queue-steps.js';
import { withTenantRetention } from '../tenant-policies.js';
import { ttlPolicyStep } from './ttl-step.js';
import type { MaintenanceStep, StepContext } from './types.js';

export interface StepTuning {
  /** Ceiling on deletions per second for the clear-old step (protects a busy server). */
  rate?: number;
  /** Keep what clear-old deletes in this folder (absolute); default `config.maintenance.archive`. */
  archive?: { dir: string; keepDays?: number | undefined };
  /** Only keys under `tenant:<tenant>:`: the tenant-scoped steps (clear-old, ttl-policy) for that tenant. */
  tenant?: string;
}

/** The clear-old plan of a maintenance run: every family, `--hours` overriding their own ages. */
export function maintenancePlan(ctx: Pick<StepContext, 'config' | 'hours' | 'hoursOverride'>, tenant?: string): Plan {
  const scope = tenant !== undefined ? { tenant } : {};
  // Each tenant's own retention (tenantPolicies) in the same pass, unless --hours overrides every age.
  return withTenantRetention(ctx.config, clearOldSpec(ctx.config, { ...(ctx.hoursOverride ? { hours: ctx.hours } : {}), ...scope }).plan, {
    hoursOverride: ctx.hoursOverride,
    ...scope,
  });
}

/** The archive of a run: the tuning's, else the configured one (a config file's is next to that file). */
export function archiveOf(config: StepContext['config'], tuning: StepTuning = {}): StepTuning['archive'] {
  if (tuning.archive) return tuning.archive;
  const configured = config.maintenance.archive;
  return configured ? { dir: path.resolve(configured.dir), keepDays: configured.keepDays } : undefined;
}

/**
 * The `clear-old` step: every family's entries older than its age (`--hours` > family.maxAgeHours
 * > maintenance.hours), in one pass per master, the age re-checked on the server at delete time.
 * With an archive, what it deletes goes to a new `maintenance-<timestamp>.cbk.gz` there (kept
 * when something was deleted), and archive files older than `keepDays` are removed.
 */
export function clearOldStep(tuning: StepTuning = {}): MaintenanceStep {
  return {
    name: 'clear-old',
    run: async (ctx) => {
      const archive = archiveOf(ctx.config, tuning);
      const plan = maintenancePlan(ctx, tuning.tenant);
      const file = archive && !ctx.dryRun ? archiveFile(archive.dir, 'maintenance') : undefined;
      const sink = file ? await openBackupSink(file, { connection: ctx.connection, command: 'maintenance', selection: plan.labels }) : undefined;
      let summary: RunSummary;
      try {
        summary = await executePlan(ctx.connection, ctx.config, 'maintenance clear-old', plan, {
          dryRun: ctx.dryRun,
          signal: ctx.signal,
          ...(tuning.rate ? { rate: tuning.rate } : {}),
          ...(tuning.tenant !== undefined ? { tenant: tuning.tenant } : {}),
          ...(sink ? { capture: sink.capture } : {}),
        });
      } catch (error) {
        if (error instanceof PartialError) {
          const partial = error.partial as RunSummary;
          // What was deleted before the failure is in the archive: keep it.
          if (sink && partial.deleted > 0) ctx.progress(`archive: ${(await sink.close()).keys} key(s) in ${file}`);
          else await sink?.abort();
          throw new PartialError(error.message, { removed: { families: perFamily(partial) } }, { cause: error });
        }
        await sink?.abort();
        throw error;
      }
      const errors = [...(summary.errors ?? [])];
      if (summary.interrupted) errors.push('interrupted');
      if (summary.failed > 0) errors.push(`${summary.failed} key(s) could not be deleted`);
      const verb = ctx.dryRun ? 'would be deleted' : 'deleted';
      ctx.progress(
        `${summary.dryRun ? summary.matched : summary.deleted} of ${summary.matched} matching key(s) past their age ${verb}, ${summary.kept ?? 0} kept`,
      );
      if (sink) {
        if (summary.deleted > 0)
          ctx.progress(`archive: ${(await sink.close()).keys} key(s) in ${file} (restore with: cachectl restore ${JSON.stringify(file)})`);
        else {
          await sink.abort();
          ctx.progress('archive: nothing deleted, no file written');
        }
      }
      if (archive?.keepDays !== undefined && !ctx.dryRun) {
        const removed = await pruneArchive(archive.dir, archive.keepDays);
        if (removed.length > 0) ctx.progress(`archive: ${removed.length} file(s) older than ${archive.keepDays} day(s) removed`);
      }
      return { removed: { families: perFamily(summary) }, errors };
    },
  };
}

/** Keys removed per family (dry run: that would be removed). */
function perFamily(summary: RunSummary): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of summary.byTarget) if (t.family) out[t.family] = (out[t.family] ?? 0) + (summary.dryRun ? t.matched : t.deleted);
  return out;
}

/** The stats snapshot step: keeps a compact summary (after the cleanup) in the run record. */
export function statsSnapshotStep(): MaintenanceStep {
  return {
    name: 'stats-snapshot',
    run: async ({ connection, config, signal }) => ({ snapshot: compactStats(await collectStats(connection, config, { signal })) }),
  };
}

/** The few figures worth keeping per run (the full `stats` result is far too big for a stream entry). */
export function compactStats(stats: StatsResult): Record<string, unknown> {
  return {
    timestamp: stats.timestamp,
    method: stats.sampling.method,
    totalKeys: stats.keyspace.keys,
    families: Object.fromEntries(stats.families.map((f) => [f.name, f.keys])),
    queueKeys: stats.queueKeys.keys,
    unknownKeys: stats.unknown.keys,
    memoryUsedBytes: stats.memory.usedBytes,
    queueJobs: stats.summary.queue,
    ...(stats.warnings.length ? { warnings: stats.warnings.slice(0, 5) } : {}),
  };
}

/** Every step of a maintenance run, in order. */
export function defaultSteps(tuning: StepTuning = {}): MaintenanceStep[] {
  // A tenant-restricted run: only the steps that can be restricted to the tenant's keys.
  if (tuning.tenant !== undefined) return [clearOldStep(tuning), ttlPolicyStep(tuning)];
  return [clearOldStep(tuning), ttlPolicyStep(tuning), ...queueSteps(), statsSnapshotStep()];
}
