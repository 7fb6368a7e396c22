/**
 * `listen --status`: how far behind the consumers are. Stream length, the group's lag (XINFO
 * GROUPS `lag`, Redis/Valkey ≥ 7), pending entries and the oldest one's idle time, the consumers,
 * and the dead letters waiting for a person.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';

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
  /** Entries not yet delivered to the group; null when the server cannot tell (Redis < 7, or after a trim). */
  lag: number | null;
  lastDeliveredId: string | null;
  pending: number;
  oldestPending: { id: string; consumer: string; idleMs: number; deliveries: number } | null;
  consumers: ConsumerStatus[];
  deadLetterStream: string;
  deadLetters: number;
}

/** Collect the consumer-group status of `config.invalidation.stream`. */
export async function collectListenStatus(connection: RedisConnection, config: CachectlConfig): Promise<ListenStatus> {
  const { stream, group, deadLetterStream } = config.invalidation;
  const client = connection.client;
  try {
    const [type, length, deadLetters] = await Promise.all([client.type(stream), client.xlen(stream), client.xlen(deadLetterStream)]);
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
    };
    if (type !== 'stream') return status;
    const groups = ((await client.call('XINFO', 'GROUPS', stream)) as unknown[][]).map(toObject);
    const info = groups.find((g) => g.name === group);
    if (!info) return status;
    status.groupExists = true;
    status.lag = typeof info.lag === 'number' ? info.lag : null;
    status.lastDeliveredId = typeof info['last-delivered-id'] === 'string' ? info['last-delivered-id'] : null;
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

/** XINFO replies are flat `[name, value, name, value…]` arrays. */
function toObject(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}
