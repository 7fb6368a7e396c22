import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/load.js';
import { clearQueuesAfterCaches } from '../../../src/core/queues/clear-all.js';
import { connect } from '../../../src/redis/connect.js';
import { ageFinishedJobs, BullHarness, gate, isolatedPrefix, randomQueueName, tempCwd, waitFor, watchWorker } from '../../helpers/bullmq.js';
import { serverTargets } from '../../helpers/targets.js';

describe.each(serverTargets())('clearQueuesAfterCaches on $name', (target) => {
  const prefix = isolatedPrefix(target, 'clear');
  const harness = new BullHarness(target, prefix);
  afterEach(() => harness.closeAll());

  it('cleans finished jobs past retention, backs up then drains waiting/delayed jobs, never touches active ones', async () => {
    const name = randomQueueName('clear');
    const queue = harness.queue(name);
    const key = `${prefix}:${name}`;
    const hold = gate();
    const worker = harness.worker(
      name,
      async (job) => {
        if (job.data.fail) throw new Error('nope');
        if (job.data.hold) await hold.wait;
        return 'ok';
      },
      { concurrency: 1 },
    );
    const problems = watchWorker(worker);
    await queue.addBulk([
      ...Array.from({ length: 4 }, (_, i) => ({ name: 'done', data: { i } })),
      ...Array.from({ length: 3 }, (_, i) => ({ name: 'bad', data: { fail: true, i } })),
    ]);
    await waitFor(async () => (await queue.getJobCountByTypes('completed', 'failed')) === 7, 10_000, 'first jobs');
    const client = harness.client();
    const completed = (await queue.getCompleted()).map((j) => j.id!).sort();
    const failed = (await queue.getFailed()).map((j) => j.id!).sort();
    // 2 completed older than the 24 h retention, 1 failed older than the 168 h one.
    await ageFinishedJobs(client, key, 'completed', completed.slice(0, 2), 30 * 3_600_000);
    await ageFinishedJobs(client, key, 'failed', failed.slice(0, 1), 200 * 3_600_000);
    await ageFinishedJobs(client, key, 'failed', failed.slice(1, 2), 30 * 3_600_000);
    await queue.add('slow', { hold: true });
    await waitFor(async () => (await queue.getActiveCount()) === 1, 10_000, 'active job');
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'queued', data: { i } })));
    await queue.add('later', { x: 1 }, { delay: 3_600_000 });

    const connection = await connect({ url: target.url });
    const logsDir = await tempCwd();
    const config = resolveConfig({ queues: { prefixes: [prefix] } });
    try {
      const dry = await clearQueuesAfterCaches(connection, config, { logsDir, dryRun: true });
      expect(dry.totals).toEqual({ cleaned: 3, backedUp: 0, drained: 6, skippedJobs: 0 });
      expect(await queue.getJobCounts('completed', 'failed', 'wait', 'delayed', 'active')).toEqual({ completed: 4, failed: 3, wait: 5, delayed: 1, active: 1 });

      const result = await clearQueuesAfterCaches(connection, config, { logsDir });
      expect(result.queues.map((q) => q.queue)).toEqual([key]);
      expect(result.totals).toEqual({ cleaned: 3, backedUp: 6, drained: 6, skippedJobs: 0 });
      expect(result.interrupted).toBe(false);
      expect(await queue.getJobCounts('completed', 'failed', 'wait', 'delayed', 'active')).toEqual({ completed: 2, failed: 2, wait: 0, delayed: 0, active: 1 });
      expect((await queue.getCompleted()).map((j) => j.id).sort()).toEqual(completed.slice(2));
      const backup = result.queues[0]!.drain.backup!;
      expect(backup.startsWith(result.backupDir)).toBe(true);
      const lines = (await readFile(backup, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => `${l.state}:${l.name}`)).toEqual([...Array(5).fill('wait:queued'), 'delayed:later']);
    } finally {
      await connection.close();
    }
    hold.open();
    await waitFor(async () => (await queue.getCompletedCount()) === 3, 10_000, 'active job to finish');
    expect(problems.filter((p) => !p.includes('nope'))).toEqual([]);
  });
});
