/**
 * `clear-all --queue` as one lifecycle operation (loaded only when asked for: it needs BullMQ).
 */
import { formatCount } from '../stats/format.js';
import type { CachectlConfig } from '../../config/load.js';
import { PartialError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import type { ExecuteOptions } from '../keyspace/execute.js';
import { clearQueuesAfterCaches, planQueues, queueChanges, type ClearQueuesOptions, type ClearQueuesResult, type QueuePlan } from '../queues/clear-all.js';
import { assertQueues, queueProbes } from '../queues/operation.js';
import { checkAcl } from '../safety/acl.js';
import type { Operation } from '../safety/lifecycle.js';
import { checkDistinct, checkNewFile } from '../safety/preflight.js';
import type { ClearAllResult } from './clear-all.js';
import { keyspaceOperation, type KeyspaceSpec } from './keyspace.js';

/**
 * Clear-all as one lifecycle operation; with `queues`, once the families are cleared without
 * failure, every queue is cleaned and drained (finished jobs past retention removed, waiting and
 * delayed jobs exported then removed, active jobs never touched). Everything both halves need is
 * checked before the first delete: the queues' backup files (creatable, no two alike) and the
 * ACL of both; a failure of the queue half after caches were deleted is a `PartialError`.
 */
export function clearAllOperation(
  connection: RedisConnection,
  config: CachectlConfig,
  spec: KeyspaceSpec,
  options: ExecuteOptions & { backup?: boolean; queues: ClearQueuesOptions },
): Operation<ClearAllResult> {
  const { queues: queueOptions, ...engine } = options;
  const caches = keyspaceOperation(connection, config, spec, engine);
  let planned: QueuePlan | undefined;
  const queuePlan = async () => (planned ??= await planQueues(connection, config, queueOptions));
  return {
    ...caches,
    describe: `${spec.describe}, then clean and drain every queue (active jobs untouched)`,
    assess: async (need) => {
      const assessment = await caches.assess(need);
      const preview = await clearQueuesAfterCaches(connection, config, { ...queueOptions, dryRun: true }, await queuePlan());
      const t = preview.totals;
      assessment.reasons.push(
        `then in ${preview.queues.length} queue(s) clean ${formatCount(t.cleaned)} finished job(s) past retention and back up then drain ${formatCount(t.drained)} waiting/delayed job(s)`,
      );
      return { ...assessment, confirm: true };
    },
    preflight: async () => {
      await caches.preflight?.();
      const plan = await queuePlan();
      assertQueues(config, plan.refs);
      const files = [...plan.files].map(([owner, file]) => ({ file, owner }));
      checkDistinct(files);
      for (const { file } of files) await checkNewFile(file, { what: 'Queue backup file' });
      await checkAcl(connection, queueProbes(plan.refs));
    },
    execute: async (io) => {
      const summary: ClearAllResult = await caches.execute(io);
      if (summary.interrupted || summary.failed > 0) return summary;
      try {
        summary.queues = await clearQueuesAfterCaches(connection, config, { ...queueOptions, dryRun: io.dryRun }, io.dryRun ? undefined : await queuePlan());
      } catch (error) {
        if (error instanceof PartialError) summary.queues = error.partial as ClearQueuesResult;
        throw new PartialError(`clear-all --queue stopped in the queue part: ${(error as Error).message}`, summary, { cause: error });
      }
      return summary;
    },
    changes: (result) => caches.changes(result) + (result.queues ? queueChanges(result.queues) : 0),
    incomplete: (result) => caches.incomplete(result) || result.queues?.interrupted === true,
    auditResult: (result) => ({
      ...caches.auditResult(result),
      ...(result.queues
        ? {
            queues: {
              totals: result.queues.totals,
              queues: result.queues.queues.length,
              backupDir: result.queues.backupDir,
              interrupted: result.queues.interrupted,
            },
          }
        : {}),
    }),
  };
}
