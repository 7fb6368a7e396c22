/**
 * Finding every BullMQ queue within the exporter's budget: `SCAN MATCH <prefix>:*:meta` on every
 * master, each call sized by the pacer (about `stepMs` of server time) and followed by its rest.
 * Slower than `discoverQueues` on purpose; it runs on its own, longer interval.
 */
import type { RedisConnection } from '../../redis/connect.js';
import { escapeGlob } from '../glob.js';
import { refFromMetaKey, type QueueRef } from '../queues/discovery.js';
import type { StepPacer } from '../stats/passes.js';

/** Most keys one SCAN call may visit (the pacer usually asks for fewer). */
const MAX_SCAN_COUNT = 20_000;
export const DISCOVERY_KIND = 'discovery';

/** Every queue under `prefixes`, sorted by key; stops early (with what it found) when `signal` aborts. */
export async function pacedDiscovery(connection: RedisConnection, prefixes: string[], pacer: StepPacer, signal?: AbortSignal): Promise<QueueRef[]> {
  const unique = [...new Set(prefixes)].filter((p) => p.length > 0);
  const byLength = [...unique].sort((a, b) => b.length - a.length);
  const found = new Map<string, QueueRef>();
  await Promise.all(
    connection.masters().map(async (node) => {
      for (const prefix of unique) {
        const match = Buffer.concat([escapeGlob(prefix), Buffer.from(':*:meta')]);
        let cursor = '0';
        do {
          if (signal?.aborted) return;
          const count = await pacer.acquire(node, DISCOVERY_KIND, MAX_SCAN_COUNT);
          const started = performance.now();
          let reply: [Buffer, Buffer[]];
          try {
            reply = (await node.callBuffer('SCAN', cursor, 'MATCH', match, 'COUNT', String(count))) as [Buffer, Buffer[]];
          } catch (error) {
            pacer.release(node, DISCOVERY_KIND, performance.now() - started, 0);
            throw error;
          }
          pacer.release(node, DISCOVERY_KIND, performance.now() - started, count);
          cursor = reply[0].toString();
          for (const raw of reply[1]) {
            const ref = refFromMetaKey(raw.toString('utf8'), byLength);
            if (ref) found.set(ref.key, ref);
          }
        } while (cursor !== '0');
      }
    }),
  );
  return [...found.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
