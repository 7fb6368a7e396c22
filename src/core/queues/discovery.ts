/**
 * Finding BullMQ queues without BullMQ: there is no list-queues API, so every master is scanned
 * for `<prefix>:*:meta` (one hash per queue), and counts are read with plain LLEN/ZCARD calls.
 * Needs neither CLIENT LIST nor a BullMQ `Queue` object, so `stats`/`doctor` can use it cheaply.
 */
import type { RedisConnection } from '../../redis/connect.js';
import { escapeGlob } from '../glob.js';
import { DEFAULT_SCAN_COUNT, scanNode } from '../keyspace/scan.js';
import { checkQueueShapes, type MalformedQueue } from './shape.js';

/** One queue found on the server. */
export interface QueueRef {
  /** The BullMQ prefix the queue lives under (`bull`, `{bull}`…). */
  prefix: string;
  /** The queue name (may contain `:`). */
  name: string;
  /** `<prefix>:<name>`, e.g. `"bull:messages"`: the stem of every key of the queue. */
  key: string;
}

export interface DiscoverOptions {
  /** Stop scanning (between SCAN calls) when aborted; the queues found so far are returned. */
  signal?: AbortSignal;
  /** COUNT hint per SCAN call (default 1000). */
  count?: number;
  /** Told of keys that look like a queue but do not have BullMQ's shapes (they are left out). */
  onMalformed?: (malformed: MalformedQueue[]) => void;
}

const META_SUFFIX = ':meta';

/**
 * Every queue under any of `prefixes`, found by scanning `<prefix>:*:meta` on every master in
 * parallel. Sorted by key, deduplicated (when two configured prefixes both match a key, the
 * longer prefix wins, so `bull:x` claims `bull:x:q:meta` as queue `q`). Keys that only look like a
 * queue (a string at `bull:x:meta`) are left out and passed to `onMalformed`.
 */
export async function discoverQueues(connection: RedisConnection, prefixes: string[], options: DiscoverOptions = {}): Promise<QueueRef[]> {
  const unique = [...new Set(prefixes)].filter((p) => p.length > 0);
  // Longest first, so the most specific prefix claims a key.
  const byLength = [...unique].sort((a, b) => b.length - a.length);
  const found = new Map<string, QueueRef>();
  const patterns = unique.map((prefix) => Buffer.concat([escapeGlob(prefix), Buffer.from(`:*${META_SUFFIX}`)]));
  await Promise.all(
    connection.masters().flatMap((node) =>
      patterns.map(async (match) => {
        const scan = scanNode(node, { match, count: options.count ?? DEFAULT_SCAN_COUNT, signal: options.signal });
        for await (const keys of scan) {
          for (const raw of keys) {
            const metaKey = raw.toString('utf8');
            if (found.has(metaKey)) continue;
            const ref = refFromMetaKey(metaKey, byLength);
            if (ref) found.set(metaKey, ref);
          }
        }
      }),
    ),
  );
  const sorted = [...found.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const { queues, malformed } = await checkQueueShapes(connection, sorted);
  if (malformed.length > 0) options.onMalformed?.(malformed);
  return queues;
}

/**
 * The queue a `<prefix>:<name>:meta` key belongs to, trying prefixes in the given order; undefined
 * when no prefix fits or the name would be empty.
 */
export function refFromMetaKey(metaKey: string, prefixes: string[]): QueueRef | undefined {
  if (!metaKey.endsWith(META_SUFFIX)) return undefined;
  const stem = metaKey.slice(0, -META_SUFFIX.length);
  for (const prefix of prefixes) {
    if (stem.length > prefix.length + 1 && stem.startsWith(`${prefix}:`)) {
      return { prefix, name: stem.slice(prefix.length + 1), key: stem };
    }
  }
  return undefined;
}

/** Build the ref of a named queue (no server call). */
export function queueRef(prefix: string, name: string): QueueRef {
  return { prefix, name, key: `${prefix}:${name}` };
}

/** BullMQ's job states, in the order tables show them: the one vocabulary of flags, tables, JSON and metrics. */
export const QUEUE_STATES = ['wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused', 'completed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** Number of jobs per state. */
export interface QueueCounts {
  /** Jobs ready to run (the `wait` list) while the queue is not paused. */
  wait: number;
  active: number;
  delayed: number;
  prioritized: number;
  'waiting-children': number;
  /** Jobs held by a paused queue (its `wait` list, plus the legacy `paused` list of older BullMQ). */
  paused: number;
  completed: number;
  failed: number;
  /** @deprecated the same as `wait` (the name before 0.2); will be removed. */
  waiting: number;
  /** @deprecated the same as `waiting-children` (the name before 0.2); will be removed. */
  waitingChildren: number;
}

/** Jobs in every state (each state once: the deprecated duplicates are not added). */
export function totalJobs(counts: QueueCounts): number {
  return QUEUE_STATES.reduce((sum, state) => sum + counts[state], 0);
}

/** Counts per state with the deprecated duplicate names filled in. */
export function queueCountsOf(counts: Record<QueueState, number>): QueueCounts {
  return { ...counts, waiting: counts.wait, waitingChildren: counts['waiting-children'] };
}

/**
 * Read the job counts of one queue (read-only: LLEN/ZCARD/HGET, sent together). Works on a
 * cluster whatever the prefix, since each key is routed on its own.
 */
export async function queueCounts(connection: RedisConnection, ref: QueueRef): Promise<QueueCounts> {
  const c = connection.client;
  const k = (suffix: string) => `${ref.key}:${suffix}`;
  const [wait, legacyPaused, active, delayed, prioritized, waitingChildren, completed, failed, pausedFlag] = await Promise.all([
    c.llen(k('wait')),
    c.llen(k('paused')),
    c.llen(k('active')),
    c.zcard(k('delayed')),
    c.zcard(k('prioritized')),
    c.zcard(k('waiting-children')),
    c.zcard(k('completed')),
    c.zcard(k('failed')),
    c.hget(k('meta'), 'paused'),
  ]);
  const isPaused = pausedFlag === '1';
  return queueCountsOf({
    wait: isPaused ? 0 : wait,
    active,
    delayed,
    prioritized,
    'waiting-children': waitingChildren,
    paused: isPaused ? wait + legacyPaused : legacyPaused,
    completed,
    failed,
  });
}
