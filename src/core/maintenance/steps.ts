/**
 * The maintenance policy as steps: clear-old (every family in one pass), the TTL policy (keys
 * without a TTL get their family's), clean finished queue
 * jobs, trim queue events streams, record a stats snapshot. Each step is independent, so one that fails leaves
 * the others' work done and the record says which.
 */
import { PartialError } from '../../errors.js';
import { executePlan } from '../keyspace/execute.js';
import type { RunSummary } from '../keyspace/summary.js';
import { clearOldSpec } from '../operations/clear-old.js';
import type { Plan } from '../plan.js';
import { collectStats } from '../stats/collect.js';
import type { StatsResult } from '../stats/types.js';
import { queueSteps } from './queue-steps.js';
import { ttlPolicyStep } from './ttl-step.js';
import type { MaintenanceStep, StepContext } from './types.js';

export interface StepTuning {
  /** Ceiling on deletions per second for the clear-old step (protects a busy server). */
  rate?: number;
}

/** The clear-old plan of a maintenance run: every family, `--hours` overriding their own ages. */
export function maintenancePlan(ctx: Pick<StepContext, 'config' | 'hours' | 'hoursOverride'>): Plan {
  return clearOldSpec(ctx.config, ctx.hoursOverride ? { hours: ctx.hours } : {}).plan;
}

/**
 * The `clear-old` step: every family's entries older than its age (`--hours` > family.maxAgeHours
 * > maintenance.hours), in one pass per master, the age re-checked on the server at delete time.
 */
export function clearOldStep(tuning: StepTuning = {}): MaintenanceStep {
  return {
    name: 'clear-old',
    run: async (ctx) => {
      let summary: RunSummary;
      try {
        summary = await executePlan(ctx.connection, ctx.config, 'maintenance clear-old', maintenancePlan(ctx), {
          dryRun: ctx.dryRun,
          signal: ctx.signal,
          ...(tuning.rate ? { rate: tuning.rate } : {}),
        });
      } catch (error) {
        if (error instanceof PartialError)
          throw new PartialError(error.message, { removed: { families: perFamily(error.partial as RunSummary) } }, { cause: error });
        throw error;
      }
      const errors = [...(summary.errors ?? [])];
      if (summary.interrupted) errors.push('interrupted');
      if (summary.failed > 0) errors.push(`${summary.failed} key(s) could not be deleted`);
      const verb = ctx.dryRun ? 'would be deleted' : 'deleted';
      ctx.progress(
        `${summary.dryRun ? summary.matched : summary.deleted} of ${summary.matched} matching key(s) past their age ${verb}, ${summary.kept ?? 0} kept`,
      );
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
  return [clearOldStep(tuning), ttlPolicyStep(tuning), ...queueSteps(), statsSnapshotStep()];
}
