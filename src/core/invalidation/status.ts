/**
 * `listen --status`: how far behind the consumers are. Stream length, the group's lag (XINFO
 * GROUPS `lag`, Redis/Valkey ≥ 7), pending entries and the oldest one's idle time, the consumers,
 * and the dead letters waiting for a person.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';
import { trimmedKey } from './keys.js';

export interface ConsumerStatus {
  name: string;
  pending: number;
  /** ms since the consumer last talked to the group (a live listener reads every blockMs). */
  idleMs: number;
}

export interface ListenStatus {
  stream: string;
  /** False when nothing was ever published (the stream key does not exist). */
  exists: boolean;
  length: number;
  group: string;
  /** False when no listener ever ran (the group does not exist). */
  groupExists: boolean;
  /** Entries in the stream not yet delivered to the group (never more than the stream holds); null when the server cannot tell (Redis < 7). */
  lag: number | null;
  lastDeliveredId: string | null;
  pending: number;
  oldestPending: { id: string; consumer: string; idleMs: number; deliveries: number } | null;
  consumers: ConsumerStatus[];
  deadLetterStream: string;
  deadLetters: number;
  /** Entries the stream cap (`invalidation.maxLen`) trimmed before they were applied. */
  trimmed: TrimmedStatus;
}

export interface TrimmedStatus {
  /** Delivered, then trimmed before they were acknowledged. */
  pending: number;
  /** Trimmed before any listener read them (including a gap no listener has counted yet). */
  undelivered: number;
  total: number;
  /** Last time a listener counted a loss (ISO), null when never. */
  lastAt: string | null;
}

/** Collect the consumer-group status of `config.invalidation.stream`. */
export async function collectListenStatus(connection: RedisConnection, config: CachectlConfig): Promise<ListenStatus> {
  const { stream, group, deadLetterStream } = config.invalidation;
  const client = connection.client;
  try {
    const [type, length, deadLetters, counters] = await Promise.all([
      client.type(stream),
      client.xlen(stream),
      client.xlen(deadLetterStream),
      client.hgetall(trimmedKey(stream)),
    ]);
    const lastAt = Number(counters.lastAt ?? 0);
    const trimmed: TrimmedStatus = {
      pending: Number(counters.pending ?? 0),
      undelivered: Number(counters.undelivered ?? 0),
      total: 0,
      lastAt: lastAt > 0 ? new Date(lastAt).toISOString() : null,
    };
    const status: ListenStatus = {
      stream,
      exists: type === 'stream',
      length,
      group,
      groupExists: false,
      lag: null,
      lastDeliveredId: null,
      pending: 0,
      oldestPending: null,
      consumers: [],
      deadLetterStream,
      deadLetters,
      trimmed,
    };
    trimmed.total = trimmed.pending + trimmed.undelivered;
    if (type !== 'stream') return status;
    const groups = ((await client.call('XINFO', 'GROUPS', stream)) as unknown[][]).map(toObject);
    const info = groups.find((g) => g.name === group);
    if (!info) return status;
    status.groupExists = true;
    status.lastDeliveredId = typeof info['last-delivered-id'] === 'string' ? info['last-delivered-id'] : null;
    status.lag = await trueLag(connection, stream, info, length, trimmed);
    status.pending = Number(info.pending ?? 0);
    const [oldest, consumers] = await Promise.all([
      status.pending > 0 ? (client.call('XPENDING', stream, group, '-', '+', '1') as Promise<Array<[string, string, number, number]>>) : [],
      client.call('XINFO', 'CONSUMERS', stream, group) as Promise<unknown[][]>,
    ]);
    const first = oldest[0];
    if (first) status.oldestPending = { id: first[0], consumer: first[1], idleMs: Number(first[2]), deliveries: Number(first[3]) };
    status.consumers = consumers.map(toObject).map((c) => ({
      name: String(c.name),
      pending: Number(c.pending ?? 0),
      idleMs: Number(c.idle ?? 0),
    }));
    return status;
  } catch (error) {
    throw connection.wrapError(error);
  }
}

/**
 * The group's lag as entries still in the stream. The server's figure (entries-added - entries-read)
 * also counts entries trimmed before the group read them (ahead of it, or jumped by a read); those
 * are reported as trimmed instead (until a listener counts them, then resets the group's counter).
 */
async function trueLag(
  connection: RedisConnection,
  stream: string,
  info: Record<string, unknown>,
  length: number,
  trimmed: TrimmedStatus,
): Promise<number | null> {
  const raw = typeof info.lag === 'number' ? info.lag : null;
  const read = typeof info['entries-read'] === 'number' ? info['entries-read'] : null;
  const last = String(info['last-delivered-id'] ?? '0-0');
  const after = (await connection.client.xrange(stream, `(${last}`, '+', 'COUNT', 1)).length;
  if (after === 0) {
    // Caught up: what the server still calls lag is a gap a read jumped, not yet counted by a listener.
    if (raw !== null && raw > 0 && read !== null) {
      trimmed.undelivered += raw;
      trimmed.total += raw;
    }
    return 0;
  }
  if (raw !== null && raw <= length) return raw;
  // Past a trim: every entry still in the stream is after the group's position, or not.
  const first = (await connection.client.xrange(stream, '-', '+', 'COUNT', 1))[0]?.[0];
  if (first === undefined || compareIds(first, last) <= 0) return raw;
  if (raw !== null && read !== null) {
    trimmed.undelivered += raw - length;
    trimmed.total += raw - length;
  }
  return length;
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? (as === bs ? 0 : as > bs ? 1 : -1) : am > bm ? 1 : -1;
}

/** XINFO replies are flat `[name, value, name, value…]` arrays. */
function toObject(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}
