// stats on a server of its own (so DBSIZE-level facts are exact) holding known content.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type CachectlConfig } from '../../../src/config/load.js';
import { renderPrometheus } from '../../../src/core/metrics/stats-metrics.js';
import { collectStats } from '../../../src/core/stats/collect.js';
import type { StatsResult } from '../../../src/core/stats/types.js';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { BullHarness } from '../../helpers/bullmq.js';
import { runCli } from '../../helpers/cli.js';
import { parsePrometheus, promValue } from '../../helpers/prom-parse.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';
import { countKeys, seedConfig, seedPlan, writeSeed, type SeedExpectation } from '../../helpers/stats-seed.js';

function expectMatchesSeed(stats: StatsResult, expected: SeedExpectation, queueKeys: number): void {
  const total = expected.total + queueKeys;
  expect(stats.keyspace.keys).toBe(total);
  for (const [name, want] of Object.entries(expected.families)) {
    const got = stats.families.find((f) => f.name === name)!;
    expect({ name, keys: got.keys, withoutTtl: got.withoutTtl }).toEqual({ name, ...want });
    expect(got.share).toBeCloseTo(want.keys / total, 5);
  }
  expect(stats.queueKeys.keys).toBe(queueKeys);
  expect(stats.unknown.keys).toBe(expected.unknownKeys);
  expect(Object.fromEntries(stats.unknown.namespaces.map((ns) => [ns.namespace, ns.keys]))).toEqual(expected.namespaces);
}

