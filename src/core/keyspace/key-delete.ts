/**
 * Deleting keys the client holds (exact selections, scanned candidates): single-key UNLINKs
 * pipelined per node in bounded batches, never one multi-key command across slots. With a capture
 * sink the same server step returns DUMP + PTTL of what it deleted (the delete-if script).
 */
import { Cluster, type Redis } from 'ioredis';
import { isAclDenial } from '../../redis/errors.js';
import { deleteCommand, nodeFeatures, type NodeFeatures } from './features.js';
import { int, loadScript, runScript } from './lua.js';
import type { CaptureEntry } from './run.js';

export const DELETE_IF = loadScript('delete-if');

export interface BatchResult {
  deleted: number;
  failed: number;
  /** Keys that no longer existed. */
  missing: number;
  entries: CaptureEntry[];
  /** First per-key error, when some failed. */
  error?: unknown;
}

/**
 * Delete `keys` (all served by `node`) with pipelined single-key UNLINKs, or through the
 * delete-if script in mode "all" when `capture` is set (the DUMP is taken in the same step).
 */
export async function deleteOnNode(node: Redis, keys: Buffer[], options: { capture: boolean }): Promise<BatchResult> {
  const f = await nodeFeatures(node);
  if (options.capture) return captureDelete(node, keys, f);
  const pipeline = node.pipeline();
  const command = deleteCommand(f).toLowerCase() as 'unlink' | 'del';
  for (const key of keys) pipeline[command](key);
  const replies = (await pipeline.exec()) ?? [];
  const result: BatchResult = { deleted: 0, failed: 0, missing: 0, entries: [] };
  for (const [error, value] of replies) {
    if (error) {
      result.failed++;
      result.error ??= error;
    } else if (int(value) === 1) result.deleted++;
    else result.missing++;
  }
  return result;
}

async function captureDelete(node: Redis, keys: Buffer[], features: NodeFeatures): Promise<BatchResult> {
  const result: BatchResult = { deleted: 0, failed: 0, missing: 0, entries: [] };
  try {
    const reply = await runScript(node, DELETE_IF, features.scriptFlags, [], deleteIfArgs({ mode: 'all' }, deleteCommand(features), true, keys));
    addDeleteIfReply(result, reply, true);
  } catch (error) {
    if (isScriptDenied(error)) return transactionDelete(node, keys, features);
    result.failed += keys.length;
    result.error ??= error;
  }
  return result;
}

/** Without scripting (ACL): DUMP, PTTL and UNLINK of each key in one MULTI/EXEC, still atomic per key. */
async function transactionDelete(node: Redis, keys: Buffer[], features: NodeFeatures): Promise<BatchResult> {
  const result: BatchResult = { deleted: 0, failed: 0, missing: 0, entries: [] };
  const command = deleteCommand(features).toLowerCase() as 'unlink' | 'del';
  await Promise.all(
    keys.map(async (key) => {
      try {
        const replies = (await node.multi().dumpBuffer(key).pttl(key)[command](key).exec()) ?? [];
        const [dump, ttl, removed] = replies.map(([error, value]) => {
          if (error) throw error;
          return value;
        });
        if (int(removed) !== 1 || !Buffer.isBuffer(dump)) {
          result.missing++;
          return;
        }
        result.deleted++;
        result.entries.push({ key, ttlMs: Math.max(0, int(ttl)), dump });
      } catch (error) {
        result.failed++;
        result.error ??= error;
      }
    }),
  );
  return result;
}

/** EVALSHA/EVAL denied by the ACL (or scripting unavailable): callers fall back to plain commands. */
export function isScriptDenied(error: unknown): boolean {
  const message = String((error as Error)?.message ?? error);
  // Also a command the script calls being denied: the plain-command path then names it.
  return isAclDenial(message) || /unknown command .?(evalsha|eval)/i.test(message);
}

/** What the delete-if script decides on: existence only, idle time, or a timestamp in the value. */
export type DeleteCondition = { mode: 'all' } | { mode: 'idle'; seconds: number } | { mode: 'field'; field: string; maxAgeMs: number; now: number };

/** ARGV of the delete-if script; `keys` go after the fixed arguments (undeclared, see the script). */
export function deleteIfArgs(
  condition: DeleteCondition,
  action: 'UNLINK' | 'DEL' | 'CHECK',
  capture: boolean,
  keys: Buffer[] = [],
): Array<string | number | Buffer> {
  const head: Array<string | number> =
    condition.mode === 'all'
      ? ['all', 0, 0, '']
      : condition.mode === 'idle'
        ? ['idle', condition.seconds, 0, '']
        : ['field', Math.round(condition.maxAgeMs), Math.round(condition.now), condition.field];
  return [...head, action, capture ? '1' : '0', ...keys];
}

/** Fold a delete-if reply (`{deleted, kept, undated, missing, entries…}`) into `result`. */
export function addDeleteIfReply(result: BatchResult, reply: unknown[], capture: boolean): { kept: number; undated: number } {
  result.deleted += int(reply[0]);
  result.missing += int(reply[3]);
  if (capture) {
    for (let i = 4; i + 2 < reply.length; i += 3) {
      const ttl = int(reply[i + 1]);
      result.entries.push({ key: reply[i] as Buffer, ttlMs: ttl > 0 ? ttl : 0, dump: reply[i + 2] as Buffer });
    }
  }
  return { kept: int(reply[1]), undated: int(reply[2]) };
}

/**
 * Delete exact keys through a Cluster client: one routed command per key (ioredis follows
 * MOVED/ASK), sent concurrently in bounded batches, so no command ever spans slots.
 */
export async function deleteRouted(cluster: Cluster, keys: Buffer[], capture: boolean, features: NodeFeatures): Promise<BatchResult> {
  const result: BatchResult = { deleted: 0, failed: 0, missing: 0, entries: [] };
  const command = deleteCommand(features);
  await Promise.all(
    keys.map(async (key) => {
      try {
        if (capture) {
          const reply = await runScript(cluster, DELETE_IF, features.scriptFlags, [key], deleteIfArgs({ mode: 'all' }, command, true));
          addDeleteIfReply(result, reply, true);
        } else if (int(await cluster.callBuffer(command, key)) === 1) result.deleted++;
        else result.missing++;
      } catch (error) {
        result.failed++;
        result.error ??= error;
      }
    }),
  );
  return result;
}

/** Which of `keys` exist (dry run of an exact selection). Standalone: one pipeline. */
export async function existingKeys(client: Redis | Cluster, keys: Buffer[]): Promise<Buffer[]> {
  if (client instanceof Cluster) {
    const flags = await Promise.all(keys.map((key) => client.exists(key)));
    return keys.filter((_, i) => flags[i] === 1);
  }
  const pipeline = client.pipeline();
  for (const key of keys) pipeline.exists(key);
  const replies = (await pipeline.exec()) ?? [];
  return keys.filter((_, i) => {
    const [error, value] = replies[i] ?? [];
    if (error) throw error;
    return int(value) === 1;
  });
}
