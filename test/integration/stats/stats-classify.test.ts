// The server-side classification (Lua patterns) must agree with FamilyMatcher (the client-side
// reference) on every key: random keys built from templates with awkward values, plus junk.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/load.js';
import { FamilyMatcher } from '../../../src/core/families.js';
import { KeyGuard } from '../../../src/core/guard.js';
import { collectStats } from '../../../src/core/stats/collect.js';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { describeValkey } from '../../helpers/targets.js';
import { startServer, type ServerBinary, type ServerHandle } from '../../helpers/servers.js';
import { seedConfig, seedPlan, writeSeed } from '../../helpers/stats-seed.js';

const config = resolveConfig({
  families: {
    dotted: { template: 'a.b%{x}-(y)' },
    tagged: { template: '{{tag}}:item:{id}' },
    openStart: { template: '{tenant}:profile' },
    ctx: { template: 'ctx:{id}:v1*' },
  },
  queues: { prefixes: ['bull', 'q.x'] },
});

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [...'ab:*%.-()[]?^$+{}\\ ', '\x00', '\xff', 'é'];

function keys(count: number, seed: number): Buffer[] {
  const next = random(seed);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;
  const value = () => Array.from({ length: Math.floor(next() * 5) }, () => pick(ALPHABET)).join('');
  const shapes = [
    () => `user:state:${value()}`,
    () => `tenant:${value()}:mapping:conv:${value()}`,
    () => `tenant:${value()}:mapping:wa:${value()}`,
    () => `chats:${value()}:${value()}`,
    () => `context:${value()}`,
    () => `a.b%${value()}-(y)`,
    () => `a.b%${value()}-(y)${value()}`,
    () => `{tag}:item:${value()}`,
    () => `${value()}:profile`,
    () => `${value()}:profile${value()}`,
    () => `ctx:${value()}:v1${value()}`,
    () => `bull:${value()}`,
    () => `q.x:${value()}`,
    () => `qx:${value()}`,
    () => value() + value(),
  ];
  const out = new Map<string, Buffer>();
  while (out.size < count) {
    const key = Buffer.from(pick(shapes)(), 'latin1');
    if (key.length > 0) out.set(key.toString('latin1'), key);
  }
  return [...out.values()];
}

describe('server-side classification agrees with FamilyMatcher', () => {
  let server: ServerHandle;
  let connection: RedisConnection;
  const written = keys(3000, 7);

  beforeAll(async () => {
    server = await startServer();
    const client = new Redis(server.url);
    await writeSeed(
      client,
      written.map((k) => [k, null]),
    );
    await client.quit();
    connection = await connect({ url: server.url });
  });

  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  it('counts every family, queue and unknown key as the reference matcher does', async () => {
    const matcher = new FamilyMatcher(Object.values(config.families));
    const guard = new KeyGuard(config);
    const want: Record<string, number> = {};
    let queue = 0;
    let unknown = 0;
    for (const key of written) {
      if (guard.protection(key) === 'queue') queue++;
      else {
        const family = matcher.familyOf(key);
        if (family) want[family] = (want[family] ?? 0) + 1;
        else unknown++;
      }
    }
    // Every shape must be represented, or the comparison proves little.
    expect(Object.keys(want).sort()).toEqual(Object.keys(config.families).sort());
    for (const exact of [true, false]) {
      const stats = await collectStats(connection, config, { exact, sample: exact ? 100 : 100_000 });
      const got = Object.fromEntries(stats.families.filter((f) => f.keys > 0).map((f) => [f.name, f.keys]));
      expect(got).toEqual(want);
      expect(stats.queueKeys.keys).toBe(queue);
      expect(stats.unknown.keys).toBe(unknown);
    }
  });
});

/** Paths of numbers in `value` that are NaN or infinite. */
function nonFinite(value: unknown, path = '$'): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path];
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nonFinite(v, `${path}.${k}`));
  return [];
}

describe('edge cases on a server of its own', () => {
  let server: ServerHandle;

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('an empty database gives zeros, not NaN, in every mode', async () => {
    const connection = await connect({ url: `${server.url}/5` });
    try {
      for (const exact of [true, false]) {
        const stats = await collectStats(connection, config, { exact });
        expect(stats.keyspace.keys).toBe(0);
        expect(stats.families.every((f) => f.keys === 0 && f.share === 0 && f.withoutTtlShare === 0 && f.ttl === null && f.memory === null)).toBe(true);
        expect(stats.unknown).toMatchObject({ keys: 0, share: 0, namespaces: [] });
        expect(nonFinite(stats)).toEqual([]);
      }
    } finally {
      await connection.close();
    }
  });

  it('works on the database of the URL and lists the others', async () => {
    const client = new Redis(server.url);
    await client.select(3);
    await client.set('user:state:+27820000001', 'v', 'EX', 100);
    await client.set('user:state:+27820000002', 'v');
    await client.select(0);
    await client.set('user:state:+27820000003', 'v');
    const connection = await connect({ url: `${server.url}/3` });
    try {
      const stats = await collectStats(connection, config, { exact: true });
      expect(stats.keyspace).toMatchObject({ keys: 2, keysWithExpiry: 1 });
      expect(stats.families.find((f) => f.name === 'userState')).toMatchObject({ keys: 2, withoutTtl: 1 });
      expect(stats.server.masters[0]!.dbs.map((d) => [d.db, d.keys])).toEqual([
        [0, 1],
        [3, 2],
      ]);
    } finally {
      await connection.close();
      await client.quit();
    }
  });
});

function valkeySmoke(binary: ServerBinary): void {
  let server: ServerHandle;
  let connection: RedisConnection;
  const { writes, expected } = seedPlan(1);

  beforeAll(async () => {
    server = await startServer({ binary });
    const client = new Redis(server.url);
    await writeSeed(client, writes);
    await client.quit();
    connection = await connect({ url: server.url });
  });

  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  it('counts the seeded content exactly and names the server', async () => {
    const stats = await collectStats(connection, resolveConfig(seedConfig('bull')), { exact: true, sample: 100 });
    expect(stats.server.flavor).toBe('valkey');
    expect(stats.keyspace.keys).toBe(expected.total);
    for (const [name, want] of Object.entries(expected.families)) {
      expect(stats.families.find((f) => f.name === name)).toMatchObject({ keys: want.keys, withoutTtl: want.withoutTtl });
    }
    expect(Object.fromEntries(stats.unknown.namespaces.map((ns) => [ns.namespace, ns.keys]))).toEqual(expected.namespaces);
  });
}

describeValkey('stats on Valkey (smoke)', () => valkeySmoke('valkey-server'));
