import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { runCli } from '../../helpers/cli.js';
import { BullHarness, randomQueueName, tempCwd, waitFor } from '../../helpers/bullmq.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';
import { serverTargets, type ServerTarget } from '../../helpers/targets.js';

const cli = (target: ServerTarget, prefix: string, args: string[], cwd: string) => runCli([...args, '--redis-url', target.url, '--prefix', prefix], { cwd });

describe.each(serverTargets())('queues list and inspect on $name', (target) => {
  const harness = new BullHarness(target);
  let cwd: string;
  beforeAll(async () => {
    cwd = await tempCwd();
  });
  afterEach(() => harness.closeAll());

  it('one row per queue with the counts, paused flag, workers, oldest wait and events length', async () => {
    const name = randomQueueName('list');
    const queue = harness.queue(name);
    await queue.addBulk(Array.from({ length: 4 }, (_, i) => ({ name: 'send', data: { i } })));
    await queue.add('later', {}, { delay: 120_000 });
    await queue.add('vip', {}, { priority: 2 });
    await queue.add('vip', {}, { priority: 5 });
    const started = Date.now();
    let listed = await cli(target, harness.prefix, ['queues', '--json'], cwd);
    expect(listed.code).toBe(0);
    let row = JSON.parse(listed.stdout).queues.find((q: { name: string }) => q.name === name);
    expect(row).toMatchObject({
      prefix: harness.prefix,
      key: `${harness.prefix}:${name}`,
      counts: { wait: 4, active: 0, delayed: 1, prioritized: 2, 'waiting-children': 0, paused: 0, completed: 0, failed: 0, waiting: 4, waitingChildren: 0 },
      isPaused: false,
      workers: 0,
    });
    expect(row.oldestWaitingAgeMs).toBeGreaterThanOrEqual(0);
    expect(row.oldestWaitingAgeMs).toBeLessThan(Date.now() - started + 60_000);
    expect(row.eventsLength).toBe(await harness.client().xlen(`${harness.prefix}:${name}:events`));
    expect(row.eventsLength).toBeGreaterThan(0);

    await queue.pause();
    const worker = harness.worker(name, async () => 'ok', { autorun: false });
    void worker.run();
    await waitFor(async () => (await queue.getWorkersCount()) > 0, 10_000, 'worker to register');
    listed = await cli(target, harness.prefix, ['queues', '--json'], cwd);
    row = JSON.parse(listed.stdout).queues.find((q: { name: string }) => q.name === name);
    expect(row.isPaused).toBe(true);
    expect(row.counts.paused).toBe(4);
    expect(row.counts.waiting).toBe(0);
    expect(row.workers).toBe(await queue.getWorkersCount());
    expect(row.workers).toBeGreaterThanOrEqual(1);

    const table = await cli(target, harness.prefix, ['queues'], cwd);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`${harness.prefix}:${name}`);
    expect(table.stdout).toMatch(/paused/);
  });

  it('inspect adds the top failure reasons and the most recent failed jobs', async () => {
    const name = randomQueueName('insp');
    const queue = harness.queue(name);
    const reasons = ['timeout talking to WhatsApp', 'timeout talking to WhatsApp', 'invalid phone', 'timeout talking to WhatsApp', 'invalid phone', 'quota'];
    await queue.addBulk(reasons.map((reason, i) => ({ name: `job-${i}`, data: { reason } })));
    await queue.add('fine', { reason: null });
    harness.worker(name, async (job) => {
      if (job.data.reason) throw new Error(job.data.reason);
      return 'ok';
    });
    await waitFor(async () => (await queue.getJobCountByTypes('failed', 'completed')) === 7, 10_000, 'jobs to finish');

    const result = await cli(target, harness.prefix, ['queues', 'inspect', name, '--json', '--recent', '4'], cwd);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data.counts.failed).toBe(6);
    expect(data.counts.completed).toBe(1);
    expect(data.workers).toBe(1);
    expect(data.failures.total).toBe(6);
    expect(data.failures.sampled).toBe(6);
    expect(data.failures.topReasons).toEqual([
      { reason: 'timeout talking to WhatsApp', count: 3 },
      { reason: 'invalid phone', count: 2 },
      { reason: 'quota', count: 1 },
    ]);
    expect(data.failures.recent).toHaveLength(4);
    const failed = await queue.getFailed(0, -1);
    const newest = failed.sort((a, b) => (b.finishedOn ?? 0) - (a.finishedOn ?? 0))[0]!;
    expect(data.failures.recent[0]).toMatchObject({ id: newest.id, name: newest.name, attemptsMade: 1, failedReason: newest.failedReason });
    expect(data.failures.recent[0].finishedOn).toBe(newest.finishedOn);

    const sampled = await cli(target, harness.prefix, ['queues', 'inspect', name, '--sample', '2'], cwd);
    expect(sampled.stdout).toContain('the 2 most recent of 6 failed jobs');
  });

  it('an unknown queue exits 2 and lists the queues found', async () => {
    const name = randomQueueName('known');
    await harness.queue(name).add('x', {});
    const result = await cli(target, harness.prefix, ['queues', 'inspect', `${name}-typo`], cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`No queue "${name}-typo"`);
    expect(result.stderr).toContain(`${harness.prefix}:${name}`);
    expect(result.stdout).toBe('');
  });
});

