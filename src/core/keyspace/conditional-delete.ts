/**
 * Conditional deletion (`clear-old`): candidates are found by a client-side SCAN, and the age
 * test is made again by the delete-if script at delete time, atomically per key, so a key read or
 * written after it was selected survives.
 */
import type { Redis } from 'ioredis';
import { UsageError } from '../../errors.js';
import { displayKey } from '../display.js';
import { deleteCommand, isLfuError, nodeFeatures } from './features.js';
import { DELETE_IF, addDeleteIfReply, deleteIfArgs, type BatchResult, type DeleteCondition } from './key-delete.js';
import { runScript } from './lua.js';
import { guarded, passNodes, passSize } from './pattern-delete.js';
import type { KeyspaceRun } from './run.js';

/** How a key's age is judged: idle time, or a timestamp field in the value. */
export type AgeCondition = Exclude<DeleteCondition, { mode: 'all' }>;

/** Called with each candidate batch after selection and before the server decides (tests, tracing). */
export type BeforeDeleteHook = (batch: { node: string; keys: Buffer[] }) => Promise<void> | void;

/** Delete the keys matching `pattern` that pass `condition`, on every master in parallel. */
export async function deleteConditional(
  run: KeyspaceRun,
  pattern: Buffer,
  condition: AgeCondition,
  target: string,
  beforeDelete?: BeforeDeleteHook,
): Promise<{ kept: number }> {
  const masters = passNodes(run);
  const kept = new Array<number>(masters.length).fill(0);
  await Promise.all(
    masters.map((node, i) =>
      guarded(run, node, async () => {
        kept[i] = await nodePass(run, node, pattern, condition, target, await passSize(run, node), beforeDelete);
      }),
    ),
  );
  return { kept: kept.reduce((a, b) => a + b, 0) };
}

async function nodePass(
  run: KeyspaceRun,
  node: Redis,
  pattern: Buffer,
  condition: AgeCondition,
  target: string,
  size: number,
  beforeDelete: BeforeDeleteHook | undefined,
): Promise<number> {
  const name = run.connection.nodeName(node);
  const features = await nodeFeatures(node);
  const action = run.options.dryRun ? 'CHECK' : deleteCommand(features);
  const capture = run.options.capture !== undefined && !run.options.dryRun;
  let kept = 0;
  await run.scanInChunks(node, pattern, target, size, async (batch) => {
    await beforeDelete?.({ node: name, keys: batch });
    let reply: unknown[];
    try {
      reply = await runScript(node, DELETE_IF, features.scriptFlags, [], deleteIfArgs(condition, action, capture, batch));
    } catch (error) {
      run.release(batch.length, 0);
      if (isLfuError(error)) throw lfuError(target);
      throw error;
    }
    const result: BatchResult = { deleted: 0, failed: 0, missing: 0, entries: [] };
    const { kept: young, undated } = addDeleteIfReply(result, reply, capture);
    if (action === 'CHECK') {
      for (let k = 4; k < reply.length; k++) if (run.summary.wantsSample) run.summary.offerSample(displayKey(reply[k] as Buffer));
      run.release(batch.length, 0);
      run.summary.add(name, { matched: result.deleted });
    } else {
      run.release(batch.length, result.deleted);
      await run.deliver(node, result.entries);
      run.summary.add(name, { matched: result.deleted, deleted: result.deleted });
    }
    kept += young + undated;
  });
  run.summary.kept += kept;
  return kept;
}

/** The error for idle-time ageing under an LFU eviction policy. */
export function lfuError(target: string, policy?: string): UsageError {
  return new UsageError(
    `Cannot age "${target}" by idle time: the server's maxmemory-policy${policy ? ` (${policy})` : ''} is LFU, which does not track idle time`,
    { hint: `set "ageField" for this family in the config file (a hash field or JSON property holding a timestamp, e.g. "updatedAt")` },
  );
}
