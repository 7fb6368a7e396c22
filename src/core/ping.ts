/**
 * `ping`: which server this is, how it is laid out, how fast it answers and how many keys each
 * master holds.
 */
import type { Redis } from 'ioredis';
import type { ConnectionMode, RedisConnection } from '../redis/connect.js';
import { identify, parseInfo, type ServerFlavor } from '../redis/server-info.js';
import { compareNodeNames } from '../redis/node-order.js';

export interface NodePing {
  /** `host:port` of the master. */
  address: string;
  flavor: ServerFlavor;
  version: string;
  /** Median round trip of a few PINGs, in milliseconds. */
  latencyMs: number;
  /** DBSIZE of the selected database on this master. */
  keys: number;
  uptimeSeconds: number;
}

export interface PingResult {
  target: string;
  mode: ConnectionMode;
  flavor: ServerFlavor;
  version: string;
  masters: NodePing[];
  totalKeys: number;
  /** Worst of the per-master latencies. */
  latencyMs: number;
}

const SAMPLES = 5;

/** Ask every master for its identity, latency and key count, in parallel. */
export async function collectPing(connection: RedisConnection): Promise<PingResult> {
  try {
    const masters = await Promise.all(connection.masters().map((node) => pingNode(connection, node)));
    masters.sort((a, b) => compareNodeNames(a.address, b.address));
    const first = masters[0];
    return {
      target: connection.target,
      mode: connection.mode,
      flavor: first?.flavor ?? 'redis',
      version: first?.version ?? 'unknown',
      masters,
      totalKeys: masters.reduce((sum, m) => sum + m.keys, 0),
      latencyMs: Math.max(0, ...masters.map((m) => m.latencyMs)),
    };
  } catch (error) {
    throw connection.wrapError(error);
  }
}

async function pingNode(connection: RedisConnection, node: Redis): Promise<NodePing> {
  const info = parseInfo(await node.info('server'));
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const start = process.hrtime.bigint();
    await node.ping();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const id = identify(info);
  return {
    address: connection.nodeName(node),
    flavor: id.flavor,
    version: id.version,
    latencyMs: Math.round(samples[Math.floor(SAMPLES / 2)]! * 1000) / 1000,
    keys: await node.dbsize(),
    uptimeSeconds: Number(info.uptime_in_seconds ?? 0),
  };
}
