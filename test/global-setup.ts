// Vitest globalSetup: one standalone Redis, one 3-master Redis cluster and (when installed) one
// standalone Valkey per run, shared by every test file; tests isolate themselves by key prefix.
import type { TestProject } from 'vitest/node';
import type { ProvidedServers } from './helpers/provided.js';
import { hasBinary, startCluster, startServer } from './helpers/servers.js';

interface Stoppable {
  stop(): Promise<void>;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const began = Date.now();
  const withValkey = hasBinary('valkey-server');
  if (!withValkey && process.env.CI === 'true') {
    throw new Error('CI=true but valkey-server is not on PATH: run scripts/install-servers.sh');
  }

  // Start in parallel, remembering each success so a partial failure still cleans up.
  const started: Stoppable[] = [];
  const track = async <T extends Stoppable>(starting: Promise<T>): Promise<T> => {
    const handle = await starting;
    started.push(handle);
    return handle;
  };
  const teardown = async (): Promise<void> => {
    await Promise.allSettled(started.map((h) => h.stop()));
  };

  const [redis, cluster, valkey] = await Promise.allSettled([
    track(startServer({ binary: 'redis-server' })),
    track(startCluster({ masters: 3, replicasPerMaster: 0, binary: 'redis-server' })),
    withValkey ? track(startServer({ binary: 'valkey-server' })) : Promise.resolve(null),
  ]);
  if (redis.status === 'rejected' || cluster.status === 'rejected' || valkey.status === 'rejected') {
    await teardown();
    const reasons = [redis, cluster, valkey].flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    throw new Error(`global setup could not start the test servers:\n${reasons.join('\n')}`);
  }

  const servers: ProvidedServers = {
    redis: { url: redis.value.url, host: redis.value.host, port: redis.value.port },
    cluster: { url: cluster.value.url, masters: cluster.value.masters },
    valkey: valkey.value ? { url: valkey.value.url, host: valkey.value.host, port: valkey.value.port } : null,
  };
  project.provide('servers', servers);
  if (process.env.CACHECTL_TEST_DEBUG) {
    console.error(`[global-setup] servers ready in ${Date.now() - began} ms: ${JSON.stringify(servers)}`);
  }
  return teardown;
}
