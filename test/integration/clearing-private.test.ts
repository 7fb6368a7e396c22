// Runs that reach every key (`invalidate pattern '*'`, `clear-all --include-unknown`) and server
// conditions (LFU policy, ACL limits, out of memory) need servers of their own.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import type { CaptureEntry } from '../../src/core/keyspace/run.js';
import { invalidatePattern } from '../../src/core/operations/invalidate.js';
import { connect } from '../../src/redis/connect.js';
import { runCli } from '../helpers/cli.js';
import { hasBinary, startCluster, startServer, type ClusterHandle, type ServerHandle } from '../helpers/servers.js';

const QUEUE = ['bull:messages:wait', 'bull:messages:1', '{bull}:messages:meta'];
const CACHE = ['user:state:27821234567', 'tenant:default:mapping:conv:c-1', 'chats:d1:c1', 'context:S-1:summary'];
const UNKNOWN = ['feature-flags:rollout', 'x'];

function workDir(config: object): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-private-'));
  writeFileSync(
    path.join(dir, 'cachectl.config.json'),
    JSON.stringify({ queues: { prefixes: ['bull', '{bull}'] }, logs: { dir: path.join(dir, 'logs') }, ...config }),
  );
  return dir;
}

async function seed(client: Redis | Cluster): Promise<void> {
  await Promise.all([...QUEUE, ...CACHE, ...UNKNOWN].map((key) => client.set(key, 'v')));
}

async function existing(client: Redis | Cluster, keys: string[]): Promise<string[]> {
  const flags = await Promise.all(keys.map((key) => client.exists(key)));
  return keys.filter((_, i) => flags[i] === 1);
}

const kinds: Array<{ name: string; start: () => Promise<{ url: string; client: Redis | Cluster; stop: () => Promise<void> }> }> = [
  {
    name: 'redis',
    start: async () => {
      const server = await startServer({ binary: 'redis-server' });
      return { url: server.url, client: new Redis(server.port, '127.0.0.1'), stop: () => server.stop() };
    },
  },
  {
    name: 'cluster',
    start: async () => {
      const cluster: ClusterHandle = await startCluster({ masters: 3, binary: 'redis-server' });
      return { url: cluster.url, client: new Cluster(cluster.masters), stop: () => cluster.stop() };
    },
  },
];
if (hasBinary('valkey-server')) {
  kinds.push({
    name: 'valkey',
    start: async () => {
      const server = await startServer({ binary: 'valkey-server' });
      return { url: server.url, client: new Redis(server.port, '127.0.0.1'), stop: () => server.stop() };
    },
  });
}

