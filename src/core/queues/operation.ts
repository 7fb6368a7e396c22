/**
 * Queue actions as lifecycle operations: the jobs a run will touch are counted first (the same call
 * in dry-run mode), confirmation is asked above `safety.confirmAbove` or always for actions that
 * remove unprocessed jobs; the files the run will write must be creatable and must not clash; the
 * ACL must allow BullMQ's scripts on the queue's keys. Only then does anything change.
 */
import { formatCount } from '../stats/format.js';
import type { CachectlConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { KeyGuard } from '../guard.js';
import { checkAcl, UNKNOWN_SHA, type AclProbe } from '../safety/acl.js';
import type { Assessment } from '../safety/assess.js';
import type { Operation } from '../safety/lifecycle.js';
import { checkDistinct, checkNewFile } from '../safety/preflight.js';
import type { QueueRef } from './discovery.js';

export interface QueueActionSpec<R extends object> {
  /** `queues drain`, `clear-all --queue`… */
  command: string;
  /** What will happen, for the prompt, given the number of jobs once counted. */
  describe: (jobs: number | undefined) => string;
  refs: QueueRef[];
  /** How many jobs the run will touch (counted without changing anything). */
  count(): Promise<number>;
  /** Why the action always asks (removes unprocessed jobs, drops a whole queue…), if it does. */
  always?: string;
  /** Files the run will write, each with the queue it belongs to. */
  files?: Array<{ file: string; owner: string }>;
  execute(dryRun: boolean): Promise<R>;
  changes(result: R): number;
  incomplete(result: R): boolean;
  auditResult(result: R): Record<string, unknown>;
}

/** The operation for a queue action on `connection`. */
export function queueOperation<R extends object>(connection: RedisConnection, config: CachectlConfig, spec: QueueActionSpec<R>): Operation<R> {
  let jobs: number | undefined;
  return {
    command: spec.command,
    get describe() {
      return spec.describe(jobs);
    },
    targets: spec.refs.map((r) => r.key),
    assess: async () => assessJobs((jobs = await spec.count()), spec.always, config.safety.confirmAbove),
    preflight: async () => {
      assertQueues(config, spec.refs);
      if (spec.files) {
        checkDistinct(spec.files);
        for (const { file } of spec.files) await checkNewFile(file, { what: 'Export file' });
      }
      await checkAcl(connection, queueProbes(spec.refs));
    },
    execute: ({ dryRun }) => spec.execute(dryRun),
    changes: spec.changes,
    incomplete: spec.incomplete,
    auditResult: spec.auditResult,
  };
}

/** Confirmation for `jobs` jobs: always when `always` (and there is something to do), or above the limit. */
export function assessJobs(jobs: number, always: string | undefined, confirmAbove: number): Assessment {
  const reasons: string[] = [];
  if (always && jobs > 0) reasons.push(always);
  if (jobs > confirmAbove) reasons.push(`${formatCount(jobs)} jobs, more than safety.confirmAbove (${formatCount(confirmAbove)})`);
  return { confirm: reasons.length > 0, requireYes: false, reasons };
}

/** A queue action never reaches into cachectl's own keys (a queue "name" that would). */
export function assertQueues(config: CachectlConfig, refs: readonly QueueRef[]): void {
  const guard = new KeyGuard(config);
  for (const ref of refs) {
    if (guard.protection(Buffer.from(`${ref.key}:`)) === 'own') {
      throw new UsageError(`${ref.key} lies in cachectl's own namespace "${config.namespace}", not a queue`, {
        hint: 'name a BullMQ queue under queues.prefixes',
      });
    }
  }
}

/** BullMQ works through its scripts on the queue's keys: EVALSHA with a key of each queue. */
export function queueProbes(refs: readonly QueueRef[]): AclProbe[] {
  return refs.slice(0, 20).map((ref) => {
    return { harmless: ['EVALSHA', UNKNOWN_SHA, '1', `${ref.key}:wait`], what: `BullMQ's scripts on the keys of ${ref.key}` };
  });
}
