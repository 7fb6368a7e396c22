// A real Redis/Valkey cluster for tests, formed from Node with plain cluster commands
// (no `redis-cli --cluster`, so it works the same for both binaries and needs no TTY).
import { Redis } from 'ioredis';
import { HOST, startNode, type NodeHandle, type ServerBinary, type ServerHandle } from './server-process.js';

export interface ClusterHandle {
  /** Masters first, then replicas (grouped by master: all replicas of master 0, then 1, ...). */
  nodes: ServerHandle[];
  masters: { host: string; port: number }[];
  /** redis://127.0.0.1:<first master port> */
  url: string;
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  binary?: ServerBinary;
  /**
   * false: replicas never take over by themselves (`cluster-replica-no-failover yes`), only on
   * CLUSTER FAILOVER. Tests that kill masters use it, so a live master that misses the 2 s node
   * timeout on a loaded machine is not replaced behind the test's back.
   */
  autoFailover?: boolean;
}

const SLOTS = 16384;
const CONVERGE_TIMEOUT_MS = 20_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startCluster(opts: StartClusterOptions = {}): Promise<ClusterHandle> {
  const masterCount = opts.masters ?? 3;
  const replicasPerMaster = opts.replicasPerMaster ?? 0;
  if (!Number.isInteger(masterCount) || masterCount < 1) throw new Error(`masters must be >= 1, got ${masterCount}`);
  if (!Number.isInteger(replicasPerMaster) || replicasPerMaster < 0) {
    throw new Error(`replicasPerMaster must be >= 0, got ${replicasPerMaster}`);
  }
  const total = masterCount * (1 + replicasPerMaster);

  const started = await Promise.allSettled(
    Array.from({ length: total }, () =>
      startNode({ binary: opts.binary ?? 'redis-server', cluster: true, args: opts.autoFailover === false ? ['--cluster-replica-no-failover', 'yes'] : [] }),
    ),
  );
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await formCluster(nodes, masterCount, replicasPerMaster);
  } catch (err) {
    await stop();
    throw err;
  }

  const masters = nodes.slice(0, masterCount).map((n) => ({ host: n.host, port: n.port }));
  return { nodes, masters, url: `redis://${HOST}:${masters[0]!.port}`, stop };
}

async function formCluster(nodes: NodeHandle[], masterCount: number, replicasPerMaster: number): Promise<void> {
  // No reconnects: a dying node should surface as an error, not a silent retry loop.
  const clients = nodes.map((n) => new Redis({ host: n.host, port: n.port, retryStrategy: () => null, maxRetriesPerRequest: 1 }));
  try {
    const ids = await Promise.all(clients.map(async (c) => asString(await c.call('CLUSTER', 'MYID'))));
    const masterOf = (i: number): number => Math.floor((i - masterCount) / replicasPerMaster);

    // Even split of the slot space; the last master absorbs the rounding remainder.
    await Promise.all(
      clients.slice(0, masterCount).map((c, i) => {
        const first = Math.floor((i * SLOTS) / masterCount);
        const last = Math.floor(((i + 1) * SLOTS) / masterCount) - 1;
        return c.call('CLUSTER', 'ADDSLOTSRANGE', String(first), String(last));
      }),
    );

    // A distinct config epoch per node, as `redis-cli --cluster create` sets them. Left to the
    // collision rule, a replica could keep the same epoch as its master; a later TAKEOVER then
    // claims the slots without a greater epoch and the other nodes never accept it.
    await Promise.all(clients.map((c, i) => c.call('CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1))));

    // Everyone meets node 0; gossip spreads the rest. The bus port is explicit (see --cluster-port).
    const seed = nodes[0]!;
    await Promise.all(clients.slice(1).map((c) => c.call('CLUSTER', 'MEET', seed.host, String(seed.port), String(seed.busPort))));

    // REPLICATE fails with "Unknown node" until the replica has learnt the master via gossip.
    await Promise.all(
      clients.slice(masterCount).map(async (c, k) => {
        const i = masterCount + k;
        const masterId = ids[masterOf(i)]!;
        await waitFor(`node :${nodes[i]!.port} to learn master ${masterId}`, async () => {
          const known = parseNodes(asString(await c.call('CLUSTER', 'NODES'))).get(masterId);
          return known && !known.flags.has('handshake') ? null : 'master not known yet';
        });
        await c.call('CLUSTER', 'REPLICATE', masterId);
      }),
    );

    await waitFor('the cluster to converge', async () => {
      for (const [i, c] of clients.entries()) {
        const issue = await nodeIssue(c, i, ids, masterCount, masterOf);
        if (issue) return `node :${nodes[i]!.port}: ${issue}`;
      }
      return null;
    });
  } finally {
    for (const c of clients) c.disconnect();
  }
}

/** Why node `i` is not yet a healthy member of the expected topology, or null when it is. */
async function nodeIssue(client: Redis, i: number, ids: string[], masterCount: number, masterOf: (i: number) => number): Promise<string | null> {
  const info = parseInfo(asString(await client.call('CLUSTER', 'INFO')));
  if (info.get('cluster_state') !== 'ok') return `cluster_state:${info.get('cluster_state')}`;
  if (info.get('cluster_slots_assigned') !== String(SLOTS)) {
    return `cluster_slots_assigned:${info.get('cluster_slots_assigned')}`;
  }
  const view = parseNodes(asString(await client.call('CLUSTER', 'NODES')));
  for (const [j, id] of ids.entries()) {
    const seen = view.get(id);
    if (!seen) return `does not know node ${id}`;
    for (const bad of ['handshake', 'fail', 'fail?', 'noaddr']) {
      if (seen.flags.has(bad)) return `sees ${id} as ${bad}`;
    }
    const wantMaster = j < masterCount;
    if (wantMaster && !seen.flags.has('master')) return `sees ${id} as ${[...seen.flags].join(',')}, not master`;
    if (!wantMaster && (!seen.flags.has('slave') || seen.masterId !== ids[masterOf(j)])) {
      return `sees ${id} as ${[...seen.flags].join(',')} of ${seen.masterId}`;
    }
  }
  if (i >= masterCount) {
    // Replicas are only useful to tests once the initial sync is done.
    const repl = parseInfo(asString(await client.call('INFO', 'replication')));
    if (repl.get('master_link_status') !== 'up') return `master_link_status:${repl.get('master_link_status')}`;
  }
  return null;
}

async function waitFor(what: string, check: () => Promise<string | null>): Promise<void> {
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
  let last = 'not checked yet';
  while (Date.now() < deadline) {
    try {
      const issue = await check();
      if (issue === null) return;
      last = issue;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${CONVERGE_TIMEOUT_MS} ms waiting for ${what}; last state: ${last}`);
}

function asString(reply: unknown): string {
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  throw new Error(`expected a string reply, got ${JSON.stringify(reply)}`);
}

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return fields;
}

interface NodeLine {
  flags: Set<string>;
  masterId: string;
}

/** CLUSTER NODES: "<id> <ip:port@bus> <flags> <master-id|-> <ping> <pong> <epoch> <link> <slots...>" */
function parseNodes(text: string): Map<string, NodeLine> {
  const nodes = new Map<string, NodeLine>();
  for (const line of text.split('\n')) {
    const [id, , flags, masterId] = line.trim().split(' ');
    if (id && flags && masterId) nodes.set(id, { flags: new Set(flags.split(',')), masterId });
  }
  return nodes;
}
