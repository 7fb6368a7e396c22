/**
 * The bridge to BullMQ: resolve a queue name the operator typed, check that BullMQ can work on
 * it (cluster slots), and open a `Queue` on our own connection for exactly one operation.
 */
import { Queue } from 'bullmq';
import { UsageError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { discoverQueues, queueRef, type QueueRef } from './discovery.js';
import { checkQueueShapes, describeMalformed } from './shape.js';

/** Job states an operator may name. `active` is deliberately absent: active jobs are never removed. */
export const FINISHED_STATES = ['completed', 'failed'] as const;
export const CLEANABLE_STATES = ['completed', 'failed', 'delayed', 'wait', 'prioritized'] as const;
export const EXPORTABLE_STATES = ['wait', 'prioritized', 'delayed', 'paused', 'waiting-children', 'completed', 'failed'] as const;
export type FinishedState = (typeof FINISHED_STATES)[number];
export type CleanableState = (typeof CLEANABLE_STATES)[number];
export type ExportableState = (typeof EXPORTABLE_STATES)[number];

/** Earlier spellings of BullMQ's state names, still accepted as input. */
export const STATE_ALIASES: Readonly<Record<string, string>> = {
  waiting: 'wait',
  prio: 'prioritized',
  children: 'waiting-children',
  waitingchildren: 'waiting-children',
  waiting_children: 'waiting-children',
};

/** Normalise a state name ("waiting" → "wait", "prio" → "prioritized") and check it against `allowed`. */
export function parseState<T extends string>(value: string, allowed: readonly T[], what = 'state'): T {
  const v = value.trim().toLowerCase();
  const normal = STATE_ALIASES[v] ?? v;
  if ((allowed as readonly string[]).includes(normal)) return normal as T;
  const extra = normal === 'active' ? ' (active jobs belong to a worker and are never removed from outside)' : '';
  throw new UsageError(`Unknown ${what} "${value}"${extra}`, { hint: `use one of: ${allowed.join(', ')}` });
}

/**
 * True when every key of the queue (`<key>:…`) hashes to one cluster slot: the first `{` of the
 * stem is closed by a `}` inside the stem with something between them. BullMQ's scripts need this.
 */
export function sharesOneSlot(ref: QueueRef): boolean {
  const stem = `${ref.key}:`;
  const open = stem.indexOf('{');
  if (open < 0) return false;
  const close = stem.indexOf('}', open + 1);
  return close > open + 1;
}

/** Why BullMQ cannot operate on this queue here, or undefined when it can. */
export function clusterProblem(connection: RedisConnection, ref: QueueRef): string | undefined {
  if (connection.mode !== 'cluster' || sharesOneSlot(ref)) return undefined;
  return `prefix "${ref.prefix}" is not hash-tagged: on a cluster the keys of ${ref.key} are spread over slots, so BullMQ cannot operate on it`;
}

/** Throw a UsageError when BullMQ cannot operate on `ref` over this connection. */
export function assertOperable(connection: RedisConnection, ref: QueueRef): void {
  const problem = clusterProblem(connection, ref);
  if (problem) {
    throw new UsageError(`Queue ${ref.key}: ${problem}`, {
      hint: 'on a cluster BullMQ needs a hash-tagged prefix such as {bull} (prefix: "{bull}" in the app and in queues.prefixes)',
    });
  }
}

/** A queue name BullMQ could not use: empty, or ending in ":" (its keys would run into the prefix's). */
export function checkQueueName(name: string): void {
  if (name.trim() === '' || name.endsWith(':')) {
    throw new UsageError(name.trim() === '' ? 'The queue name is empty' : `The queue name "${name}" ends in ":"`, {
      hint: 'give a queue name, e.g. messages (or <prefix>:<name>)',
    });
  }
}

/**
 * Resolve what the operator typed — a queue name, or `<prefix>:<name>` — to exactly one queue.
 * Checks `<prefix>:<name>:meta` directly (no scan); only when nothing matches does it scan, to
 * list the queues that do exist in the error (exit 2).
 */
export async function resolveQueue(connection: RedisConnection, input: string, prefixes: string[]): Promise<QueueRef> {
  checkQueueName(input);
  const candidates: QueueRef[] = [];
  for (const prefix of new Set(prefixes)) {
    candidates.push(queueRef(prefix, input));
    if (input.startsWith(`${prefix}:`) && input.length > prefix.length + 1) candidates.push(queueRef(prefix, input.slice(prefix.length + 1)));
  }
  const exists = await Promise.all(candidates.map((ref) => connection.client.exists(`${ref.key}:meta`)));
  const found = candidates.filter((_, i) => exists[i] === 1);
  if (found.length === 1) {
    const { malformed } = await checkQueueShapes(connection, found);
    if (malformed[0])
      throw new UsageError(describeMalformed(malformed[0]), {
        hint: 'that key was not written by BullMQ; inspect it with redis-cli TYPE/DUMP before removing it',
      });
    return found[0]!;
  }
  if (found.length > 1) {
    throw new UsageError(`Queue name "${input}" is ambiguous: ${found.map((r) => r.key).join(', ')}`, {
      hint: 'give the full <prefix>:<name>, or --prefix',
    });
  }
  const known = await discoverQueues(connection, prefixes);
  const list = known.length === 0 ? 'no queues found' : `queues found: ${known.map((r) => r.key).join(', ')}`;
  throw new UsageError(`No queue "${input}" under prefix ${[...new Set(prefixes)].join(', ')} (${list})`, {
    hint: 'run "cachectl queues" to list them; set queues.prefixes or --prefix for other prefixes',
  });
}

/**
 * Open a BullMQ `Queue` on the connection's own client for the duration of `work`, then close it
 * (BullMQ leaves a client it was given open; ours is closed by its owner). Never writes the
 * queue's meta hash. BullMQ 6 refuses ":" in names, yet older versions created such queues; the
 * keys are the same as a longer prefix with the last part as the name, so that is how it opens.
 */
export async function withQueue<T>(connection: RedisConnection, ref: QueueRef, work: (queue: Queue) => Promise<T>): Promise<T> {
  assertOperable(connection, ref);
  const cut = ref.name.lastIndexOf(':');
  const name = cut < 0 ? ref.name : ref.name.slice(cut + 1);
  const prefix = cut < 0 ? ref.prefix : `${ref.prefix}:${ref.name.slice(0, cut)}`;
  const queue = new Queue(name, {
    connection: connection.client,
    prefix,
    skipMetasUpdate: true,
    // The version check only warns on the console; cachectl reports versions itself (`ping`).
    skipVersionCheck: true,
  });
  let failure: unknown;
  queue.on('error', (error) => {
    failure ??= error;
  });
  try {
    const result = await work(queue);
    if (failure) throw failure;
    return result;
  } catch (error) {
    throw connection.wrapError(error);
  } finally {
    await queue.close().catch(() => undefined);
  }
}

/** Client names BullMQ gives a queue's workers (`Queue.getWorkers` matches the same way). */
export function workerNameMatcher(ref: QueueRef): (clientName: string) => boolean {
  const base = `${ref.prefix}:${Buffer.from(ref.name).toString('base64')}`;
  return (name) => name === base || name.startsWith(`${base}:w:`);
}
