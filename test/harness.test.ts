// Tests of the test harness itself: the shared servers are real and the lifecycle helpers clean up.
import { existsSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startCluster, startServer, type ClusterHandle, type ServerHandle } from './helpers/servers.js';
import { describeValkey, randomPrefix, serverTargets } from './helpers/targets.js';

const servers = inject('servers');

// Every client/server a test opens is closed here, even when an assertion fails mid-test.
// Newest first, so clients disconnect before their server stops (no reconnect noise).
const cleanups: Array<() => Promise<unknown> | void> = [];
async function cleanUp(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn();
}
afterEach(cleanUp);
function client(url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 1 });
  cleanups.push(() => c.disconnect());
  return c;
}
function track<T extends ServerHandle | ClusterHandle>(h: T): T {
  cleanups.push(() => h.stop());
  return h;
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** slot -> port of the master that owns it, from CLUSTER SHARDS (flat key/value arrays). */
async function slotOwners(c: Redis): Promise<(slot: number) => number> {
  const shards = (await c.call('CLUSTER', 'SHARDS')) as unknown[][];
  const ranges: Array<{ from: number; to: number; port: number }> = [];
  for (const shard of shards) {
    const fields = pairs(shard);
    const slots = fields.get('slots') as number[];
    const master = (fields.get('nodes') as unknown[][]).map(pairs).find((n) => n.get('role') === 'master');
    const port = Number(master?.get('port'));
    for (let i = 0; i < slots.length; i += 2) ranges.push({ from: slots[i]!, to: slots[i + 1]!, port });
  }
  return (slot) => {
    const range = ranges.find((r) => slot >= r.from && slot <= r.to);
    if (!range) throw new Error(`no owner for slot ${slot}`);
    return range.port;
  };
}
function pairs(flat: unknown[]): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (let i = 0; i < flat.length; i += 2) map.set(String(flat[i]), flat[i + 1]);
  return map;
}

describe('shared standalone redis', () => {
  it('answers PING and reports a redis_version', async () => {
    const c = client(servers.redis.url);
    expect(await c.ping()).toBe('PONG');
    const info = await c.info('server');
    expect(infoField(info, 'redis_version')).toMatch(/^\d+\.\d+\.\d+$/);
    expect(infoField(info, 'tcp_port')).toBe(String(servers.redis.port));
  });

  it('is listed by serverTargets() together with the cluster', () => {
    const names = serverTargets().map((t) => t.name);
    expect(names.slice(0, 2)).toEqual(['redis', 'cluster']);
    expect(serverTargets().find((t) => t.name === 'cluster')?.cluster).toBe(true);
    expect(randomPrefix('x')).toMatch(/^t:x:[0-9a-f]{8}:$/);
  });
});

describe('shared cluster', () => {
  it('every master reports cluster_state:ok with all 16384 slots assigned', async () => {
    expect(servers.cluster.masters).toHaveLength(3);
    for (const m of servers.cluster.masters) {
      const info = String(await client(`redis://${m.host}:${m.port}`).call('CLUSTER', 'INFO'));
      expect(infoField(info, 'cluster_state'), `master :${m.port}`).toBe('ok');
      expect(infoField(info, 'cluster_slots_assigned'), `master :${m.port}`).toBe('16384');
      expect(infoField(info, 'cluster_known_nodes'), `master :${m.port}`).toBe('3');
    }
  });

  it('a Cluster client writes keys that land on all three masters', async () => {
    const direct = client(servers.cluster.url);
    const ownerOf = await slotOwners(direct);
    // Find one key per master by asking the server which slot each candidate hashes to.
    const prefix = randomPrefix('harness');
    const keyByPort = new Map<number, string>();
    for (let i = 0; keyByPort.size < 3 && i < 1000; i++) {
      const key = `${prefix}${i}`;
      const port = ownerOf(Number(await direct.call('CLUSTER', 'KEYSLOT', key)));
      if (!keyByPort.has(port)) keyByPort.set(port, key);
    }
    expect([...keyByPort.keys()].sort()).toEqual(servers.cluster.masters.map((m) => m.port).sort());

    const cluster = new Cluster(servers.cluster.masters, { redisOptions: { maxRetriesPerRequest: 1 } });
    cleanups.push(() => cluster.disconnect());
    for (const [port, key] of keyByPort) await cluster.set(key, `v@${port}`, 'EX', 60);
    for (const [port, key] of keyByPort) {
      expect(await cluster.get(key)).toBe(`v@${port}`);
      // A plain connection to the owner serves the key without redirect; any other master says MOVED.
      expect(await client(`redis://127.0.0.1:${port}`).get(key)).toBe(`v@${port}`);
      const other = servers.cluster.masters.find((m) => m.port !== port)!;
      await expect(client(`redis://127.0.0.1:${other.port}`).get(key)).rejects.toThrow(/MOVED/);
    }
  });
});

