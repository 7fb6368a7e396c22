// The read-through reader against a real server: hits, fills with the family TTL, single flight in
// one process and across readers, loader errors, lease expiry, binary keys and values, counters.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { CacheManager } from '../../../src/core/cache-manager.js';
import { createReader } from '../../../src/core/read-through/reader.js';
import { bufferCodec, jsonCodec } from '../../../src/core/read-through/codec.js';
import { isLease, LEASE_MARKER } from '../../../src/core/read-through/lease.js';
import { UsageError } from '../../../src/errors.js';
import { prometheusMissing, promtool } from '../../helpers/prometheus.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';
import { testConfig } from '../invalidation/helpers.js';

let server: ServerHandle;
let connection: RedisConnection;

beforeAll(async () => {
  server = await startServer();
  connection = await connect({ url: server.url });
});
afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

const prefix = () => `rt${randomBytes(3).toString('hex')}:`;
const configOf = (p: string, readThrough: object = {}) =>
  testConfig(
    server.url,
    p,
    {},
    {
      families: {
        convMapping: { template: `${p}tenant:{tenant}:mapping:conv:{conversationId}`, ttlSeconds: 600, readThrough },
        waMapping: { template: `${p}tenant:{tenant}:mapping:wa:{waId}` },
      },
    },
  );

