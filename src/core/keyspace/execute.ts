/**
 * Running a plan through the engine: exact keys first (no scan), then every pattern in one pass
 * per master, under one guard, one budget and one summary.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';
import { idlePolicy } from '../../redis/features.js';
import { readyMasters } from '../../redis/topology.js';
import { KeyGuard } from '../guard.js';
import type { Plan } from '../plan.js';
import { ALWAYS, type Selection } from '../selection.js';
import { actOnGivenKeys, type GivenKey } from './given-keys.js';
import { keyspacePass, lfuError } from './pass.js';
import type { PassRule } from './rules.js';
import { KeyspaceRun, type RunOptions } from './run.js';
import type { RunSummary } from './summary.js';

/** Options of a keyspace run: the engine's, plus the tenant restriction the guard enforces. */
export interface ExecuteOptions extends RunOptions {
  /** Only keys under `tenant:<tenant>:` are ever touched (the plan should be made with the same tenant). */
  tenant?: string;
}

/** Run `plan` (dry run: count it) and return the summary; a failure part-way throws `PartialError`. */
export async function executePlan(
  connection: RedisConnection,
  config: CachectlConfig,
  command: string,
  plan: Plan,
  options: ExecuteOptions = {},
): Promise<RunSummary> {
  await readyMasters(connection);
  if (plan.idleFamilies.length > 0) await assertIdleTracked(connection, plan.idleFamilies);
  const guard = new KeyGuard(config, options.tenant !== undefined ? { tenant: options.tenant } : {});
  const run = newRun(connection, config, command, guard, options);
  if (options.tenant !== undefined) run.summary.tenant = { id: options.tenant, skippedFamilies: plan.skippedFamilies };
  await runSelections(run, plan.selections, command);
  return run.finish(plan.labels, plan.conditional);
}

/** A run of the engine under `guard`, with the configured batch sizes (and `count` if given). */
export function newRun(
  connection: RedisConnection,
  config: CachectlConfig,
  command: string,
  guard: KeyGuard,
  options: RunOptions = {},
  count = config.scan.count,
): KeyspaceRun {
  return new KeyspaceRun({ connection, command, guard, batch: config.scan.batch, serverBatch: config.scan.serverBatch, count }, options);
}

/** Exact selections (given keys), then one pass for all pattern selections. */
export async function runSelections(run: KeyspaceRun, selections: readonly Selection[], label: string): Promise<void> {
  const exact: GivenKey[] = [];
  const rules: PassRule[] = [];
  const exactTargets = new Set<number>();
  for (const selection of selections) {
    const kind = selection.kind === 'exact' ? 'exact' : selection.condition ? 'conditional' : 'pattern';
    const target = run.addTarget({ label: selection.label, kind, ...(selection.family !== undefined ? { family: selection.family } : {}) });
    if (selection.kind === 'exact') {
      exactTargets.add(target);
      const rule: PassRule = { target, pattern: Buffer.alloc(0), condition: ALWAYS };
      for (const key of selection.keys) exact.push({ key, rule });
    } else rules.push({ target, pattern: selection.pattern, condition: selection.condition ?? ALWAYS });
  }
  if (exact.length > 0) {
    const began = performance.now();
    await actOnGivenKeys(run, exact);
    run.timeTargets(exactTargets, performance.now() - began);
  }
  if (rules.length > 0 && !run.shouldStop()) await keyspacePass(run, rules, passLabel(run, rules) ?? label);
}

/** "context", "userState, convMapping", "userState, convMapping +3": what a pass works on, for progress. */
function passLabel(run: KeyspaceRun, rules: PassRule[]): string | undefined {
  const labels = [...new Set(rules.map((r) => run.summary.byTarget[r.target]!.target))];
  if (labels.length === 0) return undefined;
  return labels.length <= 2 ? labels.join(', ') : `${labels.slice(0, 2).join(', ')} +${labels.length - 2}`;
}

/** Idle-time ageing is impossible under an LFU policy: fail before touching anything. */
async function assertIdleTracked(connection: RedisConnection, families: string[]): Promise<void> {
  const policies = await Promise.all(connection.masters().map((node) => idlePolicy(node)));
  const lfu = policies.find((p) => p.tracked === false);
  if (lfu) throw lfuError(families.join(', '), lfu.policy);
}
