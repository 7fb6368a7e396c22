// stats and doctor on a 3-master cluster of its own, with known content spread over the masters.
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/load.js';
import { runDoctor } from '../../../src/core/doctor/run.js';
import { queueSteps } from '../../../src/core/maintenance/queue-steps.js';
import { runMaintenance } from '../../../src/core/maintenance/run.js';
import { renderPrometheus } from '../../../src/core/metrics/stats-metrics.js';
import { collectStats } from '../../../src/core/stats/collect.js';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { BullHarness } from '../../helpers/bullmq.js';
import { runCli } from '../../helpers/cli.js';
import { parsePrometheus, promValue } from '../../helpers/prom-parse.js';
import { startCluster, type ClusterHandle } from '../../helpers/servers.js';
import { countKeys, seedConfig, seedPlan, writeSeed } from '../../helpers/stats-seed.js';

describe('stats on a cluster of its own', () => {
  let cluster: ClusterHandle;
  let client: Cluster;
  let connection: RedisConnection;
  let bull: BullHarness;
  let queueKeys = 0;
  const { writes, expected } = seedPlan(8);
  const config = resolveConfig(seedConfig('{bull}'));

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3 });
    client = new Cluster([cluster.masters[0]!]);
    await writeSeed(client, writes);
    bull = new BullHarness({ name: 'cluster', url: cluster.url, cluster: true }, '{bull}');
    await bull.queue('messages').addBulk(Array.from({ length: 4 }, (_, i) => ({ name: 'send', data: { i } })));
    queueKeys = await countKeys(client, '{bull}:*');
    connection = await connect({ url: cluster.url });
  });

  afterAll(async () => {
    await connection?.close();
    await bull?.closeAll();
    await client?.quit();
    await cluster?.stop();
  });

  it('--exact counts what was seeded over every master', async () => {
    const stats = await collectStats(connection, config, { exact: true, sample: 2000 });
    expect(stats.mode).toBe('cluster');
    expect(stats.server.masters).toHaveLength(3);
    for (const m of stats.server.masters) expect(m.keys).toBeGreaterThan(0);
    expect(stats.keyspace.keys).toBe(expected.total + queueKeys);
    for (const [name, want] of Object.entries(expected.families)) {
      const got = stats.families.find((f) => f.name === name)!;
      expect({ name, keys: got.keys, withoutTtl: got.withoutTtl }).toEqual({ name, ...want });
    }
    expect(Object.fromEntries(stats.unknown.namespaces.map((ns) => [ns.namespace, ns.keys]))).toEqual(expected.namespaces);
    expect(stats.queueKeys.keys).toBe(queueKeys);
    expect(stats.queues.map((q) => [q.prefix, q.name, q.counts.waiting])).toEqual([['{bull}', 'messages', 4]]);
  });

  it('samples every master in proportion and stays within ±2 points of the exact shares', async () => {
    const exact = await collectStats(connection, config, { exact: true, sample: 2000 });
    const sampled = await collectStats(connection, config, { sample: 10_000 });
    expect(sampled.sampling.method).toBe('sample');
    expect(sampled.sampling.inspected).toBeGreaterThanOrEqual(9_990);
    for (const f of sampled.families) {
      const truth = exact.families.find((e) => e.name === f.name)!;
      expect(Math.abs(f.share - truth.share), f.name).toBeLessThanOrEqual(0.02);
    }
    // No full pass and no maintenance record: the queue's keys drawn by the sample name it (its
    // meta key checked on whichever master holds it). Not asserted: a sample may miss a queue.
    expect(sampled.queueDiscovery).toMatchObject({ method: 'sample', note: expect.stringMatching(/no maintenance record/) });
    const metrics = parsePrometheus(renderPrometheus(sampled));
    expect(metrics.get('cachectl_memory_used_bytes')?.samples).toHaveLength(3);
    expect(promValue(metrics, 'cachectl_stats_exact')).toBe(0);
  });

  it('sampled stats lists the queues a maintenance run found (meta keys checked per master)', async () => {
    const outcome = await runMaintenance(connection, config, { steps: queueSteps() });
    expect(outcome.run.discoveredQueues?.keys).toEqual(['{bull}:messages']);
    const sampled = await collectStats(connection, config, { sample: 1000 });
    expect(sampled.sampling.method).toBe('sample');
    expect(sampled.queueDiscovery).toMatchObject({
      method: 'maintenance-record+sample',
      asOf: outcome.run.discoveredQueues!.at,
      fromRecord: 1,
      goneSinceRecord: 0,
    });
    expect(sampled.queues.map((q) => [q.key, q.counts.waiting])).toEqual([['{bull}:messages', 4]]);
  });

  it('cachectl stats --json works against a cluster node', async () => {
    const result = await runCli(['stats', '--json', '--exact', '--redis-url', cluster.url, '--no-queues']);
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data.mode).toBe('cluster');
    expect(data.queues).toEqual([]);
    // Default families only (no config file): the sixth family's keys are unknown here.
    expect(data.unknown.namespaces.find((ns: { namespace: string }) => ns.namespace === 'session:*')?.keys).toBe(expected.families.sessions!.keys);
  });

  it('doctor fails the eviction check when one master evicts while queues exist', async () => {
    const healthy = await runDoctor(connection, config, { ecosystemFile: null });
    expect(healthy.checks.find((c) => c.id === 'eviction-policy')!.status).toBe('pass');
    expect(healthy.checks.find((c) => c.id === 'server-version')!.findings).toHaveLength(3);
    const node = connection.masters()[1]!;
    await node.config('SET', 'maxmemory-policy', 'volatile-lru');
    try {
      const report = await runDoctor(connection, config, { ecosystemFile: null });
      const eviction = report.checks.find((c) => c.id === 'eviction-policy')!;
      expect(eviction.status).toBe('fail');
      expect(eviction.findings.filter((f) => f.status === 'fail').map((f) => f.subject)).toEqual([connection.nodeName(node)]);
    } finally {
      await node.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });
});