describe('stats on a standalone server with known content', () => {
  let server: ServerHandle;
  let client: Redis;
  let connection: RedisConnection;
  let config: CachectlConfig;
  let bull: BullHarness;
  let queueKeys = 0;
  let dir: string;
  const { writes, expected } = seedPlan(1);

  beforeAll(async () => {
    server = await startServer();
    client = new Redis(server.url);
    await writeSeed(client, writes);
    bull = new BullHarness({ name: 'redis', url: server.url, cluster: false }, 'bull');
    const queue = bull.queue('messages');
    await queue.addBulk(Array.from({ length: 7 }, (_, i) => ({ name: 'send', data: { i } })));
    queueKeys = await countKeys(client, 'bull:*');
    config = resolveConfig(seedConfig('bull'));
    connection = await connect({ url: server.url });
    dir = mkdtempSync(path.join(tmpdir(), 'cachectl-stats-'));
    writeFileSync(path.join(dir, 'cachectl.config.json'), JSON.stringify(seedConfig('bull')));
  });

  afterAll(async () => {
    await connection?.close();
    await bull?.closeAll();
    await client?.quit();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--exact counts every family, TTL gap, namespace and queue key exactly as seeded', async () => {
    // sample below the keyspace size: the exact pass counts, the random draws only inspect.
    const stats = await collectStats(connection, config, { exact: true, sample: 200 });
    expect(stats.sampling).toMatchObject({ method: 'exact', everyKeyInspected: false });
    // Every n-th family key is inspected on the way, n chosen so that about 200 are.
    const familyKeys = Object.values(expected.families).reduce((sum, f) => sum + f.keys, 0);
    const every = Math.ceil((expected.total + queueKeys) / 200);
    expect(Math.abs(stats.sampling.inspected - familyKeys / every)).toBeLessThanOrEqual(1);
    expect(stats.families.find((f) => f.name === 'userState')!.memory!.sampleSize).toBeGreaterThan(20);
    expectMatchesSeed(stats, expected, queueKeys);
    const userState = stats.families.find((f) => f.name === 'userState')!;
    expect(userState.ttlFlagged).toBe(true); // ttlSeconds set, 10% without TTL
    expect(stats.families.find((f) => f.name === 'waMapping')!.ttlFlagged).toBe(false); // no ttlSeconds
    expect(stats.families.find((f) => f.name === 'sessions')!.ttlFlagged).toBe(false); // all have TTLs
    expect(stats.queues.map((q) => [q.key, q.counts.waiting])).toEqual([['bull:messages', 7]]);
  });

  it('inspects every key when the keyspace is no bigger than the sample (the default)', async () => {
    const stats = await collectStats(connection, config);
    expect(stats.sampling).toMatchObject({ method: 'exact', everyKeyInspected: true, inspected: expected.total + queueKeys });
    expectMatchesSeed(stats, expected, queueKeys);
    for (const f of stats.families) {
      expect(f.sampleSize).toBe(expected.families[f.name]?.keys ?? 0);
      if (f.keys > 0) expect(f.memory).toMatchObject({ sampleSize: f.keys, bytes: expect.any(Number) });
    }
  });

  it('reports the TTL spread of each family in seconds', async () => {
    const stats = await collectStats(connection, config);
    const ttl = (name: string) => stats.families.find((f) => f.name === name)!.ttl!;
    expect(ttl('chatList').maxSeconds).toBeLessThanOrEqual(300);
    expect(ttl('chatList').minSeconds).toBeGreaterThan(240);
    expect(ttl('convMapping').medianSeconds).toBeGreaterThan(7 * 86400 - 120);
    expect(stats.families.find((f) => f.name === 'waMapping')!.ttl).toBeNull(); // no key has a TTL
  });

  it("keeps the earlier tool's stats fields: user states, memory, queue job counts, timestamp", async () => {
    const now = new Date('2024-05-01T10:00:00Z');
    const stats = await collectStats(connection, config, { now });
    expect(stats.summary).toMatchObject({
      timestamp: '2024-05-01T10:00:00.000Z',
      totalKeys: expected.total + queueKeys,
      userStates: expected.families.userState!.keys,
      queue: { waiting: 7, active: 0, completed: 0, failed: 0 },
    });
    expect(stats.summary.memory.usedBytes).toBeGreaterThan(0);
    expect(stats.summary.memory.usedHuman).toMatch(/^\d+(\.\d+)?[BKMG]$/);
  });

  it('reads server, memory and keyspace facts from INFO', async () => {
    const stats = await collectStats(connection, config);
    const [master] = stats.server.masters;
    expect(stats.server.masters).toHaveLength(1);
    expect(master).toMatchObject({ flavor: 'redis', role: 'master', keys: expected.total + queueKeys });
    expect(master!.memory.policy).toBe('noeviction');
    expect(master!.memory.maxmemoryBytes).toBe(0);
    expect(master!.dbs).toEqual([{ db: 0, keys: expected.total + queueKeys, keysWithExpiry: stats.keyspace.keysWithExpiry, avgTtlMs: expect.any(Number) }]);
    const withTtl = Object.values(expected.families).reduce((sum, f) => sum + f.keys - f.withoutTtl, 0);
    expect(stats.keyspace.keysWithExpiry).toBe(withTtl);
    await client.get('user:state:missing');
    await client.get(writes[1]![0]);
    const after = await collectStats(connection, config);
    expect(after.keyspace.keyspaceMisses).toBeGreaterThanOrEqual(1);
    expect(after.keyspace.hitRatio).toBeGreaterThan(0);
    expect(after.keyspace.hitRatio).toBeLessThan(1);
  });

  it('renders Prometheus text that parses under the strict grammar, with the seeded figures', async () => {
    const stats = await collectStats(connection, config);
    const text = renderPrometheus(stats);
    const metrics = parsePrometheus(text);
    for (const family of metrics.values()) {
      expect(family.name).toMatch(/^cachectl_/);
      expect(family.type).toMatch(/^(gauge|counter)$/);
      expect(family.help).toBeTruthy();
    }
    expect(promValue(metrics, 'cachectl_family_keys', { family: 'userState' })).toBe(expected.families.userState!.keys);
    expect(promValue(metrics, 'cachectl_family_keys_without_ttl', { family: 'context' })).toBe(expected.families.context!.withoutTtl);
    expect(promValue(metrics, 'cachectl_unknown_namespace_keys', { namespace: '"bin\\x00ns:"*' })).toBe(expected.namespaces['"bin\\x00ns:"*']);
    expect(promValue(metrics, 'cachectl_queue_jobs', { prefix: 'bull', queue: 'messages', state: 'wait' })).toBe(7);
    expect(promValue(metrics, 'cachectl_keys')).toBe(expected.total + queueKeys);
    expect(promValue(metrics, 'cachectl_stats_exact')).toBe(1);
    expect(text).toContain('cachectl_unknown_namespace_keys{namespace="\\"bin\\\\x00ns:\\"*"}');
  });

  it('does not reset idle times (OBJECT IDLETIME) of the keys it looks at', async () => {
    await client.set('session:idle-probe', 'v', 'EX', 600);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    await collectStats(connection, config);
    const stats = await collectStats(connection, config);
    const idle = stats.families.find((f) => f.name === 'sessions')!.idle;
    expect(idle).toMatchObject({ maxSeconds: expect.any(Number) });
    expect((idle as { maxSeconds: number }).maxSeconds).toBeGreaterThanOrEqual(2);
    expect(Number(await client.call('OBJECT', 'IDLETIME', 'session:idle-probe'))).toBeGreaterThanOrEqual(2);
    await client.unlink('session:idle-probe');
  });

  it('says idle time is unknown under an LFU policy instead of failing', async () => {
    await client.config('SET', 'maxmemory-policy', 'allkeys-lfu');
    try {
      const stats = await collectStats(connection, config);
      expect(stats.families.find((f) => f.name === 'userState')!.idle).toEqual({ unavailable: expect.stringMatching(/LFU/) });
      expect(stats.warnings.join('\n')).toMatch(/LFU/);
      expectMatchesSeed(stats, expected, queueKeys);
    } finally {
      await client.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });

  it('groups unknown keys by two segments with a deeper --depth', async () => {
    const stats = await collectStats(connection, config, { namespaceDepth: 2, topNamespaces: 3 });
    expect(stats.unknown.depth).toBe(2);
    expect(stats.unknown.namespaces.map((ns) => ns.namespace)).toEqual(['feature-flags:*', 'metrics:daily:*', '(no namespace)']);
    expect(stats.unknown.otherKeys).toBe(expected.unknownKeys - 60 - 30 - 10);
    expect(stats.unknown.otherNamespaces).toBe(3); // bin\0ns:, user:stat:, tenant:acme:
  });

  it('cachectl stats --json prints the documented shape', async () => {
    const result = await runCli(['stats', '--json', '--redis-url', server.url], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout) as StatsResult;
    expect(Object.keys(data).sort()).toEqual(
      [
        'durationMs',
        'families',
        'keyspace',
        'maintenance',
        'malformedQueues',
        'memory',
        'mode',
        'queueDiscovery',
        'queueKeys',
        'queues',
        'sampling',
        'server',
        'summary',
        'target',
        'timestamp',
        'unknown',
        'warnings',
      ].sort(),
    );
    expectMatchesSeed(data, expected, queueKeys);
    // A keyspace no bigger than the sample is visited in full: queues come from that pass.
    expect(data.queueDiscovery).toEqual({ method: 'full-pass' });
    expect(data.malformedQueues).toEqual([]);
  });

  it('cachectl stats prints tables a person can read', async () => {
    const result = await runCli(['stats', '--redis-url', server.url], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Redis \d+\.\d+\.\d+, standalone, /);
    expect(result.stdout).toMatch(/userState\s*│\s*400\s*│/);
    expect(result.stdout).toMatch(/feature-flags:\*\s*│\s*60\s*│/);
    expect(result.stdout).toMatch(/bull:messages\s*│\s*7\s*│/);
    expect(result.stdout).toMatch(/maintenance: never ran; next due /);
  });

  it('cachectl stats --prometheus prints only exposition text', async () => {
    const result = await runCli(['stats', '--prometheus', '--redis-url', server.url], { cwd: dir });
    expect(result.code).toBe(0);
    const metrics = parsePrometheus(result.stdout);
    expect(promValue(metrics, 'cachectl_family_keys', { family: 'sessions' })).toBe(150);
  });

  it('refuses --json with --prometheus and a bad --sample before connecting', async () => {
    const both = await runCli(['stats', '--json', '--prometheus', '--redis-url', 'redis://127.0.0.1:1'], { cwd: dir });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/cannot be combined/);
    const bad = await runCli(['stats', '--sample', '0', '--redis-url', 'redis://127.0.0.1:1'], { cwd: dir });
    expect(bad.code).toBe(2);
  });
});

