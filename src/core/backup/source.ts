/**
 * Which server a backup comes from (recorded in the header) and which server a restore goes to:
 * flavor and version, the facts needed to explain a payload the target cannot read.
 */
import type { RedisConnection } from '../../redis/connect.js';
import { compareVersions, identify, nodeInfo } from '../../redis/server-info.js';
import type { BackupSource } from './format.js';

/** INFO of every master; the oldest version is reported (that is what limits a restore). */
export async function describeServer(connection: RedisConnection): Promise<BackupSource> {
  const masters = connection.masters();
  const infos = await Promise.all(masters.map((node) => nodeInfo(node, 'server')));
  let chosen = infos[0] ?? {};
  for (const info of infos) if (compareVersions(identify(info).version, identify(chosen).version) < 0) chosen = info;
  const id = identify(chosen);
  return {
    target: connection.target,
    mode: connection.mode,
    flavor: id.flavor,
    version: id.version,
    redisVersion: id.redisVersion,
    valkeyVersion: chosen.valkey_version ?? null,
    masters: masters.map((node) => connection.nodeName(node)),
  };
}

/** "Valkey 8.0.1" / "Redis 7.0.15". */
export function serverLabel(source: Pick<BackupSource, 'flavor' | 'version'>): string {
  const name = source.flavor === 'valkey' ? 'Valkey' : source.flavor === 'redis' ? 'Redis' : source.flavor;
  return `${name} ${source.version}`;
}
