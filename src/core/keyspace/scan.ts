/**
 * Streaming SCAN over every master: keys stay Buffers, batches are bounded, and a cluster is
 * covered by scanning each master on its own connection (one SCAN sees one node only).
 */
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../../redis/connect.js';

export interface ScanOptions {
  /** MATCH pattern (escaped by the caller); default: every key. */
  match?: Buffer | string;
  /** COUNT hint per SCAN call. */
  count?: number;
  /** TYPE filter (string, hash, list, set, zset, stream). */
  type?: string;
  /** Stop between SCAN calls when aborted. */
  signal?: AbortSignal;
  /** Called after every SCAN call, also those whose batch is empty (progress of sparse patterns). */
  onStep?: (cursor: string) => void;
}

export const DEFAULT_SCAN_COUNT = 1000;

/** Yield the keys of one node in SCAN order, one (possibly empty-filtered) batch per call. */
export async function* scanNode(node: Redis, options: ScanOptions = {}): AsyncGenerator<Buffer[]> {
  const args: Array<string | number | Buffer> = [];
  if (options.match !== undefined) args.push('MATCH', options.match);
  args.push('COUNT', options.count ?? DEFAULT_SCAN_COUNT);
  if (options.type) args.push('TYPE', options.type);
  let cursor = '0';
  do {
    if (options.signal?.aborted) return;
    const [next, keys] = (await node.callBuffer('SCAN', cursor, ...args)) as [Buffer, Buffer[]];
    cursor = next.toString();
    options.onStep?.(cursor);
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

export interface NodeBatch {
  node: Redis;
  nodeName: string;
  keys: Buffer[];
}

/**
 * Scan every master in parallel; `onBatch` runs for each batch as it arrives (awaited, so a slow
 * consumer slows that node's scan: memory stays bounded by one batch per master).
 */
export async function scanMasters(connection: RedisConnection, options: ScanOptions, onBatch: (batch: NodeBatch) => Promise<void> | void): Promise<void> {
  await Promise.all(
    connection.masters().map(async (node) => {
      const nodeName = connection.nodeName(node);
      for await (const keys of scanNode(node, options)) await onBatch({ node, nodeName, keys });
    }),
  );
}

/** Sum of DBSIZE over the masters: the size of one full keyspace pass. */
export async function keyspaceSize(connection: RedisConnection): Promise<number> {
  const sizes = await Promise.all(connection.masters().map((node) => node.dbsize()));
  return sizes.reduce((a, b) => a + b, 0);
}
