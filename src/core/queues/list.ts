/**
 * What `queues` shows: one summary per queue (counts, paused flag, workers, oldest waiting job,
 * events stream length), read with plain commands so listing many queues stays cheap.
 */
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../../redis/connect.js';
import { clusterProblem, workerNameMatcher } from './bull.js';
import { discoverQueues, queueCounts, type DiscoverOptions, type QueueCounts, type QueueRef } from './discovery.js';

export interface QueueSummary extends QueueRef {
  counts: QueueCounts;
  /** The queue is paused (meta `paused` flag). */
  isPaused: boolean;
  /** Workers connected to this queue; null when unknown (CLIENT LIST denied or unavailable). */
  workers: number | null;
  /** Age of the oldest job in the wait list, in ms; null when nothing waits. */
  oldestWaitingAgeMs: number | null;
  /** Entries in the `events` stream (XLEN). */
  eventsLength: number;
  /** Set when BullMQ cannot operate on this queue here (e.g. non-hash-tagged prefix on a cluster). */
  problem?: string;
}

export interface ListQueuesOptions {
  /** BullMQ prefixes to look under (config `queues.prefixes`). */
  prefixes: string[];
  signal?: AbortSignal;
  /** SCAN COUNT hint for discovery. */
  count?: number;
  /** Clock for ages (tests). */
  now?: number;
  /** Told of keys that look like a queue's but do not have BullMQ's shapes (left out). */
  onMalformed?: DiscoverOptions['onMalformed'];
}

const PARALLEL_QUEUES = 32;

/** Discover every queue and summarise each one. Sorted by key. */
export async function listQueues(connection: RedisConnection, options: ListQueuesOptions): Promise<QueueSummary[]> {
  const refs = await discoverQueues(connection, options.prefixes, { signal: options.signal, count: options.count, onMalformed: options.onMalformed });
  return summarizeQueues(connection, refs, options.now);
}

/** Summaries of the given queues (workers from one CLIENT LIST per master, shared by all). */
export async function summarizeQueues(connection: RedisConnection, refs: QueueRef[], now = Date.now()): Promise<QueueSummary[]> {
  const clientNames = await readClientNames(connection);
  const summaries: QueueSummary[] = [];
  for (let i = 0; i < refs.length; i += PARALLEL_QUEUES) {
    const slice = refs.slice(i, i + PARALLEL_QUEUES);
    summaries.push(...(await Promise.all(slice.map((ref) => summarize(connection, ref, clientNames, now)))));
  }
  return summaries;
}

async function summarize(connection: RedisConnection, ref: QueueRef, clientNames: string[][] | null, now: number): Promise<QueueSummary> {
  const c = connection.client;
  const [counts, pausedFlag, eventsLength, oldest] = await Promise.all([
    queueCounts(connection, ref),
    c.hget(`${ref.key}:meta`, 'paused'),
    c.xlen(`${ref.key}:events`),
    oldestWaitingTimestamp(connection, ref),
  ]);
  const summary: QueueSummary = {
    ...ref,
    counts,
    isPaused: pausedFlag === '1',
    workers: clientNames === null ? null : countWorkers(ref, clientNames),
    oldestWaitingAgeMs: oldest === null ? null : Math.max(0, now - oldest),
    eventsLength,
  };
  const problem = clusterProblem(connection, ref);
  if (problem) summary.problem = problem;
  return summary;
}

/**
 * Workers of `ref` given each node's client names: BullMQ names a worker's connections
 * `<prefix>:<base64 name>[:w:<worker name>]`; on a cluster, the node with the most of them counts
 * (a worker's connections can show up on several nodes), as `Queue.getWorkers` does.
 */
export function countWorkers(ref: QueueRef, clientNamesPerNode: string[][]): number {
  const matches = workerNameMatcher(ref);
  return Math.max(0, ...clientNamesPerNode.map((names) => names.filter(matches).length));
}

/** The `name=` of every client, per master; null when CLIENT LIST is denied or missing. */
export async function readClientNames(connection: RedisConnection): Promise<string[][] | null> {
  try {
    return await Promise.all(connection.masters().map(async (node: Redis) => parseClientNames((await node.call('CLIENT', 'LIST')) as string)));
  } catch (error) {
    if (isClientListUnavailable(error)) return null;
    throw connection.wrapError(error);
  }
}

/** NOPERM (ACL), or a managed service that renamed/removed CLIENT. */
export function isClientListUnavailable(error: unknown): boolean {
  return /NOPERM|unknown command|unknown subcommand/i.test(String((error as Error)?.message ?? error));
}

function parseClientNames(list: string): string[] {
  const names: string[] = [];
  for (const line of list.split(/\r?\n/)) {
    const match = / name=(\S*)/.exec(` ${line}`);
    if (match?.[1]) names.push(match[1]);
  }
  return names;
}

/** `timestamp` of the job at the tail (oldest end) of the wait list, or of the legacy paused list. */
async function oldestWaitingTimestamp(connection: RedisConnection, ref: QueueRef): Promise<number | null> {
  const c = connection.client;
  const tails = await Promise.all([c.lindex(`${ref.key}:wait`, -1), c.lindex(`${ref.key}:paused`, -1)]);
  const ids = tails.filter((id): id is string => id !== null && !id.startsWith('0:'));
  if (ids.length === 0) return null;
  const stamps = await Promise.all(ids.map((id) => c.hget(`${ref.key}:${id}`, 'timestamp')));
  const values = stamps.map(Number).filter((n) => Number.isFinite(n) && n > 0);
  return values.length === 0 ? null : Math.min(...values);
}