describe.each(kinds)('everything-patterns on a private $name', (kind) => {
  let env: Awaited<ReturnType<(typeof kinds)[number]['start']>>;
  let dir: string;
  beforeAll(async () => {
    env = await kind.start();
    dir = workDir({});
  }, 60_000);
  afterAll(async () => {
    env?.client.disconnect();
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("invalidate pattern '*' --yes removes every key except queue keys", async () => {
    await seed(env.client);
    const result = await runCli(['invalidate', 'pattern', '*', '--yes', '--json', '--redis-url', env.url], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ deleted: CACHE.length + UNKNOWN.length, skippedQueueKeys: QUEUE.length, failed: 0 });
    expect(await existing(env.client, [...CACHE, ...UNKNOWN])).toEqual([]);
    expect(await existing(env.client, QUEUE)).toEqual(QUEUE);
  });

  it('clear-all keeps unknown and queue keys; --include-unknown takes the unknown ones too, never queues', async () => {
    await seed(env.client);
    const families = await runCli(['clear-all', '--yes', '--redis-url', env.url], { cwd: dir });
    expect(families.code, families.stderr).toBe(0);
    expect(await existing(env.client, CACHE)).toEqual([]);
    expect(await existing(env.client, [...UNKNOWN, ...QUEUE])).toEqual([...UNKNOWN, ...QUEUE]);
    const all = await runCli(['clear-all', '--include-unknown', '--yes', '--json', '--redis-url', env.url], { cwd: dir });
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({ targets: ['all keys (unknown included, queues and cachectl keys excluded)'], deleted: UNKNOWN.length });
    expect(await existing(env.client, QUEUE)).toEqual(QUEUE);
  });
});

describe('server conditions on a private redis', () => {
  let server: ServerHandle;
  let admin: Redis;
  let dir: string;
  beforeAll(async () => {
    server = await startServer({ binary: 'redis-server' });
    admin = new Redis(server.port, '127.0.0.1');
    dir = workDir({ families: { sessions: { template: 'session:{id}', ageField: 'updatedAt' } } });
    await admin.call('ACL', 'SETUSER', 'noconfig', 'on', '>pw-noconfig', '~*', '+@all', '-config');
    await admin.call('ACL', 'SETUSER', 'noscript', 'on', '>pw-noscript', '~*', '+@all', '-@scripting');
  }, 60_000);
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const url = (user?: string) => (user ? `redis://${user}:pw-${user}@127.0.0.1:${server.port}` : server.url);

  it('under an LFU policy, idle-time ageing fails with a pointer to ageField (also when CONFIG is denied)', async () => {
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lfu');
    try {
      await admin.set('chats:d:1', 'v');
      for (const who of [undefined, 'noconfig']) {
        const result = await runCli(['clear-old', '--hours', '1', '--redis-url', url(who)], { cwd: dir });
        expect(result.code, `${who}: ${result.stderr}`).toBe(2);
        expect(result.stderr).toMatch(/maxmemory-policy.* is LFU, which does not track idle time/);
        expect(result.stderr).toMatch(/hint: set "ageField"/);
      }
      // A family aged by a timestamp field does not need idle time.
      await admin.set('session:1', JSON.stringify({ updatedAt: new Date(Date.now() - 5 * 3_600_000).toISOString() }));
      const ok = await runCli(['clear-old', 'sessions', '--hours', '1', '--json', '--redis-url', url()], { cwd: dir });
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ deleted: 1 });
      expect(await admin.exists('chats:d:1')).toBe(1);
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });

  it('without scripting permission, pattern deletion falls back to SCAN + pipelined UNLINK', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => admin.set(`context:NS${i}`, 'v')));
    await admin.set('bull:q:1', 'job');
    const result = await runCli(['invalidate', 'pattern', 'context:NS*', '--yes', '--json', '--redis-url', url('noscript')], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ deleted: 50, failed: 0 });
    expect(await admin.exists('bull:q:1')).toBe(1);
  });

  it('without scripting permission, capture still gets exactly the deleted keys (MULTI per key)', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => admin.set(`context:NC${i}`, `v${i}`, 'EX', 600)));
    const connection = await connect({ url: url('noscript') });
    try {
      const captured: CaptureEntry[] = [];
      const summary = await invalidatePattern({ connection, config: resolveConfig({}) }, 'context:NC*', { capture: async (e) => void captured.push(...e) });
      expect(summary.deleted).toBe(30);
      expect(captured.map((e) => e.key.toString()).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `context:NC${i}`).sort());
      for (const entry of captured) await admin.callBuffer('RESTORE', entry.key, entry.ttlMs, entry.dump);
      expect(await admin.get('context:NC7')).toBe('v7');
      expect(await admin.ttl('context:NC7')).toBeGreaterThan(500);
    } finally {
      await connection.close();
    }
  });

  it('deletes while the server is out of memory (scripts carry allow-oom)', async () => {
    await Promise.all(Array.from({ length: 200 }, (_, i) => admin.set(`context:OOM${i}`, 'x'.repeat(200))));
    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    await admin.config('SET', 'maxmemory', String(Math.max(1024 * 1024, used - 10_000)));
    try {
      await expect(admin.set('probe', 'x'.repeat(100_000))).rejects.toThrow(/OOM/);
      const result = await runCli(['invalidate', 'pattern', 'context:OOM*', '--yes', '--json', '--redis-url', url()], { cwd: dir });
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ deleted: 200 });
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
  });
});
