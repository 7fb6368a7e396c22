// Run hand-made selections through the engine, as the library does for a plan (tests of the
// engine's paths: patterns, exact keys, conditions, guards).
import type { CachectlConfig } from '../../src/config/load.js';
import { executePlan, type ExecuteOptions } from '../../src/core/keyspace/execute.js';
import type { RunSummary } from '../../src/core/keyspace/summary.js';
import type { Plan } from '../../src/core/plan.js';
import type { Selection } from '../../src/core/selection.js';
import type { RedisConnection } from '../../src/redis/connect.js';

/** A plan of exactly these selections. */
export function planOf(selections: Selection[]): Plan {
  return {
    selections,
    labels: [...new Set(selections.map((s) => s.label))],
    skippedFamilies: [],
    idleFamilies: selections.flatMap((s) => (s.kind === 'pattern' && s.condition?.mode === 'idle' ? [s.label] : [])),
    conditional: selections.some((s) => s.kind === 'pattern' && s.condition !== undefined),
  };
}

/** Execute `selections` (no lifecycle: no confirmation, no audit) and return the summary. */
export function executeSelections(
  ctx: { connection: RedisConnection; config: CachectlConfig },
  command: string,
  selections: Selection[],
  options: ExecuteOptions,
): Promise<RunSummary> {
  return executePlan(ctx.connection, ctx.config, command, planOf(selections), options);
}
