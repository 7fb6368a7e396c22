/**
 * Reading keys for a backup: DUMP and PTTL of a batch, payloads kept as Buffers. One script call
 * per batch where the node allows it (dump-keys.lua), else a pipeline of DUMP + PTTL per key.
 * Keys that vanished between selection and DUMP are counted, not written.
 */
import type { Cluster, Redis } from 'ioredis';
import type { RedisConnection } from '../../redis/connect.js';
import { runScript } from '../scripts/index.js';
import { NO_EXPIRY, type BackupRecord } from './format.js';
import { isRedirect } from '../../redis/topology.js';
import { disableScripts, isScriptFallback, nodeMode } from './scripts.js';

export interface DumpResult {
  records: BackupRecord[];
  /** Keys that no longer existed (or expired) when DUMP ran. */
  missing: number;
  /** Payload bytes read (to size the next batch). */
  bytes: number;
}

/** DUMP + PTTL every key of `keys`, all served by `node`. */
export async function dumpKeys(connection: RedisConnection, node: Redis, keys: readonly Buffer[]): Promise<DumpResult> {
  if (keys.length === 0) return { records: [], missing: 0, bytes: 0 };
  const mode = await nodeMode(connection, node);
  if (mode.script) {
    // The send time makes expiries conservative: a restored key never outlives the original.
    const sentAt = Date.now();
    try {
      const reply = await runScript(node, 'dump-keys', mode.flags, [...keys], []);
      return collect(keys, (i) => [reply[2 * i] as Buffer | null, reply[2 * i + 1] as number], sentAt);
    } catch (error) {
      if (!isScriptFallback(error)) throw error;
      if (/^NOPERM/.test((error as Error).message)) disableScripts(node);
    }
  }
  return dumpPipelined(node, keys, connection.client);
}

/**
 * One pipeline of DUMP + PTTL per key. Keys the node redirects (a slot moved while we worked) are
 * retried through the cluster client, which routes them.
 */
export async function dumpPipelined(node: Redis | Cluster, keys: readonly Buffer[], router: Redis | Cluster): Promise<DumpResult> {
  const sentAt = Date.now();
  const pipeline = node.pipeline();
  for (const key of keys) pipeline.dumpBuffer(key).pttl(key);
  const replies = (await pipeline.exec()) ?? [];
  const moved: Buffer[] = [];
  const kept: Buffer[] = [];
  const values: Array<[Buffer | null, number]> = [];
  keys.forEach((key, i) => {
    const [dumpError, dump] = replies[2 * i] ?? [new Error('no reply'), null];
    const [ttlError, ttl] = replies[2 * i + 1] ?? [new Error('no reply'), null];
    if ((isRedirect(dumpError) || isRedirect(ttlError)) && router !== node) {
      moved.push(key);
      return;
    }
    if (dumpError) throw dumpError;
    if (ttlError) throw ttlError;
    kept.push(key);
    values.push([dump as Buffer | null, ttl as number]);
  });
  const result = collect(kept, (i) => values[i]!, sentAt);
  for (const key of moved) {
    const at = Date.now();
    const [dump, ttl] = await Promise.all([router.dumpBuffer(key), router.pttl(key)]);
    const record = toRecord(key, dump, ttl, at);
    if (record) {
      result.records.push(record);
      result.bytes += record.dump.length;
    } else result.missing++;
  }
  return result;
}

function collect(keys: readonly Buffer[], reply: (i: number) => [Buffer | null, number], at: number): DumpResult {
  const records: BackupRecord[] = [];
  let missing = 0;
  let bytes = 0;
  for (let i = 0; i < keys.length; i++) {
    const [dump, ttl] = reply(i);
    const record = toRecord(keys[i]!, dump, ttl, at);
    if (record) {
      records.push(record);
      bytes += record.dump.length;
    } else missing++;
  }
  return { records, missing, bytes };
}

/** A record from DUMP/PTTL replies; undefined when the key is gone (nil DUMP or PTTL -2). */
export function toRecord(key: Buffer, dump: Buffer | null, pttl: number, at: number): BackupRecord | undefined {
  if (dump === null || dump === undefined || pttl === -2) return undefined;
  return { key, dump, expireAtMs: pttl < 0 ? NO_EXPIRY : at + pttl };
}

/**
 * Batch sizes that keep about `targetBytes` of payload per call, learnt from what was read so
 * far: small keys go a full batch at a time, big values a few at a time (memory stays flat).
 */
export class BatchSizer {
  private keys = 0;
  private bytes = 0;

  constructor(
    private readonly maxKeys: number,
    private readonly targetBytes = 4 << 20,
  ) {}

  size(): number {
    if (this.keys === 0) return Math.min(this.maxKeys, 100);
    const average = Math.max(1, this.bytes / this.keys);
    return Math.max(1, Math.min(this.maxKeys, Math.floor(this.targetBytes / average)));
  }

  observe(result: DumpResult): void {
    this.keys += result.records.length;
    this.bytes += result.bytes;
  }
}