describe('createReader', () => {
  it('fills on a miss with the family TTL, then answers from the cache', async () => {
    const p = prefix();
    const reader = createReader(configOf(p), connection);
    const key = `${p}tenant:acme:mapping:conv:c1`;
    let loads = 0;
    const loader = async () => `v${++loads}`;
    expect(await reader.read(key, loader)).toBe('v1');
    expect(await reader.read(key, loader)).toBe('v1');
    expect(loads).toBe(1);
    const ttl = await connection.client.pttl(key);
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    expect(reader.counts().convMapping).toMatchObject({ hits: 1, misses: 1, fills: 1, staleFillsRefused: 0 });
  });

  it('refuses the fill when the key was deleted while the loader ran', async () => {
    const p = prefix();
    const reader = createReader(configOf(p), connection);
    const key = `${p}tenant:default:mapping:conv:c2`;
    const value = await reader.read(key, async () => {
      expect(isLease((await connection.client.getBuffer(key))!)).toBe(true);
      await connection.client.del(key);
      return 'stale';
    });
    expect(value).toBe('stale');
    expect(await connection.client.exists(key)).toBe(0);
    expect(reader.counts().convMapping).toMatchObject({ misses: 1, fills: 0, staleFillsRefused: 1 });
  });

  it('a loader slower than leaseMs does not fill', async () => {
    const p = prefix();
    const reader = createReader(configOf(p, { leaseMs: 30 }), connection);
    const key = `${p}tenant:acme:mapping:conv:slow`;
    await reader.read(key, () => new Promise<string>((resolve) => setTimeout(() => resolve('late'), 80)));
    expect(await connection.client.exists(key)).toBe(0);
    expect(reader.counts().convMapping?.staleFillsRefused).toBe(1);
  });

  it('100 concurrent misses in one process run the loader once', async () => {
    const p = prefix();
    const reader = createReader(configOf(p), connection);
    const key = `${p}tenant:acme:mapping:conv:herd`;
    let loads = 0;
    const loader = () => new Promise<string>((resolve) => setTimeout(() => resolve(`v${++loads}`), 20));
    const values = await Promise.all(Array.from({ length: 100 }, () => reader.read(key, loader)));
    expect(loads).toBe(1);
    expect(new Set(values)).toEqual(new Set(['v1']));
    expect(reader.counts().convMapping).toMatchObject({ misses: 1, fills: 1 });
    expect(reader.counts().convMapping!.waits + reader.counts().convMapping!.hits).toBe(99);
  });

  it('readers of other processes wait for the lease holder instead of loading', async () => {
    const p = prefix();
    const config = configOf(p, { waitMs: 2000 });
    const readers = Array.from({ length: 4 }, () => createReader(config, connection));
    const key = `${p}tenant:acme:mapping:conv:cross`;
    let loads = 0;
    const loader = () => new Promise<string>((resolve) => setTimeout(() => resolve(`v${++loads}`), 50));
    const values = await Promise.all(readers.flatMap((r) => Array.from({ length: 25 }, () => r.read(key, loader))));
    expect(loads).toBe(1);
    expect(new Set(values)).toEqual(new Set(['v1']));
  });

  it('a dead lease holder blocks others for waitMs at most; they load without filling', async () => {
    const p = prefix();
    const reader = createReader(configOf(p, { waitMs: 50, leaseMs: 60_000 }), connection);
    const key = `${p}tenant:acme:mapping:conv:dead`;
    // A lease of a process that died after taking it.
    await connection.client.set(key, `${LEASE_MARKER}deadbeef`, 'PX', 60_000);
    const started = Date.now();
    expect(await reader.read(key, async () => 'mine')).toBe('mine');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(isLease((await connection.client.getBuffer(key))!)).toBe(true);
    expect(reader.counts().convMapping).toMatchObject({ waitTimeouts: 1, misses: 1, fills: 0 });
  });

  it('a loader error is propagated, not cached, and gives the lease back', async () => {
    const p = prefix();
    const reader = createReader(configOf(p), connection);
    const key = `${p}tenant:acme:mapping:conv:err`;
    await expect(reader.read(key, async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await connection.client.exists(key)).toBe(0);
    expect(await reader.read(key, async () => 'ok')).toBe('ok');
    expect(reader.counts().convMapping).toMatchObject({ loaderErrors: 1, misses: 2, fills: 1 });
  });

  it('keeps binary keys and values intact, and JSON through its codec', async () => {
    const p = prefix();
    const reader = createReader(configOf(p), connection);
    const key = Buffer.concat([Buffer.from(`${p}tenant:acme:mapping:conv:`), Buffer.from([0xff, 0x00, 0x2a, 0x0a])]);
    const bytes = Buffer.from([0x00, 0xfe, 0xff, 0x80, 0x0a]);
    expect(await reader.read(key, async () => bytes, { codec: bufferCodec })).toEqual(bytes);
    expect(await connection.client.getBuffer(key)).toEqual(bytes);
    expect(await reader.read(key, async () => Buffer.from('other'), { codec: bufferCodec })).toEqual(bytes);
    const jsonKey = `${p}tenant:acme:mapping:conv:json`;
    type Mapping = { communication_id: string | null; wa_id: string };
    const mapping: Mapping = { communication_id: null, wa_id: '27821234567' };
    expect(await reader.read(jsonKey, async () => mapping, { codec: jsonCodec<Mapping>() })).toEqual(mapping);
    expect(await reader.read(jsonKey, async () => ({ communication_id: 'x', wa_id: '' }), { codec: jsonCodec<Mapping>() })).toEqual(mapping);
  });

  it('sends string keys and values byte-exact: the lease with its expiry, then the value with its TTL', async () => {
    const p = prefix();
    const reader = createReader(configOf(p, { leaseMs: 5000 }), connection);
    const key = `${p}tenant:acme:mapping:conv:café-☕`;
    const value = '{"name":"Zoë ☕ 日本"}';
    expect(
      await reader.read(key, async () => {
        const lease = (await connection.client.getBuffer(Buffer.from(key, 'utf8')))!;
        expect(lease.toString('utf8').startsWith(LEASE_MARKER)).toBe(true);
        const left = await connection.client.pttl(key);
        expect(left).toBeGreaterThan(0);
        expect(left).toBeLessThanOrEqual(5000);
        return value;
      }),
    ).toBe(value);
    expect(await connection.client.getBuffer(Buffer.from(key, 'utf8'))).toEqual(Buffer.from(value, 'utf8'));
    expect(await connection.client.pttl(key)).toBeGreaterThan(590_000);
    expect(await reader.read(Buffer.from(key, 'utf8'), async () => 'other')).toBe(value);
    await expect(reader.read(`${p}tenant:acme:mapping:conv:marker`, async () => `${LEASE_MARKER}forged`)).rejects.toThrow(/lease marker/);
    expect(await connection.client.exists(`${p}tenant:acme:mapping:conv:marker`)).toBe(0);
  });

  it("honours the keyPrefix of an application's own ioredis client", async () => {
    const p = prefix();
    const prefixed = new Redis(server.url, { keyPrefix: 'app:', lazyConnect: true });
    await prefixed.connect();
    try {
      const reader = createReader(configOf(p), prefixed);
      const key = `${p}tenant:acme:mapping:conv:kp`;
      expect(await reader.read(key, async () => 'v1')).toBe('v1');
      expect(await connection.client.get(`app:${key}`)).toBe('v1');
      expect(await connection.client.exists(key)).toBe(0);
      expect(await reader.read(key, async () => 'v2')).toBe('v1');
      expect(reader.counts().convMapping).toMatchObject({ hits: 1, fills: 1 });
    } finally {
      prefixed.disconnect();
    }
  });

  it('leases: false is a plain GET / loader / SET', async () => {
    const p = prefix();
    const reader = createReader(configOf(p, { leases: false }), connection);
    const key = `${p}tenant:acme:mapping:conv:plain`;
    const value = await reader.read(key, async () => {
      expect(await connection.client.exists(key)).toBe(0);
      await connection.client.del(key);
      return 'stale';
    });
    expect(value).toBe('stale');
    expect(await connection.client.get(key)).toBe('stale');
  });

  it('refuses keys of no family and keys under protected prefixes', async () => {
    const p = prefix();
    const reader = createReader(configOf(p), connection);
    await expect(reader.read(`${p}nothing:here`, async () => 'x')).rejects.toThrow(UsageError);
    await expect(reader.read(`${p}bull:q:1`, async () => 'x', { family: 'convMapping' })).rejects.toThrow(/queue prefix/);
    await expect(reader.read(`${p}tenant:acme:mapping:conv:t`, async () => 'x', { family: 'nope' })).rejects.toThrow(/does not exist/);
    const scoped = createReader(configOf(p), connection, { tenant: 'acme' });
    await expect(scoped.read(`${p}tenant:globex:mapping:conv:t`, async () => 'x')).rejects.toThrow(/outside tenant/);
  });

  it('renders per-family counters that promtool accepts', async (ctx) => {
    const p = prefix();
    const reader = createReader(configOf(p), connection);
    await reader.read(`${p}tenant:acme:mapping:conv:m1`, async () => 'a');
    await reader.read(`${p}tenant:acme:mapping:conv:m1`, async () => 'a');
    await reader.read(`${p}tenant:acme:mapping:wa:w1`, async () => 'b');
    const text = reader.metrics();
    expect(text).toContain('cachectl_read_hits_total{family="convMapping"} 1');
    expect(text).toContain('cachectl_read_misses_total{family="waMapping"} 1');
    expect(text).toContain('# TYPE cachectl_read_stale_fills_refused_total counter');
    const missing = prometheusMissing();
    if (missing) return ctx.skip(missing);
    const checked = promtool(['check', 'metrics'], text);
    expect(checked.out).toBe('');
    expect(checked.code).toBe(0);
  });
});

describe('CacheManager.read', () => {
  it("reads through the manager's one reader: first calls made together share one load, later ones hit, counts in reader()", async () => {
    const p = prefix();
    const manager = new CacheManager({ connection, config: configOf(p) });
    const key = `${p}tenant:acme:mapping:conv:m1`;
    let loads = 0;
    const loader = async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return `v${++loads}`;
    };
    // Both calls come before the reader exists: they must still meet in one single flight.
    expect(await Promise.all([manager.read(key, loader), manager.read(key, loader)])).toEqual(['v1', 'v1']);
    expect(await manager.read(key, loader)).toBe('v1');
    expect(loads).toBe(1);
    expect((await manager.reader()).counts().convMapping).toMatchObject({ hits: 1, misses: 1, fills: 1 });
    await manager.close(); // the connection is the caller's: it stays open
    expect(await connection.client.get(key)).toBe('v1');
  });
});
