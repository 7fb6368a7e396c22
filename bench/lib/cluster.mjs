// A throwaway Redis Cluster for benchmarks: N masters on free ports (explicit bus ports), slots
// split evenly, formed with plain cluster commands; stopped with the throwaway servers.
import net from 'node:net';
import { Redis } from 'ioredis';
import { startThrowawayServer } from '../../scripts/lib/throwaway-server.mjs';

const SLOTS = 16384;

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Start `masters` cluster nodes and form a cluster; resolves once cluster_state is ok everywhere. */
export async function startThrowawayCluster({ masters = 3, binary = 'redis-server' } = {}) {
  const nodes = [];
  for (let i = 0; i < masters; i++) {
    const busPort = await freePort();
    nodes.push(
      await startThrowawayServer({
        binary,
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', '--cluster-port', String(busPort)],
      }),
    );
    nodes[i].busPort = busPort;
  }
  const clients = nodes.map((n) => new Redis(n.port, '127.0.0.1', { maxRetriesPerRequest: 1 }));
  try {
    await Promise.all(
      clients.map((c, i) => c.call('CLUSTER', 'ADDSLOTSRANGE', String(Math.floor((i * SLOTS) / masters)), String(Math.floor(((i + 1) * SLOTS) / masters) - 1))),
    );
    await Promise.all(clients.slice(1).map((c) => c.call('CLUSTER', 'MEET', '127.0.0.1', String(nodes[0].port), String(nodes[0].busPort))));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO')));
      if (infos.every((text) => /cluster_state:ok/.test(text) && /cluster_known_nodes:(\d+)/.exec(text)?.[1] === String(masters))) break;
      if (Date.now() > deadline) throw new Error('the benchmark cluster did not converge in 20 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    for (const c of clients) c.disconnect();
  }
  return {
    url: `redis://127.0.0.1:${nodes[0].port}`,
    masters: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
