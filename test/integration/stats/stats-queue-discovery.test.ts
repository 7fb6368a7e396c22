// Sampled stats finds queues without a pass over the keyspace: from the last maintenance record
// (written by a real maintenance run) plus the queues the sample reveals, each confirmed by its
// meta key. A server of its own, big enough (~34 000 keys) that sampled mode is not a census.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/load.js';
import { queueSteps } from '../../../src/core/maintenance/queue-steps.js';
import { ownKeys } from '../../../src/core/records/own-keys.js';
import { readLastRun } from '../../../src/core/records/runs.js';
import { runMaintenance } from '../../../src/core/maintenance/run.js';
import { collectStats } from '../../../src/core/stats/collect.js';
import type { StatsResult } from '../../../src/core/stats/types.js';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { BullHarness } from '../../helpers/bullmq.js';
import { runCli } from '../../helpers/cli.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';
import { seedConfig, seedPlan, writeSeed } from '../../helpers/stats-seed.js';

const BIG_JOBS = 2000;

describe('sampled stats: queues from the maintenance record plus the sample', () => {
  let server: ServerHandle;
  let client: Redis;
  let connection: RedisConnection;
  let bull: BullHarness;
  let dir: string;
  const { writes } = seedPlan(20);
  const config = resolveConfig(seedConfig('bull'));
  const cli = async (...args: string[]) => runCli([...args, '--redis-url', server.url], { cwd: dir });
  const cliJson = async (...args: string[]): Promise<StatsResult> => {
    const result = await cli('stats', '--json', ...args);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as StatsResult;
  };

  beforeAll(async () => {
    server = await startServer();
    client = new Redis(server.url);
    await writeSeed(client, writes);
    bull = new BullHarness({ name: 'redis', url: server.url, cluster: false }, 'bull');
    // ~6% of the keyspace: no sample of 100+ draws misses it. Some jobs log, so keys such as
    // bull:big:<id>:logs suggest a queue "big:<id>" that does not exist.
    const jobs = await bull.queue('big').addBulk(Array.from({ length: BIG_JOBS }, (_, i) => ({ name: 'send', data: { i } })));
    await Promise.all(jobs.slice(0, 300).map((job) => job.log('seen')));
    connection = await connect({ url: server.url });
    dir = mkdtempSync(path.join(tmpdir(), 'cachectl-stats-queues-'));
    writeFileSync(path.join(dir, 'cachectl.config.json'), JSON.stringify(seedConfig('bull')));
  }, 60_000);

  afterAll(async () => {
    await connection?.close();
    await bull?.closeAll();
    await client?.quit();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('without a maintenance record lists the queue the sample shows, and says it used the sample only', async () => {
    const stats = await collectStats(connection, config, { sample: 1000 });
    expect(stats.sampling.method).toBe('sample');
    expect(stats.queueDiscovery).toMatchObject({ method: 'sample', note: expect.stringMatching(/no maintenance record.*--scan-queues/) });
    expect(stats.queueDiscovery!.asOf).toBeUndefined();
    // Only the real queue: the candidates "big:<id>" from the :logs keys have no meta key.
    expect(stats.queues.map((q) => [q.key, q.counts.waiting])).toEqual([['bull:big', BIG_JOBS]]);
    expect(stats.queueDiscovery!.fromSample).toBe(1);
  });

  it('keeps the queues a maintenance run found in its run record', async () => {
    await bull.queue('recorded').add('send', { x: 1 });
    await bull.queue('gone').add('send', { x: 2 });
    const outcome = await runMaintenance(connection, config, { steps: queueSteps() });
    expect(outcome.recorded).toBe(true);
    const last = await readLastRun(connection, ownKeys(config).runs);
    expect(last?.discoveredQueues).toEqual({
      at: expect.any(String),
      total: 3,
      keys: ['bull:big', 'bull:gone', 'bull:recorded'],
      truncated: false,
    });
    expect(Date.parse(last!.discoveredQueues!.at)).toBeLessThanOrEqual(Date.parse(last!.finishedAt!));
    expect(Date.parse(last!.discoveredQueues!.at)).toBeGreaterThanOrEqual(Date.parse(last!.startedAt));
  });

  it('lists every queue of the record (confirmed to exist) plus the sample, with the record time', async () => {
    const last = await readLastRun(connection, ownKeys(config).runs);
    const stats = await collectStats(connection, config, { sample: 100 });
    expect(stats.sampling.method).toBe('sample');
    expect(stats.queueDiscovery).toEqual({
      method: 'maintenance-record+sample',
      asOf: last!.discoveredQueues!.at,
      fromRecord: 3,
      fromSample: 0,
      goneSinceRecord: 0,
    });
    expect(stats.queues.map((q) => [q.key, q.counts.waiting])).toEqual([
      ['bull:big', BIG_JOBS],
      ['bull:gone', 1],
      ['bull:recorded', 1],
    ]);
  });

  it('drops a recorded queue whose meta key is gone since', async () => {
    await bull.queue('gone').obliterate({ force: true });
    expect(await client.exists('bull:gone:meta')).toBe(0);
    const stats = await collectStats(connection, config, { sample: 100 });
    expect(stats.queues.map((q) => q.key)).toEqual(['bull:big', 'bull:recorded']);
    expect(stats.queueDiscovery).toMatchObject({ method: 'maintenance-record+sample', fromRecord: 2, goneSinceRecord: 1 });
  });

  it('--scan-queues finds a queue created after the maintenance run that the sample may miss', async () => {
    await bull.queue('late').add('send', { x: 3 });
    const data = await cliJson('--scan-queues', '--sample', '100');
    expect(data.sampling.method).toBe('sample');
    expect(data.queueDiscovery).toEqual({ method: 'full-pass' });
    expect(data.queues.map((q) => q.key)).toEqual(['bull:big', 'bull:late', 'bull:recorded']);
    expect(data.queues.find((q) => q.key === 'bull:late')!.counts.waiting).toBe(1);
    // And with the library option.
    const stats = await collectStats(connection, config, { sample: 100, scanQueues: true });
    expect(stats.queues.map((q) => q.key)).toEqual(['bull:big', 'bull:late', 'bull:recorded']);
  });

  it('--json carries queueDiscovery: the record and its time when sampled, full-pass with --exact', async () => {
    const last = await readLastRun(connection, ownKeys(config).runs);
    const sampled = await cliJson('--sample', '100');
    expect(sampled.queueDiscovery).toMatchObject({ method: 'maintenance-record+sample', asOf: last!.discoveredQueues!.at, fromRecord: 2, goneSinceRecord: 1 });
    expect(sampled.queueDiscovery!.asOf).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const exact = await cliJson('--exact', '--sample', '100');
    expect(exact.queueDiscovery).toEqual({ method: 'full-pass' });
    expect(exact.queues.map((q) => q.key)).toEqual(['bull:big', 'bull:late', 'bull:recorded']);
    const skipped = await cliJson('--no-queues', '--sample', '100');
    expect(skipped.queueDiscovery).toBeNull();
    expect(skipped.queues).toEqual([]);
  });

  it('the table says where the queues came from when it was not a full pass', async () => {
    const last = await readLastRun(connection, ownKeys(config).runs);
    const sampled = await cli('stats', '--sample', '100');
    expect(sampled.code).toBe(0);
    expect(sampled.stdout).toContain(
      `queues: as found by maintenance at ${last!.discoveredQueues!.at} plus the sample (1 recorded queue(s) gone since); \`stats --scan-queues\` or \`cachectl queues\` lists every queue`,
    );
    const scanned = await cli('stats', '--sample', '100', '--scan-queues');
    expect(scanned.code).toBe(0);
    expect(scanned.stdout).toMatch(/bull:late\s*│\s*1\s*│/);
    expect(scanned.stdout).not.toMatch(/queues: as found by maintenance/);
  });

  it('refuses --scan-queues with --no-queues before connecting', async () => {
    const result = await runCli(['stats', '--scan-queues', '--no-queues', '--redis-url', 'redis://127.0.0.1:1'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot be combined/);
  });
});