describe('sampled stats on a bigger keyspace', () => {
  let server: ServerHandle;
  let connection: RedisConnection;
  const { writes, expected } = seedPlan(20);
  const config = resolveConfig(seedConfig('bull'));

  beforeAll(async () => {
    server = await startServer();
    const client = new Redis(server.url);
    await writeSeed(client, writes);
    await client.quit();
    connection = await connect({ url: server.url });
  });

  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  it('estimates every family share within ±2 percentage points of the exact figures', async () => {
    const exact = await collectStats(connection, config, { exact: true, sample: 2000 });
    expectMatchesSeed(exact, expected, 0);
    const sampled = await collectStats(connection, config, { sample: 10_000 });
    expect(sampled.sampling).toMatchObject({ method: 'sample', everyKeyInspected: false });
    expect(sampled.sampling.inspected).toBe(10_000);
    for (const f of sampled.families) {
      const truth = exact.families.find((e) => e.name === f.name)!;
      expect(Math.abs(f.share - truth.share), f.name).toBeLessThanOrEqual(0.02);
      if (truth.keys > 0) expect(Math.abs(f.withoutTtlShare - truth.withoutTtlShare), f.name).toBeLessThanOrEqual(0.05);
    }
    expect(Math.abs(sampled.unknown.share - exact.unknown.share)).toBeLessThanOrEqual(0.02);
    const flags = sampled.unknown.namespaces.find((ns) => ns.namespace === 'feature-flags:*')!;
    expect(Math.abs(flags.share - 1200 / expected.total)).toBeLessThanOrEqual(0.02);
    // Estimates are scaled to the keyspace: they add up to it.
    const sum = sampled.families.reduce((a, f) => a + f.keys, 0) + sampled.unknown.keys + sampled.queueKeys.keys;
    expect(Math.abs(sum - expected.total)).toBeLessThanOrEqual(sampled.families.length + 2);
  });
});
