// Counting keys independently of cachectl's engine: plain client-side SCAN MATCH, for asserting
// what a command left behind. SCAN may return a key more than once (while the server's table is
// rehashing, e.g. right after a restart loaded it or while a run deletes from it): each distinct
// key counts once.
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../../src/redis/connect.js';

/** How many keys matching `pattern` one node holds. */
export async function countOnNode(node: Redis, pattern: string, count = 1000): Promise<number> {
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await node.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next.toString();
    for (const key of keys) seen.add(key.toString('latin1'));
  } while (cursor !== '0');
  return seen.size;
}

/** How many keys matching `pattern` exist over every master of `connection`. */
export async function countMatching(connection: RedisConnection, pattern: string, count = 1000): Promise<number> {
  let total = 0;
  for (const node of connection.masters()) total += await countOnNode(node, pattern, count);
  return total;
}
