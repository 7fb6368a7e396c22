/**
 * Can the target read these payloads? Asked without writing anything: `RESTORE probe 1 <payload>
 * ABSTTL` checks the payload's RDB version and checksum, then drops the key because its absolute
 * expiry (1 ms after the epoch) has passed — the key is never created. Every master is asked, so a
 * cluster half-way through an upgrade is caught too.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../../redis/connect.js';
import { BackupIncompatibleError, PAYLOAD_REJECTED } from './errors.js';
import type { BackupSource } from './format.js';
import { createRouter } from '../../redis/topology.js';
import { serverLabel } from './source.js';

/** Throw `BackupIncompatibleError` naming both versions if any master rejects a sample payload. */
export async function probeTarget(connection: RedisConnection, samples: Map<number, Buffer>, source: BackupSource, target: BackupSource): Promise<void> {
  if (samples.size === 0) return;
  const probes = probeKeys(connection);
  for (const { node, key } of probes) {
    for (const [version, payload] of samples) {
      try {
        await node.call('RESTORE', key, '1', payload, 'ABSTTL');
      } catch (error) {
        const message = (error as Error).message ?? String(error);
        if (/syntax error/i.test(message)) return; // no ABSTTL (Redis < 5): restore will tell
        if (!PAYLOAD_REJECTED.test(message)) throw connection.wrapError(error);
        throw incompatible(version, source, target, `${connection.nodeName(node)}: ${message}`);
      }
    }
  }
}

/** The error for a payload the target rejects, naming both servers. */
export function incompatible(rdbVersion: number, source: BackupSource, target: BackupSource, detail: string): BackupIncompatibleError {
  return new BackupIncompatibleError(
    `${serverLabel(target)} cannot read this backup: its payloads are RDB version ${rdbVersion}, written by ${serverLabel(source)} (${detail.replace(/^ERR\s*/, '')})`,
    {
      hint: `restore into ${serverLabel(source)} or a newer server of the same kind; nothing was restored`,
    },
  );
}

/** One key per master that hashes to a slot the master serves (any key on a single node). */
function probeKeys(connection: RedisConnection): Array<{ node: Redis; key: Buffer }> {
  const base = `cachectl:restore-probe:${randomBytes(6).toString('hex')}:`;
  const masters = connection.masters();
  const route = createRouter(connection);
  const found = new Map<Redis, Buffer>();
  for (let i = 0; i < 100_000 && found.size < masters.length; i++) {
    const key = Buffer.from(`${base}{${i}}`);
    for (const group of route([key], (k) => k).groups) if (!found.has(group.node)) found.set(group.node, key);
  }
  return [...found].map(([node, key]) => ({ node, key }));
}
