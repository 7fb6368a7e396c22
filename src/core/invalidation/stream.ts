/**
 * The Redis stream commands of the invalidation consumer, with their replies parsed. Every command
 * names the stream key, so on a cluster client it routes to the node that holds the stream.
 */
import type { RedisClient } from '../../redis/connect.js';
import { int, runScript } from '../scripts/index.js';
import { trimmedKey } from './keys.js';

/** One stream entry; `fields` is null for an entry trimmed from the stream while still pending. */
export interface StreamEntry {
  id: string;
  fields: string[] | null;
}

/** Where the consumer reads and who it is. */
export interface GroupRef {
  stream: string;
  group: string;
  consumer: string;
}

/**
 * Create the consumer group (and the stream) if missing. The group starts at the beginning of the
 * stream, so events published before the first listener ran are applied too, having read none of
 * them (ENTRIESREAD 0: its lag, and what a trim took from it, can be told). True when created.
 */
export async function ensureGroup(client: RedisClient, stream: string, group: string): Promise<boolean> {
  try {
    await client.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM', 'ENTRIESREAD', '0');
    return true;
  } catch (error) {
    const message = String((error as Error)?.message);
    if (/BUSYGROUP/.test(message)) return false;
    // Servers before 7.0 know no ENTRIESREAD (nor lag).
    if (/syntax|wrong number/i.test(message)) {
      try {
        await client.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM');
        return true;
      } catch (again) {
        if (/BUSYGROUP/.test(String((again as Error)?.message))) return false;
        throw again;
      }
    }
    throw error;
  }
}

/** What `readNew` found: entries, and the trimmed gap it counted if it found the group caught up. */
export interface NewEntries {
  entries: StreamEntry[];
  /** Entries trimmed before the group read them, counted now (added to the stream's trimmed counters). */
  trimmed: number;
  /** The group was caught up, so every gap it had jumped was counted (false after a full batch). */
  counted: boolean;
}

/**
 * Read up to `count` new entries without blocking (read-new.lua); when that leaves the group caught
 * up, count the entries the stream cap trimmed before the group read them. `count` 0 reads nothing
 * and only counts, if the group is caught up.
 */
export async function readNew(client: RedisClient, ref: GroupRef, count: number): Promise<NewEntries> {
  const reply = await runScript(client, 'read-new', false, [Buffer.from(ref.stream), Buffer.from(trimmedKey(ref.stream))], [ref.group, ref.consumer, count]);
  const read = reply[1] as Array<[Buffer, Array<[Buffer, Buffer[] | null]>]> | null;
  const entries = read?.[0]?.[1] ?? [];
  return {
    entries: entries.map(([id, fields]) => ({ id: id.toString(), fields: fields ? fields.map((f) => f.toString()) : null })),
    trimmed: int(reply[0]),
    counted: int(reply[2]) === 1,
  };
}

/** Count entries trimmed while pending (they came back without content). */
export async function countTrimmedPending(client: RedisClient, stream: string, n: number): Promise<void> {
  if (n <= 0) return;
  const key = trimmedKey(stream);
  await client.hincrby(key, 'pending', n);
  await client.hset(key, 'lastAt', String(Date.now()));
}

/** XREADGROUP: `id` is `>` for new entries, or an id to re-read this consumer's pending ones after it. */
export async function readGroup(client: RedisClient, ref: GroupRef, id: string, count: number, blockMs?: number): Promise<StreamEntry[]> {
  const block = blockMs === undefined ? [] : ['BLOCK', String(blockMs)];
  const reply = (await client.call('XREADGROUP', 'GROUP', ref.group, ref.consumer, 'COUNT', String(count), ...block, 'STREAMS', ref.stream, id)) as Array<
    [string, Array<[string, string[] | null]>]
  > | null;
  if (!reply || reply.length === 0) return [];
  return parseEntries(reply[0]![1]);
}

/** XAUTOCLAIM entries idle at least `minIdleMs` (a dead consumer's) for `ref.consumer`. */
export async function autoClaim(
  client: RedisClient,
  ref: GroupRef,
  minIdleMs: number,
  start: string,
  count: number,
): Promise<{ next: string; entries: StreamEntry[]; deleted: string[] }> {
  const reply = (await client.call('XAUTOCLAIM', ref.stream, ref.group, ref.consumer, String(minIdleMs), start, 'COUNT', String(count))) as [
    string,
    Array<[string, string[] | null] | null>,
    string[]?,
  ];
  return { next: reply[0], entries: parseEntries(reply[1]), deleted: reply[2] ?? [] };
}

/** Reset the idle time of entries this consumer is still working on (no delivery counted). */
export async function touch(client: RedisClient, ref: GroupRef, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.call('XCLAIM', ref.stream, ref.group, ref.consumer, '0', ...ids, 'JUSTID');
}

/** XACK; returns how many were still pending. */
export async function ack(client: RedisClient, ref: Omit<GroupRef, 'consumer'>, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return (await client.call('XACK', ref.stream, ref.group, ...ids)) as number;
}

/** How many times an entry was delivered (XPENDING), or undefined when it is not pending. */
export async function deliveries(client: RedisClient, ref: Omit<GroupRef, 'consumer'>, id: string): Promise<number | undefined> {
  const reply = (await client.call('XPENDING', ref.stream, ref.group, id, id, '1')) as Array<[string, string, number, number]>;
  return reply[0]?.[3];
}

/**
 * Remove consumers that hold nothing and have not been seen for `idleMs` (listeners that exited;
 * with `<host>-<pid>` names every restart adds one). Returns the names removed.
 */
export async function pruneConsumers(client: RedisClient, ref: GroupRef, idleMs: number): Promise<string[]> {
  const rows = (await client.call('XINFO', 'CONSUMERS', ref.stream, ref.group)) as unknown[][];
  const removed: string[] = [];
  for (const row of rows) {
    const info: Record<string, unknown> = {};
    for (let i = 0; i + 1 < row.length; i += 2) info[String(row[i])] = row[i + 1];
    const name = String(info.name);
    if (name === ref.consumer || Number(info.pending) !== 0 || Number(info.idle) < idleMs) continue;
    // DELCONSUMER drops the consumer's pending entries too: only ever for consumers with none.
    await client.call('XGROUP', 'DELCONSUMER', ref.stream, ref.group, name);
    removed.push(name);
  }
  return removed;
}

function parseEntries(raw: Array<[string, string[] | null] | null> | null | undefined): StreamEntry[] {
  const out: StreamEntry[] = [];
  for (const item of raw ?? []) {
    if (!item) continue;
    out.push({ id: item[0], fields: item[1] ?? null });
  }
  return out;
}