describeValkey('shared valkey', () => {
  it('is really Valkey', async () => {
    const info = await client(servers.valkey!.url).info('server');
    const isValkey = infoField(info, 'server_name') === 'valkey' || infoField(info, 'valkey_version') !== undefined;
    expect(isValkey, info).toBe(true);
    expect(serverTargets().map((t) => t.name)).toContain('valkey');
  });
});

describe('startServer lifecycle', () => {
  it('stop() leaves no process and no temp dir, and is idempotent', async () => {
    const s = track(await startServer());
    expect(s.dir).toMatch(/cachectl-test-/);
    expect(existsSync(`${s.dir}/server.log`)).toBe(true);
    expect(isRunning(s.pid)).toBe(true);
    expect(await client(s.url).ping()).toBe('PONG');

    await cleanUp(); // disconnects the client, then stops s
    await Promise.all([s.stop(), s.stop()]);
    expect(() => process.kill(s.pid, 0)).toThrow();
    expect(existsSync(s.dir)).toBe(false);
    await s.stop();
  });

  it('kill() SIGKILLs but keeps the dir until stop()', async () => {
    const s = track(await startServer());
    const pid = s.pid;
    await s.kill();
    await s.kill();
    expect(isRunning(pid)).toBe(false);
    expect(existsSync(s.dir)).toBe(true);
    await s.stop();
    expect(existsSync(s.dir)).toBe(false);
  });

  it('restart() with persistence keeps keys across a clean restart and a crash', async () => {
    const s = track(await startServer({ persistence: true }));
    const { port, dir } = s;
    const firstPid = s.pid;
    let c = client(s.url);
    expect(infoField(await c.info('persistence'), 'aof_enabled')).toBe('1');
    await c.set('k', 'before-restart');
    c.disconnect();

    await s.restart();
    expect(s.pid).not.toBe(firstPid);
    expect(isRunning(firstPid)).toBe(false);
    expect([s.port, s.dir]).toEqual([port, dir]);
    c = client(s.url);
    expect(await c.get('k')).toBe('before-restart');

    // appendfsync always: an acknowledged write survives SIGKILL.
    await c.set('k2', 'before-crash');
    c.disconnect();
    await s.kill();
    await s.restart();
    c = client(s.url);
    expect(await c.mget('k', 'k2')).toEqual(['before-restart', 'before-crash']);
  });

  it('without persistence a restart starts empty', async () => {
    const s = track(await startServer());
    let c = client(s.url);
    await c.set('k', 'v');
    c.disconnect();
    await s.restart();
    c = client(s.url);
    expect(await c.dbsize()).toBe(0);
  });

  it('a server that cannot start fails with its own output quoted and cleans up', async () => {
    const err = await startServer({ args: ['--no-such-directive', 'x'] }).then(
      () => new Error('should not start'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(/exited early/);
    expect(err.message).toMatch(/no-such-directive/);
    const dir = /temp dir (\S+) removed/.exec(err.message)?.[1];
    expect(dir).toMatch(/cachectl-test-/);
    expect(existsSync(dir!)).toBe(false);
  });

  it('a pinned port that is busy is reported, not silently moved', async () => {
    const s = track(await startServer());
    await expect(startServer({ port: s.port })).rejects.toThrow(/Address already in use|bind/);
  });
});

describe('startCluster with replicas', () => {
  it('forms 2 masters + 1 replica each, and stop() removes every process and dir', async () => {
    const cl = track(await startCluster({ masters: 2, replicasPerMaster: 1 }));
    expect(cl.nodes).toHaveLength(4);
    expect(cl.masters.map((m) => m.port)).toEqual(cl.nodes.slice(0, 2).map((n) => n.port));
    for (const [i, node] of cl.nodes.entries()) {
      const role = (await client(node.url).call('ROLE')) as unknown[];
      expect(role[0], `node ${i}`).toBe(i < 2 ? 'master' : 'slave');
      if (i >= 2) expect(role[2], `replica ${i} follows its master`).toBe(cl.nodes[i - 2]!.port);
    }
    const cluster = new Cluster(cl.masters, { redisOptions: { maxRetriesPerRequest: 1 } });
    cleanups.push(() => cluster.disconnect());
    await cluster.set('{a}k', '1');
    expect(await cluster.get('{a}k')).toBe('1');

    await cleanUp(); // disconnects the clients, then cl.stop()
    await cl.stop();
    for (const node of cl.nodes) {
      expect(isRunning(node.pid)).toBe(false);
      expect(existsSync(node.dir)).toBe(false);
    }
  });
});
