/**
 * The maintenance policy as steps: clear-old per family, clean finished queue jobs, trim queue
 * events streams, record a stats snapshot. Each step is independent, so one that fails leaves
 * the others' work done and the record says which.
 */
import type { CachectlConfig, Family } from '../../config/load.js';
import { PartialError } from '../../errors.js';
import type { RunSummary } from '../keyspace/summary.js';
import { clearOld } from '../operations/clear-old.js';
import { collectStats } from '../stats/collect.js';
import type { StatsResult } from '../stats/types.js';
import { queueSteps } from './queue-steps.js';
import type { MaintenanceStep, StepContext, StepResult } from './types.js';

/** The age threshold for `family` in this run: `--hours` > family.maxAgeHours > maintenance.hours. */
export function familyHours(family: Family, ctx: Pick<StepContext, 'hours' | 'hoursOverride'>): number {
  if (ctx.hoursOverride) return ctx.hours;
  return family.maxAgeHours ?? ctx.hours;
}

export interface StepTuning {
  /** Ceiling on deletions per second for the clear-old steps (protects a busy server). */
  rate?: number;
}

/** One `clear-old:<family>` step per configured family. */
export function clearOldSteps(config: CachectlConfig, tuning: StepTuning = {}): MaintenanceStep[] {
  return Object.values(config.families).map((family) => ({
    name: `clear-old:${family.name}`,
    run: (ctx) => clearOldFamily(family, ctx, tuning),
  }));
}

/** clear-old for one family through the keyspace engine (age re-checked on the server). */
async function clearOldFamily(family: Family, ctx: StepContext, tuning: StepTuning): Promise<StepResult> {
  const hours = familyHours(family, ctx);
  let summary: RunSummary;
  try {
    summary = await clearOld(
      { connection: ctx.connection, config: ctx.config },
      { families: [family.name], hours, signal: ctx.signal, ...(tuning.rate ? { rate: tuning.rate } : {}) },
    );
  } catch (error) {
    if (error instanceof PartialError) {
      const partial = error.partial as RunSummary;
      throw new PartialError(error.message, { removed: { families: { [family.name]: partial.deleted } } }, { cause: error });
    }
    throw error;
  }
  const errors = [...(summary.errors ?? [])];
  if (summary.interrupted) errors.push('interrupted');
  if (summary.failed > 0) errors.push(`${summary.failed} key(s) could not be deleted`);
  ctx.progress(`${summary.deleted} of ${summary.matched} matching key(s) older than ${hours} h deleted, ${summary.kept ?? 0} kept`);
  return { removed: { families: { [family.name]: summary.deleted } }, errors };
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
export function defaultSteps(config: CachectlConfig, tuning: StepTuning = {}): MaintenanceStep[] {
  return [...clearOldSteps(config, tuning), ...queueSteps(), statsSnapshotStep()];
}
