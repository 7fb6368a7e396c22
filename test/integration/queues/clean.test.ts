import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../../src/redis/connect.js';
import { cleanQueue } from '../../../src/core/queues/clean.js';
import { queueRef } from '../../../src/core/queues/discovery.js';
import { runCli } from '../../helpers/cli.js';
import { ageFinishedJobs, BullHarness, gate, isolatedPrefix, randomQueueName, tempCwd, waitFor, watchWorker } from '../../helpers/bullmq.js';
import { serverTargets, type ServerTarget } from '../../helpers/targets.js';

const cli = (target: ServerTarget, prefix: string, args: string[], cwd: string) => runCli([...args, '--redis-url', target.url, '--prefix', prefix], { cwd });

describe.each(serverTargets())('queues clean on $name', (target) => {
  const harness = new BullHarness(target);
  let cwd: string;
  beforeAll(async () => {
    cwd = await tempCwd();
  });
  afterEach(() => harness.closeAll());

  async function completedQueue(count: number, prefix = harness.prefix) {
    const name = randomQueueName('clean');
    const queue = harness.queue(name, prefix);
    await queue.addBulk(Array.from({ length: count }, (_, i) => ({ name: 'n', data: { i } })));
    const worker = harness.worker(name, async () => 'done', { concurrency: 10 }, prefix);
    await waitFor(async () => (await queue.getCompletedCount()) === count, 15_000, 'jobs to complete');
    await worker.close();
    return { name, queue, key: `${prefix}:${name}` };
  }

  it('removes only jobs older than the grace period', async () => {
    const { name, queue, key } = await completedQueue(10);
    const ids = (await queue.getCompleted(0, -1)).map((j) => j.id!).sort();
    const old = ids.slice(0, 6);
    await ageFinishedJobs(harness.client(), key, 'completed', old, 48 * 3_600_000);
    const result = await cli(target, harness.prefix, ['queues', 'clean', name, '--state', 'completed', '--grace', '24h', '--yes', '--json'], cwd);
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data.total).toBe(6);
    expect(data.queues[0]).toMatchObject({ queue: key, removed: 6, remaining: 4, stoppedBy: 'done' });
    const left = (await queue.getCompleted(0, -1)).map((j) => j.id!).sort();
    expect(left).toEqual(ids.slice(6));
    const client = harness.client();
    for (const id of old) expect(await client.exists(`${key}:${id}`)).toBe(0);
  });

  it('nothing old enough, or an empty state: no server write at all (no "cleaned" event)', async () => {
    const { name, key } = await completedQueue(5);
    const client = harness.client();
    const before = await client.xlen(`${key}:events`);
    for (const state of ['completed', 'failed', 'wait', 'delayed']) {
      const result = await cli(target, harness.prefix, ['queues', 'clean', name, '--state', state, '--grace', '24h', '--yes', '--json'], cwd);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).queues[0]).toMatchObject({ removed: 0, batches: 0 });
    }
    expect(await client.xlen(`${key}:events`)).toBe(before);
  });

  it('never removes active jobs while a worker processes them (no "Missing lock")', async () => {
    const name = randomQueueName('active');
    const queue = harness.queue(name);
    const hold = gate();
    const worker = harness.worker(
      name,
      async (job) => {
        if (job.data.hold) await hold.wait;
        return 'ok';
      },
      { concurrency: 3 },
    );
    const problems = watchWorker(worker);
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'quick', data: { i } })));
    await waitFor(async () => (await queue.getCompletedCount()) === 5, 10_000, 'quick jobs');
    await queue.addBulk(Array.from({ length: 3 }, (_, i) => ({ name: 'slow', data: { hold: true, i } })));
    await waitFor(async () => (await queue.getActiveCount()) === 3, 10_000, 'three active jobs');
    await queue.addBulk(Array.from({ length: 4 }, (_, i) => ({ name: 'queued', data: { i } })));
    await queue.add('later', {}, { delay: 600_000 });
    await queue.add('later', {}, { delay: 600_000 });
    const activeIds = (await queue.getActive()).map((j) => j.id).sort();

    for (const [state, removed] of [
      ['completed', 5],
      ['wait', 4],
      ['delayed', 2],
      ['failed', 0],
    ] as const) {
      const result = await cli(target, harness.prefix, ['queues', 'clean', name, '--state', state, '--grace', '0', '--yes', '--json'], cwd);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).total).toBe(removed);
      expect((await queue.getActive()).map((j) => j.id).sort()).toEqual(activeIds);
    }
    const refused = await cli(target, harness.prefix, ['queues', 'clean', name, '--state', 'active', '--grace', '0', '--yes'], cwd);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/active/);
    expect(await queue.getActiveCount()).toBe(3);

    hold.open();
    await waitFor(async () => (await queue.getCompletedCount()) === 3, 10_000, 'held jobs to complete');
    expect((await queue.getCompleted()).map((j) => j.id).sort()).toEqual(activeIds);
    expect(problems).toEqual([]);
  });

  it('--dry-run counts and changes nothing; --limit caps the removal', async () => {
    const { name, queue } = await completedQueue(30);
    const dry = await cli(target, harness.prefix, ['queues', 'clean', name, '--grace', '0', '--dry-run', '--json'], cwd);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, total: 30 });
    expect(await queue.getCompletedCount()).toBe(30);
    const limited = await cli(target, harness.prefix, ['queues', 'clean', name, '--grace', '0', '--limit', '10', '--yes', '--json'], cwd);
    expect(JSON.parse(limited.stdout).queues[0]).toMatchObject({ removed: 10, remaining: 20, stoppedBy: 'limit' });
    expect(await queue.getCompletedCount()).toBe(20);
  });

  it('cleans every queue with --all, in small batches through the library', async () => {
    // Its own prefix: --all must not reach the queues of tests running alongside.
    const prefix = isolatedPrefix(target);
    const a = await completedQueue(12, prefix);
    const b = await completedQueue(7, prefix);
    const all = await cli(target, prefix, ['queues', 'clean', '--all', '--grace', '0', '--yes', '--json'], cwd);
    expect(all.code).toBe(0);
    const byKey = Object.fromEntries(JSON.parse(all.stdout).queues.map((q: { queue: string; removed: number }) => [q.queue, q.removed]));
    expect(byKey[a.key]).toBe(12);
    expect(byKey[b.key]).toBe(7);
    expect(Object.keys(byKey).sort()).toEqual([a.key, b.key].sort());
    expect(await a.queue.getCompletedCount()).toBe(0);

    const c = await completedQueue(250);
    const connection = await connect({ url: target.url });
    try {
      const ref = queueRef(harness.prefix, c.name);
      const stopped = new AbortController();
      stopped.abort();
      const interrupted = await runCli(['queues', 'clean', c.name, '--grace', '0', '--yes', '--redis-url', target.url, '--prefix', harness.prefix], {
        cwd,
        signal: stopped.signal,
      });
      expect(interrupted.code).toBe(5);
      expect(await c.queue.getCompletedCount()).toBe(250);
      const timedOut = await cleanQueue(connection, ref, { state: 'completed', graceMs: 0, maxTimeMs: 0 });
      expect(timedOut).toMatchObject({ removed: 0, stoppedBy: 'time', remaining: 250 });
      const batched = await cleanQueue(connection, ref, { state: 'completed', graceMs: 0, batch: 100, targetCallMs: 0 });
      expect(batched).toMatchObject({ removed: 250, remaining: 0, stoppedBy: 'done' });
      expect(batched.batches).toBe(3);
    } finally {
      await connection.close();
    }
  });

  it('bad input exits 2 (or 4 without confirmation) and changes nothing', async () => {
    const { name, queue } = await completedQueue(5);
    const cases: Array<[string[], number, RegExp]> = [
      [['queues', 'clean', name, '--grace', 'soon', '--yes'], 2, /duration/],
      [['queues', 'clean', name, '--state', 'finished', '--grace', '0', '--yes'], 2, /Unknown state/],
      [['queues', 'clean', `${name}-nope`, '--grace', '0', '--yes'], 2, /No queue/],
      [['queues', 'clean', name, '--all', '--grace', '0', '--yes'], 2, /not both/],
      [['queues', 'clean', '--grace', '0', '--yes'], 2, /Which queue/],
      [['queues', 'clean', name, '--state', 'wait', '--yes'], 2, /--grace is required/],
      [['queues', 'clean', name, '--limit', '0', '--grace', '0', '--yes'], 2, /number from 1/],
    ];
    for (const [args, code, message] of cases) {
      const result = await cli(target, harness.prefix, args, cwd);
      expect(result.code, args.join(' ')).toBe(code);
      expect(result.stderr).toMatch(message);
    }
    await queue.add('waiting', {});
    const unconfirmed = await cli(target, harness.prefix, ['queues', 'clean', name, '--state', 'wait', '--grace', '0'], cwd);
    expect(unconfirmed.code).toBe(4);
    expect(await queue.getCompletedCount()).toBe(5);
    expect(await queue.getWaitingCount()).toBe(1);
  });
});