describe('workers when CLIENT LIST is denied (ACL)', () => {
  let server: ServerHandle;
  let admin: Redis;
  beforeAll(async () => {
    server = await startServer({ binary: 'redis-server' });
    admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', 'noclient', 'on', '>s3cret', '~*', '&*', '+@all', '-client');
  });
  afterAll(async () => {
    admin.disconnect();
    await server.stop();
  });

  it('shows workers as unknown instead of failing', async () => {
    const target: ServerTarget = { name: 'redis', url: server.url, cluster: false };
    const harness = new BullHarness(target);
    const cwd = await tempCwd();
    try {
      const name = randomQueueName('acl');
      const queue = harness.queue(name);
      await queue.add('x', {});
      harness.worker(name, async () => 'ok');
      await waitFor(async () => (await queue.getWorkersCount()) > 0, 10_000, 'worker to register');
      const limitedUrl = server.url.replace('redis://', 'redis://noclient:s3cret@');
      const denied = await runCli(['queues', '--json', '--redis-url', limitedUrl], { cwd });
      expect(denied.code).toBe(0);
      const row = JSON.parse(denied.stdout).queues.find((q: { name: string }) => q.name === name);
      expect(row.workers).toBeNull();
      expect(row.counts.completed + row.counts.waiting + row.counts.active).toBe(1);
      const table = await runCli(['queues', '--redis-url', limitedUrl], { cwd });
      expect(table.stdout).toMatch(/unknown/);
      const inspect = await runCli(['queues', 'inspect', name, '--json', '--redis-url', limitedUrl], { cwd });
      expect(inspect.code).toBe(0);
      expect(JSON.parse(inspect.stdout).workers).toBeNull();
      // The same server, allowed: the worker is counted.
      const allowed = await runCli(['queues', '--json', '--redis-url', server.url], { cwd });
      expect(JSON.parse(allowed.stdout).queues.find((q: { name: string }) => q.name === name).workers).toBe(1);
    } finally {
      await harness.closeAll();
    }
  });
});

describe('a cluster queue without a hash-tagged prefix', () => {
  const cluster = serverTargets().find((t) => t.cluster)!;

  it('is listed with the problem named, and actions on it exit 2', async () => {
    const harness = new BullHarness(cluster, 'bull');
    const cwd = await tempCwd();
    const client = harness.client();
    const name = randomQueueName('untagged');
    try {
      // BullMQ itself cannot write such a queue on a cluster; an app misconfigured elsewhere
      // (or a migrated dump) leaves this layout.
      await client.hset(`bull:${name}:meta`, 'opts.maxLenEvents', '10000');
      await client.rpush(`bull:${name}:wait`, '1');
      const listed = await runCli(['queues', '--json', '--redis-url', cluster.url], { cwd });
      expect(listed.code).toBe(0);
      const row = JSON.parse(listed.stdout).queues.find((q: { name: string }) => q.name === name);
      expect(row.counts.waiting).toBe(1);
      expect(row.problem).toMatch(/not hash-tagged/);
      const table = await runCli(['queues', '--redis-url', cluster.url], { cwd });
      expect(table.stderr).toMatch(new RegExp(`bull:${name}: prefix "bull" is not hash-tagged`));
      const clean = await runCli(['queues', 'clean', name, '--grace', '0', '--yes', '--redis-url', cluster.url], { cwd });
      expect(clean.code).toBe(2);
      expect(clean.stderr).toMatch(/hash-tagged prefix such as \{bull\}/);
      expect(await client.llen(`bull:${name}:wait`)).toBe(1);
    } finally {
      await client.del(`bull:${name}:meta`);
      await client.del(`bull:${name}:wait`);
      await harness.closeAll();
    }
  });
});
