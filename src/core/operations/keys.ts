/**
 * `keys`: list or count the keys a selection matches — exactly what `invalidate` with the same
 * arguments would remove (protected keys excluded). Read-only; keys stream as Buffers.
 */
import { KeyGuard } from '../guard.js';
import { executePlan } from '../keyspace/execute.js';
import { scanNode } from '../keyspace/scan.js';
import type { RunSummary } from '../keyspace/summary.js';
import type { Plan } from '../plan.js';
import { coveredMasters, nodeOfKey, readyMasters } from '../../redis/topology.js';
import type { OperationContext } from './run.js';

export interface KeysOptions {
  /** Stop after this many keys. */
  limit?: number;
  signal?: AbortSignal;
  /** SCAN COUNT hint (default: config scan.count). */
  count?: number;
  /** Only keys under `tenant:<tenant>:` are listed/counted, whatever the plan says. */
  tenant?: string;
}

export interface ListedKey {
  key: Buffer;
  /** `host:port` of the master holding it. */
  node: string;
}

/** Stream the matching keys (masters one after the other, SCAN order within a master). */
export async function* listKeys(ctx: OperationContext, planned: Plan, options: KeysOptions = {}): AsyncGenerator<ListedKey> {
  const guard = new KeyGuard(ctx.config, options.tenant !== undefined ? { tenant: options.tenant } : {});
  const { connection } = ctx;
  await readyMasters(connection);
  // Only several selections can overlap; one SCAN pass rarely repeats a key, and a set would grow.
  const seen = planned.selections.length > 1 ? new Set<string>() : undefined;
  let left = options.limit ?? Number.POSITIVE_INFINITY;
  const batch = ctx.config.scan.batch;
  for (const selection of planned.selections) {
    if (selection.kind === 'exact') {
      const wanted = selection.keys.filter((key) => !guard.protects(key));
      for (let i = 0; i < wanted.length && left > 0; i += batch) {
        if (options.signal?.aborted) return;
        const chunk = wanted.slice(i, i + batch);
        const flags = await Promise.all(chunk.map((key) => connection.client.exists(key)));
        for (const [k, key] of chunk.entries()) {
          if (flags[k] !== 1 || !once(seen, key)) continue;
          if (left <= 0) return;
          left--;
          yield { key, node: nodeOfKey(connection, key) };
        }
      }
      continue;
    }
    // Never a listing that silently misses the slots of a master the client lost.
    for (const node of coveredMasters(connection)) {
      const name = connection.nodeName(node);
      for await (const found of scanNode(node, { match: selection.pattern, count: options.count ?? ctx.config.scan.count, signal: options.signal })) {
        for (const key of found) {
          if (guard.protects(key) || !once(seen, key)) continue;
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
export function countKeys(ctx: OperationContext, planned: Plan, options: KeysOptions = {}): Promise<RunSummary> {
  return executePlan(ctx.connection, ctx.config, 'keys', planned, { dryRun: true, sampleSize: 0, ...options, limit: undefined });
}
