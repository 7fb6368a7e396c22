/**
 * A planned keyspace run as a lifecycle operation: assessed by breadth and estimated size,
 * preflighted (every slot served, the ACL allows the commands on the keys), executed by the engine
 * (exact keys, then one pass per master for every pattern), audited with its counts.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';
import { coveredMasters, readyMasters } from '../../redis/topology.js';
import { literalPrefix } from '../glob.js';
import { KeyGuard } from '../guard.js';
import { executePlan, type ExecuteOptions } from '../keyspace/execute.js';
import type { RunSummary } from '../keyspace/summary.js';
import type { Plan } from '../plan.js';
import { checkAcl, probeKey, type AclProbe } from '../safety/acl.js';
import { assessPlan } from '../safety/assess.js';
import { estimatePlan } from '../safety/estimate.js';
import type { Operation } from '../safety/lifecycle.js';

export interface KeyspaceSpec {
  command: string;
  describe: string;
  plan: Plan;
  /** Age-conditional policy runs (clear-old) are not judged by size. */
  policy?: boolean;
}

/** The operation for `spec`, with the engine options of the run (limit, rate, tenant…). */
export function keyspaceOperation(
  connection: RedisConnection,
  config: CachectlConfig,
  spec: KeyspaceSpec,
  options: ExecuteOptions & { backup?: boolean } = {},
): Operation<RunSummary> {
  const { plan } = spec;
  const guard = new KeyGuard(config, options.tenant !== undefined ? { tenant: options.tenant } : {});
  const patterns = plan.selections.some((s) => s.kind === 'pattern');
  return {
    command: spec.command,
    describe: spec.describe,
    targets: plan.labels,
    assess: async ({ bytes, sized }) => {
      await readyMasters(connection);
      // A master the client lost would make the estimate (and the run) skip its slots.
      if (patterns) coveredMasters(connection);
      const estimate = !sized || (spec.policy && !bytes) ? undefined : await estimatePlan(connection, guard, plan, { bytes });
      return assessPlan(plan, estimate, { confirmAbove: config.safety.confirmAbove, ...(spec.policy ? { policy: true } : {}) });
    },
    preflight: async () => {
      await readyMasters(connection);
      if (patterns) coveredMasters(connection);
      await checkAcl(connection, aclProbes(plan, options.backup === true));
    },
    execute: ({ dryRun, capture }) => executePlan(connection, config, spec.command, plan, { ...options, dryRun, ...(capture ? { capture } : {}) }),
    changes: (summary) => (summary.dryRun ? 0 : summary.deleted),
    incomplete: (summary) => summary.interrupted || summary.failed > 0 || (summary.errors?.length ?? 0) > 0,
    auditResult: (summary) => ({
      scanned: summary.scanned,
      matched: summary.matched,
      deleted: summary.deleted,
      failed: summary.failed,
      skippedQueueKeys: summary.skippedQueueKeys,
      skippedOwnKeys: summary.skippedOwnKeys,
      ...(summary.kept !== undefined ? { kept: summary.kept } : {}),
      nodes: summary.nodes.length,
      durationMs: summary.durationMs,
      interrupted: summary.interrupted,
      limitReached: summary.limitReached,
      ...(summary.errors ? { errors: summary.errors.length } : {}),
    }),
  };
}

/** The commands the run will send, with a key of each selection. */
function aclProbes(plan: Plan, capture: boolean): AclProbe[] {
  const probes: AclProbe[] = [];
  const seen = new Set<string>();
  const add = (command: string[], key: Buffer, what: string) => {
    const id = `${command.join(' ')} ${key.toString('latin1')}`;
    if (seen.has(id)) return;
    seen.add(id);
    probes.push({ harmless: [...command, key], what });
  };
  if (plan.selections.some((s) => s.kind === 'pattern'))
    probes.push({ harmless: ['SCAN', '0', 'MATCH', probeKey('cachectl'), 'COUNT', '1'], what: 'the keyspace pass' });
  for (const selection of plan.selections) {
    const sample = selection.kind === 'exact' ? selection.keys[0] : literalPrefix(selection.pattern);
    if (sample === undefined) continue;
    // One probe key per prefix: a key that does not exist, under the keys the run will touch.
    const key = probeKey(sample);
    const keys = `the keys of ${selection.label}`;
    add(['UNLINK'], key, keys);
    if (capture) {
      add(['DUMP'], key, `${keys} (the backup)`);
      add(['PTTL'], key, `${keys} (the backup)`);
    }
    if (selection.kind === 'pattern' && selection.condition?.mode === 'idle') add(['OBJECT', 'IDLETIME'], key, `${keys} (their age)`);
    if (selection.kind === 'pattern' && selection.condition?.mode === 'field') add(['TYPE'], key, `${keys} (their age)`);
  }
  return probes;
}
