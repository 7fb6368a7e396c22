// Counting keys independently of cachectl's engine: plain client-side SCAN MATCH, for asserting
// what a command left behind.
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../../src/redis/connect.js';

/** How many keys matching `pattern` one node holds. */
export async function countOnNode(node: Redis, pattern: string, count = 1000): Promise<number> {
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next;
    total += keys.length;
  } while (cursor !== '0');
  return total;
}

/** How many keys matching `pattern` exist over every master of `connection`. */
export async function countMatching(connection: RedisConnection, pattern: string, count = 1000): Promise<number> {
  let total = 0;
  for (const node of connection.masters()) total += await countOnNode(node, pattern, count);
  return total;
}
