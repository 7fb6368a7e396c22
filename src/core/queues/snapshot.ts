/**
 * Collect the ids of a queue's jobs in given states while producers and workers keep running.
 * Every job that stays in the state for the whole pass is seen exactly once:
 * - lists (`wait`, legacy `paused`) are read from the head forward — producers LPUSH at the head
 *   (shifting what we read again, deduplicated) and workers take from the tail, so nothing that
 *   stays can be skipped; the result is reversed so the oldest job comes first;
 * - sorted sets are read with ZSCAN (the same guarantee, from the server) and sorted by score.
 */
import type { RedisConnection } from '../../redis/connect.js';
import type { ExportableState } from './bull.js';
import type { QueueRef } from './discovery.js';

export interface StateIds {
  state: ExportableState;
  /** Oldest (or lowest score) first. */
  ids: string[];
}

const PAGE = 1000;
const LIST_STATES = new Set<ExportableState>(['wait', 'paused']);

/** Ids per state, in the order given. Stops between pages when `signal` aborts. */
export async function snapshotIds(connection: RedisConnection, ref: QueueRef, states: ExportableState[], signal?: AbortSignal): Promise<StateIds[]> {
  const result: StateIds[] = [];
  try {
    for (const state of states) {
      const key = `${ref.key}:${state}`;
      const ids = LIST_STATES.has(state) ? await listIds(connection, key, signal) : await zsetIds(connection, key, signal);
      result.push({ state, ids });
    }
  } catch (error) {
    // A dry run reads here outside withQueue: classify (NOPERM → exit 7 naming the command).
    throw connection.wrapError(error);
  }
  return result;
}

async function listIds(connection: RedisConnection, key: string, signal?: AbortSignal): Promise<string[]> {
  const seen = new Set<string>();
  const order: string[] = [];
  for (let start = 0; !signal?.aborted; start += PAGE) {
    const page = await connection.client.lrange(key, start, start + PAGE - 1);
    for (const id of page) {
      // "0:<n>" entries are delay markers of BullMQ < 5, not jobs.
      if (!seen.has(id) && !id.startsWith('0:')) {
        seen.add(id);
        order.push(id);
      }
    }
    if (page.length < PAGE) break;
  }
  return order.reverse();
}

async function zsetIds(connection: RedisConnection, key: string, signal?: AbortSignal): Promise<string[]> {
  const scores = new Map<string, number>();
  let cursor = '0';
  do {
    if (signal?.aborted) break;
    const [next, flat] = await connection.client.zscan(key, cursor, 'COUNT', PAGE);
    for (let i = 0; i + 1 < flat.length; i += 2) scores.set(flat[i]!, Number(flat[i + 1]));
    cursor = next;
  } while (cursor !== '0');
  return [...scores.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
}
