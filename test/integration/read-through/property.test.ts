// Property: after every invalidation that follows a database update, no reader leaves a value
// older than that update in the cache — on a standalone server, a 3-master cluster and Valkey,
// over the exact, family, conversation, pattern and event (in-process invalidator) paths, with a
// fixed seed. The same schedules with plain GET / loader / SET fills must show stale values.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CachectlConfig } from '../../../src/config/load.js';
import { CacheManager } from '../../../src/core/cache-manager.js';
import { createInvalidator } from '../../../src/core/invalidation/invalidator.js';
import { createReader } from '../../../src/core/read-through/reader.js';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { hasBinary, startCluster, startServer } from '../../helpers/servers.js';
import { testConfig } from '../invalidation/helpers.js';
import { interleave, type CaseKey, type Invalidate } from './interleave.js';

const SEED = 20261203;
const TENANTS = ['default', 'acme', 'globex'];

interface Target {
  name: string;
  url: string;
  stop(): Promise<void>;
}

function paths(config: CachectlConfig, connection: RedisConnection): Invalidate[] {
  const manager = new CacheManager({ connection, config });
  const invalidator = createInvalidator(config, connection);
  const safety = { audit: false, force: true } as const;
  return [
    async (t) => void (await manager.invalidate('convMapping', { tenant: t.tenant, conversationId: t.conversationId }, safety)),
    async (t) => void (await manager.invalidate('convMapping', { conversationId: t.conversationId }, safety)),
    async (t) => void (await manager.invalidateConversation(t.conversationId, safety)),
    async (t) =>
      void (await manager.invalidatePattern(`${config.families.convMapping!.template.split('tenant:')[0]}tenant:*:mapping:conv:${t.conversationId}`, safety)),
    async (t) =>
      void (await invalidator.handle({ type: 'conversation.correlated', data: { conversationId: t.conversationId, waId: `w-${t.conversationId}` } })),
  ];
}

async function run(target: Target, leases: boolean, cases: number) {
  const prefix = `pp${randomBytes(3).toString('hex')}:`;
  const config = testConfig(
    target.url,
    prefix,
    {},
    {
      families: {
        convMapping: { template: `${prefix}tenant:{tenant}:mapping:conv:{conversationId}`, ttlSeconds: 3600, readThrough: { leases, waitMs: 5 } },
        waMapping: { template: `${prefix}tenant:{tenant}:mapping:wa:{waId}` },
      },
    },
  );
  const connection = await connect({ url: target.url });
  try {
    const keyOf = (i: number, random: () => number): CaseKey => {
      const tenant = TENANTS[Math.floor(random() * TENANTS.length)]!;
      const conversationId = `c${i}`;
      return { key: `${prefix}tenant:${tenant}:mapping:conv:${conversationId}`, tenant, conversationId };
    };
    const readers = Array.from({ length: 3 }, () => createReader(config, connection));
    const started = Date.now();
    const result = await interleave({
      seed: SEED,
      cases,
      concurrency: 64,
      keyOf,
      readers,
      invalidations: paths(config, connection),
      client: connection.client,
    });
    process.stderr.write(`${target.name} leases=${leases}: ${JSON.stringify(result)} in ${Date.now() - started} ms\n`);
    return result;
  } finally {
    await connection.close();
  }
}

const targets: Record<string, Target | undefined> = {};

beforeAll(async () => {
  const standalone = await startServer();
  targets.standalone = { name: 'standalone', url: standalone.url, stop: () => standalone.stop() };
  const cluster = await startCluster();
  targets.cluster = { name: 'cluster', url: cluster.url, stop: () => cluster.stop() };
  if (hasBinary('valkey-server')) {
    const valkey = await startServer({ binary: 'valkey-server' });
    targets.valkey = { name: 'valkey', url: valkey.url, stop: () => valkey.stop() };
  }
}, 60_000);
afterAll(async () => {
  await Promise.all(Object.values(targets).map((t) => (t ? t.stop() : Promise.resolve())));
});

describe('read-through property (fixed seed)', () => {
  it('standalone: 10,000 cases, no stale value survives an invalidation', async () => {
    const result = await run(targets.standalone!, true, 10_000);
    expect(result.cases).toBe(10_000);
    expect(result.writes).toBeGreaterThan(10_000);
    expect(result.stale).toBe(0);
  }, 120_000);

  it('cluster: no stale value survives an invalidation', async () => {
    // Fewer here: every invalidation on a cluster checks the slot map first (the cases are the same kind).
    const result = await run(targets.cluster!, true, 1_000);
    expect(result.cases).toBe(1_000);
    expect(result.stale).toBe(0);
  }, 120_000);

  it('valkey: no stale value survives an invalidation', async (ctx) => {
    if (!targets.valkey) return ctx.skip('valkey-server not installed');
    const result = await run(targets.valkey, true, 2_000);
    expect(result.cases).toBe(2_000);
    expect(result.stale).toBe(0);
  }, 120_000);

  it('the same schedules with plain GET / loader / SET leave stale values', async () => {
    const result = await run(targets.standalone!, false, 2_000);
    expect(result.cases).toBe(2_000);
    expect(result.stale).toBeGreaterThan(50);
  }, 120_000);
});
