// "Nothing touched", checked key by key: every key with its DUMP payload and whether it has a TTL.
import type { Redis } from 'ioredis';
import { expect } from 'vitest';

export async function snapshot(client: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scanBuffer(cursor, 'COUNT', 1000);
    cursor = next.toString();
    for (const key of keys) {
      const [dump, ttl] = await Promise.all([client.dumpBuffer(key), client.pttl(key)]);
      out.set(key.toString('latin1'), `${dump?.toString('hex')}|${ttl > 0 ? 'ttl' : ttl}`);
    }
  } while (cursor !== '0');
  return out;
}

/** The same keys with the same payloads and TTL state (the first few differences are named). */
export function expectSame(before: Map<string, string>, after: Map<string, string>): void {
  const changed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
  const added = [...after.keys()].filter((k) => !before.has(k));
  expect({ changed: changed.slice(0, 5), added: added.slice(0, 5), count: after.size }).toEqual({ changed: [], added: [], count: before.size });
}
