/**
 * `keys`: list or count the keys a selection matches — exactly what `invalidate` with the same
 * arguments would remove (queue keys excluded). Read-only; keys stream as Buffers.
 */
import { Cluster } from 'ioredis';
import type { Selection } from '../families.js';
import { existingKeys } from '../keyspace/key-delete.js';
import { coveredMasters, readyMasters } from '../keyspace/masters.js';
import { scanNode } from '../keyspace/scan.js';
import { masterOfKey } from '../keyspace/slot.js';
import type { RunSummary } from '../keyspace/summary.js';
import { inTenant, tenantScope } from '../tenant.js';
import { excludedPrefixes, executeSelections, type OperationContext } from './execute.js';

export interface KeysOptions {
  /** Stop after this many keys. */
  limit?: number;
  signal?: AbortSignal;
  /** SCAN COUNT hint (default: config scan.count). */
  count?: number;
  /** Only keys under `tenant:<tenant>:` are listed/counted, whatever the selections say. */
  tenant?: string;
}

export interface ListedKey {
  key: Buffer;
  /** `host:port` of the master holding it. */
  node: string;
}

/** Stream the matching keys (masters one after the other, SCAN order within a master). */
export async function* listKeys(ctx: OperationContext, selections: Selection[], options: KeysOptions = {}): AsyncGenerator<ListedKey> {
  const excluded = excludedPrefixes(ctx.config);
  const only = options.tenant !== undefined ? tenantScope(options.tenant).prefix : undefined;
  // Keys outside the tenant are dropped like queue keys: never listed.
  const isQueue = (key: Buffer) =>
    (only !== undefined && !inTenant(key, only)) || excluded.some((p) => key.length >= p.length && key.subarray(0, p.length).equals(p));
  const { connection } = ctx;
  await readyMasters(connection);
  // Only several selections can overlap; one SCAN pass rarely repeats a key, and a set would grow.
  const seen = selections.length > 1 ? new Set<string>() : undefined;
  let left = options.limit ?? Number.POSITIVE_INFINITY;
  for (const selection of selections) {
    if (selection.kind === 'exact') {
      const wanted = selection.keys.filter((key) => !isQueue(key));
      for (let i = 0; i < wanted.length && left > 0; i += ctx.config.scan.batch) {
        if (options.signal?.aborted) return;
        for (const key of await existingKeys(connection.client, wanted.slice(i, i + ctx.config.scan.batch))) {
          if (left <= 0) return;
          if (!once(seen, key)) continue;
          left--;
          const client = connection.client;
          yield { key, node: client instanceof Cluster ? (masterOfKey(client, key) ?? 'cluster') : connection.nodeName(connection.masters()[0]!) };
        }
      }
      continue;
    }
    // Never a listing that silently misses the slots of a master the client lost.
    for (const node of coveredMasters(connection)) {
      const name = connection.nodeName(node);
      for await (const batch of scanNode(node, { match: selection.pattern, count: options.count ?? ctx.config.scan.count, signal: options.signal })) {
        for (const key of batch) {
          if (isQueue(key) || !once(seen, key)) continue;
          if (left <= 0) return;
          left--;
          yield { key, node: name };
        }
      }
      if (left <= 0 || options.signal?.aborted) return;
    }
  }
}

/** False for a key already listed by an earlier selection (bounded memory: stops remembering at 100k). */
function once(seen: Set<string> | undefined, key: Buffer): boolean {
  if (!seen || seen.size > 100_000) return true;
  const id = key.toString('latin1');
  if (seen.has(id)) return false;
  seen.add(id);
  return true;
}

/** Count the matching keys per node (masters in parallel): the dry-run engine, labelled `keys`. */
export async function countKeys(ctx: OperationContext, selections: Selection[], options: KeysOptions = {}): Promise<RunSummary> {
  return executeSelections(ctx, 'keys', selections, { dryRun: true, sampleSize: 0, ...options, limit: undefined });
}
