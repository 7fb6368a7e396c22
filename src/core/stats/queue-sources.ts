/**
 * Where sampled `stats` gets its BullMQ queues without a pass over the keyspace: the queues the
 * last maintenance run found (its full discovery pass is kept in the run record), plus the queues
 * that keys drawn by the sample belong to. Every candidate is checked with EXISTS
 * `<prefix>:<name>:meta`, one pipeline per master: a queue deleted since the record, or a wrong
 * guess at where a name ends (names may contain `:`), is dropped.
 */
import { formatCount } from './format.js';
import type { RedisConnection } from '../../redis/connect.js';
import { createRouter, isRedirect } from '../../redis/topology.js';
import type { QueueList } from '../records/runs.js';
import { refFromMetaKey, type QueueRef } from '../queues/discovery.js';
import type { QueueDiscovery } from './types.js';

/** Names suggested by the sample that are checked at most (shallowest, most often seen first). */
export const MAX_SAMPLE_CANDIDATES = 10_000;
/** Name candidates taken from one key (further `:` splits are ignored). */
const MAX_SPLITS_PER_KEY = 8;

export const NO_RECORD_NOTE = 'no maintenance record: queues found from the sample only; run with --scan-queues for all';

export interface FoundQueues {
  refs: QueueRef[];
  discovery: QueueDiscovery;
}

/** Configured prefixes, longest first (the most specific prefix claims a key, as in discovery). */
function longestFirst(prefixes: string[]): string[] {
  return [...new Set(prefixes)].filter((p) => p.length > 0).sort((a, b) => b.length - a.length);
}

/**
 * The queues a sampled queue key may belong to. A key of queue `<prefix>:<name>` is
 * `<prefix>:<name>:<suffix>` (a job id, `wait`, `meta`…, and a suffix may have `:` in it too), and
 * the name may contain `:`: so every split before a `:` is a candidate (`bull:a:b:c` → `bull:a`,
 * `bull:a:b`). Ordered shallowest first, then by how many keys suggested them.
 */
export function sampleCandidates(keys: Iterable<string>, prefixes: string[]): QueueRef[] {
  const byLength = longestFirst(prefixes);
  const seen = new Map<string, { ref: QueueRef; depth: number; hits: number }>();
  for (const key of keys) {
    const prefix = byLength.find((p) => key.startsWith(`${p}:`));
    if (prefix === undefined) continue;
    const rest = key.slice(prefix.length + 1);
    let at = rest.indexOf(':');
    for (let depth = 0; at > 0 && depth < MAX_SPLITS_PER_KEY; depth++, at = rest.indexOf(':', at + 1)) {
      const name = rest.slice(0, at);
      const stem = `${prefix}:${name}`;
      const entry = seen.get(stem);
      if (entry) entry.hits++;
      else seen.set(stem, { ref: { prefix, name, key: stem }, depth, hits: 1 });
    }
  }
  return [...seen.values()]
    .sort((a, b) => a.depth - b.depth || b.hits - a.hits || (a.ref.key < b.ref.key ? -1 : a.ref.key > b.ref.key ? 1 : 0))
    .map((e) => e.ref);
}

/** The queues of a maintenance record that fall under the configured prefixes. */
export function recordCandidates(list: QueueList, prefixes: string[]): QueueRef[] {
  const byLength = longestFirst(prefixes);
  const refs: QueueRef[] = [];
  for (const key of list.keys) {
    const ref = refFromMetaKey(`${key}:meta`, byLength);
    if (ref) refs.push(ref);
  }
  return refs;
}

/** Keys (`<prefix>:<name>`) of the refs whose `:meta` hash exists: one pipeline per master. */
export async function existingQueues(connection: RedisConnection, refs: QueueRef[]): Promise<Set<string>> {
  const found = new Set<string>();
  const metaKey = (ref: QueueRef) => `${ref.key}:meta`;
  const { groups, unrouted } = createRouter(connection)(refs, (ref) => Buffer.from(metaKey(ref), 'utf8'));
  const retry: QueueRef[] = [...unrouted];
  await Promise.all(
    groups.map(async ({ node, items }) => {
      const pipeline = node.pipeline();
      for (const ref of items) pipeline.exists(metaKey(ref));
      const replies = (await pipeline.exec()) ?? [];
      replies.forEach(([error, value], i) => {
        if (error && isRedirect(error))
          retry.push(items[i]!); // resharding: ask through the cluster client
        else if (error) throw error;
        else if (Number(value) > 0) found.add(items[i]!.key);
      });
    }),
  );
  const again = await Promise.all(retry.map((ref) => connection.client.exists(metaKey(ref))));
  again.forEach((n, i) => {
    if (n > 0) found.add(retry[i]!.key);
  });
  return found;
}

/**
 * Queues from the maintenance record (`list`, when one exists) and the sampled queue keys, each
 * confirmed by its meta key. `problem` replaces the no-record note (e.g. the record was unreadable).
 */
export async function queuesFromRecordAndSample(
  connection: RedisConnection,
  prefixes: string[],
  list: QueueList | undefined,
  sampledKeys: Iterable<string>,
  problem?: string,
): Promise<FoundQueues> {
  const recorded = list ? recordCandidates(list, prefixes) : [];
  const recordedKeys = new Set(recorded.map((r) => r.key));
  const suggested = sampleCandidates(sampledKeys, prefixes).filter((r) => !recordedKeys.has(r.key));
  const sampled = suggested.slice(0, MAX_SAMPLE_CANDIDATES);
  const exists = await existingQueues(connection, [...recorded, ...sampled]);
  const fromRecord = recorded.filter((r) => exists.has(r.key));
  const fromSample = sampled.filter((r) => exists.has(r.key));
  const refs = [...fromRecord, ...fromSample].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const notes: string[] = [];
  if (!list) notes.push(problem ?? NO_RECORD_NOTE);
  if (list?.truncated) notes.push(`the maintenance record lists only ${formatCount(list.keys.length)} of ${formatCount(list.total)} queues`);
  if (suggested.length > sampled.length)
    notes.push(`only ${formatCount(sampled.length)} of ${formatCount(suggested.length)} queue names the sample suggests were checked`);
  const gone = recorded.length - fromRecord.length;
  const discovery: QueueDiscovery = list
    ? { method: 'maintenance-record+sample', asOf: list.at, fromRecord: fromRecord.length, fromSample: fromSample.length, goneSinceRecord: gone }
    : { method: 'sample', fromSample: fromSample.length };
  if (notes.length > 0) discovery.note = notes.join('; ');
  return { refs, discovery };
}
