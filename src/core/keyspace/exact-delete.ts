/**
 * Exact selections (every placeholder bound, tenants enumerated): the keys are known, so they are
 * deleted directly, without scanning — a handful of single-key UNLINKs whatever the keyspace size.
 */
import { Cluster, type Redis } from 'ioredis';
import { nodeFeatures } from './features.js';
import { deleteOnNode, deleteRouted, type BatchResult } from './key-delete.js';
import type { KeyspaceRun } from './run.js';
import { masterOfKey } from './slot.js';

/** Delete `keys` (queue keys excluded), in bounded batches, under the run's limit and rate. */
export async function deleteExact(run: KeyspaceRun, keys: Buffer[], target: string): Promise<void> {
  const { client } = run.connection;
  const wanted = run.withoutQueueKeys(keys);
  const capture = run.options.capture !== undefined;
  const first = run.connection.masters()[0]!;
  for (let i = 0; i < wanted.length;) {
    const granted = await run.acquire(Math.min(run.batch, wanted.length - i));
    if (granted === 0) return;
    const chunk = wanted.slice(i, i + granted);
    i += granted;
    let deleted = 0;
    try {
      if (client instanceof Cluster) {
        const features = await nodeFeatures(first);
        for (const [node, group] of groupByMaster(client, chunk)) {
          deleted += await settle(run, client, node, group.length, await deleteRouted(client, group, capture, features));
        }
      } else {
        const result = await deleteOnNode(first, chunk, { capture });
        deleted += await settle(run, first, run.connection.nodeName(first), chunk.length, result);
      }
    } catch (error) {
      run.release(granted, deleted);
      run.fail(run.connection.nodeName(first), error);
      return;
    }
    run.release(granted, deleted);
    run.progress(target);
  }
}

/** Account for one batch; returns how many keys it deleted. Per-key failures make the run partial. */
async function settle(run: KeyspaceRun, where: Redis | Cluster, node: string, asked: number, result: BatchResult): Promise<number> {
  await run.deliver(where, result.entries);
  run.summary.add(node, { matched: asked - result.missing, deleted: result.deleted, failed: result.failed });
  if (result.failed > 0) run.fail(node, result.error);
  return result.deleted;
}

function groupByMaster(cluster: Cluster, keys: Buffer[]): Map<string, Buffer[]> {
  const groups = new Map<string, Buffer[]>();
  for (const key of keys) {
    const node = masterOfKey(cluster, key) ?? 'cluster';
    const group = groups.get(node);
    if (group) group.push(key);
    else groups.set(node, [key]);
  }
  return groups;
}
