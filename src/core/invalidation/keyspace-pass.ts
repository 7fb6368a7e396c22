/**
 * One keyspace pass for many patterns: SCAN every master once, in parallel (with a MATCH on the
 * literal prefix all patterns share, so the server filters), match each key client-side against
 * the compiled pattern set, and UNLINK the matches pipelined per node (single-key commands on the
 * node that returned the key: never a multi-key command across slots).
 */
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../../redis/connect.js';
import { escapeGlob } from '../glob.js';
import { coveredMasters, readyMasters } from '../keyspace/masters.js';
import { scanNode } from '../keyspace/scan.js';
import type { KeyGuard } from './exact.js';
import { PatternIndex } from './pattern-index.js';

export interface KeyspacePassOptions {
  /** SCAN COUNT per call, and UNLINKs per pipeline. */
  count: number;
  batch: number;
  guard: KeyGuard;
  /** Stops the pass between SCAN calls; the pass then rejects with the signal's reason. */
  signal: AbortSignal;
  /** Called after the pass compiled its patterns, before the first SCAN. */
  onStart?: () => void;
}

export interface KeyspacePassTotals {
  /** The SCAN MATCH filter used (empty: every key). */
  match: string;
  /** Keys SCAN returned, keys that matched, keys removed. */
  examined: number;
  matched: number;
  deleted: number;
}

/**
 * Delete every key matching any of `patterns` on every master. `onDeleted(i, n)` credits the first
 * pattern (by index) that matched each removed key. Either completes on every master or rejects.
 */
export async function runKeyspacePass(
  connection: RedisConnection,
  patterns: Buffer[],
  options: KeyspacePassOptions,
  onDeleted: (pattern: number, count: number) => void,
): Promise<KeyspacePassTotals> {
  const index = new PatternIndex(patterns);
  const match = index.commonPrefix.length > 0 ? Buffer.concat([escapeGlob(index.commonPrefix), Buffer.from('*')]) : undefined;
  options.onStart?.();
  const totals: KeyspacePassTotals = { match: match ? match.toString('latin1') : '', examined: 0, matched: 0, deleted: 0 };
  // One failing node stops the others.
  const local = new AbortController();
  const relay = (): void => local.abort(options.signal.reason);
  if (options.signal.aborted) relay();
  else options.signal.addEventListener('abort', relay, { once: true });
  let results: PromiseSettledResult<void>[];
  try {
    // Every slot or nothing: a master the client lost must fail the pass, not shrink it.
    await readyMasters(connection);
    const masters = coveredMasters(connection);
    results = await Promise.allSettled(
      masters.map((node) =>
        scanOne(node, index, match, { ...options, signal: local.signal }, totals, onDeleted).catch((error: unknown) => {
          local.abort(error);
          throw error;
        }),
      ),
    );
  } finally {
    options.signal.removeEventListener('abort', relay);
  }
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  if (local.signal.aborted) throw local.signal.reason;
  return totals;
}

async function scanOne(
  node: Redis,
  index: PatternIndex,
  match: Buffer | undefined,
  options: KeyspacePassOptions,
  totals: KeyspacePassTotals,
  onDeleted: (pattern: number, count: number) => void,
): Promise<void> {
  let keys: Buffer[] = [];
  let hits: number[] = [];
  const flush = async (): Promise<void> => {
    if (keys.length === 0) return;
    const pipeline = node.pipeline();
    for (const key of keys) pipeline.unlink(key);
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([error, n], i) => {
      if (error) throw error;
      totals.deleted += n as number;
      if (n) onDeleted(hits[i]!, n as number);
    });
    keys = [];
    hits = [];
  };
  for await (const found of scanNode(node, { ...(match ? { match } : {}), count: options.count, signal: options.signal })) {
    totals.examined += found.length;
    for (const key of found) {
      const hit = index.match(key);
      if (hit < 0 || options.guard.protects(key)) continue;
      totals.matched++;
      keys.push(key);
      hits.push(hit);
    }
    if (keys.length >= options.batch) await flush();
  }
  await flush();
}
