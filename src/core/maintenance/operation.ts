/**
 * A maintenance run as a lifecycle operation: never asks (it is the configured policy), checks its
 * logs and the ACL before taking the lock, takes `dryRun`, and leaves an audit line beside its
 * run record and `maintenance.log` line.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';
import { keyspaceOperation } from '../operations/keyspace.js';
import { checkAppendable } from '../safety/preflight.js';
import type { Operation } from '../safety/lifecycle.js';
import { MAINTENANCE_LOG } from './log.js';
import { runMaintenance, type MaintenanceOptions, type MaintenanceOutcome } from './run.js';
import { archiveOf, maintenancePlan, type StepTuning } from './steps.js';
import { checkArchiveDir } from '../backup/archive.js';
import { ttlApplyOperation, ttlApplySpec } from '../operations/ttl.js';
import { ttlPolicyActive } from './ttl-step.js';

/** The operation; `options.logDir` is where `maintenance.log` goes. */
export function maintenanceOperation(
  connection: RedisConnection,
  config: CachectlConfig,
  options: MaintenanceOptions & { archive?: StepTuning['archive'] },
): Operation<MaintenanceOutcome> {
  const hours = options.hours ?? config.maintenance.hours;
  const clearOld = keyspaceOperation(connection, config, {
    command: 'maintenance',
    describe: 'run the maintenance policy',
    plan: maintenancePlan({ config, hours, hoursOverride: options.hours !== undefined }),
    policy: true,
  });
  return {
    command: 'maintenance',
    describe: 'run the maintenance policy',
    targets: options.steps.map((s) => s.name),
    explicit: true,
    assess: async () => ({ confirm: false, requireYes: false, reasons: [] }),
    preflight: async () => {
      if (options.logDir !== undefined) await checkAppendable(options.logDir, [MAINTENANCE_LOG]);
      if (options.steps.some((s) => s.name === 'clear-old')) await clearOld.preflight?.();
      const archive = archiveOf(config, { ...(options.archive ? { archive: options.archive } : {}) });
      if (archive && options.steps.some((s) => s.name === 'clear-old')) await checkArchiveDir(archive.dir);
      if (options.steps.some((s) => s.name === 'ttl-policy') && ttlPolicyActive(config))
        await ttlApplyOperation(connection, config, ttlApplySpec(config), {}).preflight?.();
    },
    execute: ({ dryRun }) => runMaintenance(connection, config, { ...options, dryRun }),
    changes: removedTotal,
    incomplete: (outcome) => outcome.run.status !== 'ok',
    auditResult: (outcome) => ({
      runId: outcome.run.id,
      status: outcome.run.status,
      removed: outcome.run.removed,
      errors: outcome.run.errors.length,
      recorded: outcome.recorded,
    }),
  };
}

function removedTotal(outcome: MaintenanceOutcome): number {
  const { families, queues } = outcome.run.removed;
  return [...Object.values(families), ...Object.values(queues)].reduce((a, b) => a + b, 0);
}
