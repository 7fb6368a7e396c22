/**
 * The masters to work on, once they are known. A Cluster client learns its nodes only after
 * connecting; scanning before that would silently cover nothing, so wait for it (bounded).
 */
import { Cluster, type Redis } from 'ioredis';
import { ConnectionError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';

const READY_TIMEOUT_MS = 10_000;

/** `connection.masters()`, after waiting for a cluster client's slot map; never empty. */
export async function readyMasters(connection: RedisConnection): Promise<Redis[]> {
  const { client } = connection;
  if (client instanceof Cluster && client.status !== 'ready') {
    if (client.status === 'wait') await client.connect().catch(() => undefined);
    if ((client.status as string) !== 'ready') await onceReady(client);
  }
  const masters = connection.masters();
  if (masters.length === 0) {
    throw new ConnectionError(`No master nodes are known for ${connection.target}`, {
      hint: 'the cluster client is not connected; check the cluster is up (cluster_state:ok)',
    });
  }
  return masters;
}

function onceReady(cluster: Cluster): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      cluster.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, READY_TIMEOUT_MS);
    cluster.once('ready', done);
  });
}
