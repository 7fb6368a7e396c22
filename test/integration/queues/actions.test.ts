import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { BullHarness, gate, randomQueueName, tempCwd, waitFor, watchWorker } from '../../helpers/bullmq.js';
import { serverTargets, type ServerTarget } from '../../helpers/targets.js';

const cli = (target: ServerTarget, prefix: string, args: string[], cwd: string) => runCli([...args, '--redis-url', target.url, '--prefix', prefix], { cwd });

describe.each(serverTargets())('queues pause / resume / retry / obliterate on $name', (target) => {
  const harness = new BullHarness(target);
  let cwd: string;
  beforeEach(async () => {
    cwd = await tempCwd();
  });
  afterEach(() => harness.closeAll());

  it('pause stops workers taking jobs; resume lets them run; one audit line each', async () => {
    const name = randomQueueName('pause');
    const queue = harness.queue(name);
    await queue.add('first', {});
    const worker = harness.worker(name, async () => 'ok');
    const problems = watchWorker(worker);
    await waitFor(async () => (await queue.getCompletedCount()) === 1, 10_000, 'first job');

    const paused = await cli(target, harness.prefix, ['queues', 'pause', name, '--json'], cwd);
    expect(paused.code, paused.stderr).toBe(0);
    expect(JSON.parse(paused.stdout).queues).toEqual([{ queue: `${harness.prefix}:${name}`, dryRun: false, wasPaused: false, isPaused: true }]);
    expect(await queue.isPaused()).toBe(true);
    await queue.addBulk([
      { name: 'held', data: {} },
      { name: 'held', data: {} },
    ]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await queue.getCompletedCount()).toBe(1);

    const again = await cli(target, harness.prefix, ['queues', 'pause', name], cwd);
    expect(again.stdout).toMatch(/already paused/);
    const dry = await cli(target, harness.prefix, ['queues', 'resume', name, '--dry-run'], cwd);
    expect(dry.stdout).toMatch(/would resume/);
    expect(await queue.isPaused()).toBe(true);

    const resumed = await cli(target, harness.prefix, ['queues', 'resume', name], cwd);
    expect(resumed.code).toBe(0);
    await waitFor(async () => (await queue.getCompletedCount()) === 3, 10_000, 'held jobs to run after resume');
    expect(problems).toEqual([]);

    const audit = (await readFile(path.join(cwd, 'logs', 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.map((a) => `${a.command}${a.dryRun ? ' (dry)' : ''}`)).toEqual(['queues pause', 'queues pause', 'queues resume (dry)', 'queues resume']);
    expect(audit[0].targets).toEqual([`${harness.prefix}:${name}`]);

    const refused = await cli(target, harness.prefix, ['queues', 'pause', '--all'], cwd);
    expect(refused.code).toBe(4);
    expect(await queue.isPaused()).toBe(false);
  });

  it('retry moves failed jobs back to wait (all, or the oldest N)', async () => {
    const name = randomQueueName('retry');
    const queue = harness.queue(name);
    const failer = harness.worker(name, async () => {
      throw new Error('upstream down');
    });
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'call', data: { i } })));
    await waitFor(async () => (await queue.getFailedCount()) === 5, 10_000, 'jobs to fail');
    // Closed, not paused: Worker.pause() reconnects its blocking connection, which on a loaded
    // machine can wedge a cluster client for good (BullMQ issues 4065, 4138).
    await failer.close(true);
    const oldest = (await queue.getJobs(['failed'], 0, 1, true)).map((j) => j.id).sort();

    const dry = await cli(target, harness.prefix, ['queues', 'retry', name, '--dry-run', '--json'], cwd);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, matched: 5, retried: 0 });
    expect(await queue.getFailedCount()).toBe(5);

    const two = await cli(target, harness.prefix, ['queues', 'retry', name, '--limit', '2', '--json'], cwd);
    expect(two.code, two.stderr).toBe(0);
    expect(JSON.parse(two.stdout)).toMatchObject({ matched: 2, retried: 2 });
    expect(await queue.getFailedCount()).toBe(3);
    expect((await queue.getWaiting()).map((j) => j.id).sort()).toEqual(oldest);

    const rest = await cli(target, harness.prefix, ['queues', 'retry', name, '--json'], cwd);
    expect(JSON.parse(rest.stdout)).toMatchObject({ state: 'failed', matched: 3, retried: 3 });
    expect(await queue.getFailedCount()).toBe(0);
    expect(await queue.getWaitingCount()).toBe(5);

    harness.worker(name, async () => 'ok');
    await waitFor(async () => (await queue.getCompletedCount()) === 5, 10_000, 'retried jobs to complete');
    const again = await cli(target, harness.prefix, ['queues', 'retry', name, '--state', 'completed', '--limit', '1', '--json'], cwd);
    expect(JSON.parse(again.stdout)).toMatchObject({ state: 'completed', retried: 1 });
    const bad = await cli(target, harness.prefix, ['queues', 'retry', name, '--state', 'active'], cwd);
    expect(bad.code).toBe(2);
  }, 60_000); // five CLI runs and two waits for workers: a loaded machine needs more than 30 s

  it('obliterate refuses while jobs are active, always needs confirmation, and works after', async () => {
    const name = randomQueueName('oblit');
    const queue = harness.queue(name);
    const hold = gate();
    const worker = harness.worker(name, async () => hold.wait);
    const problems = watchWorker(worker);
    await queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    await waitFor(async () => (await queue.getActiveCount()) === 1, 10_000, 'one active job');

    const dry = await cli(target, harness.prefix, ['queues', 'obliterate', name, '--dry-run', '--json'], cwd);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, active: 1, jobs: 2, obliterated: false });
    expect(dry.stderr).toMatch(/would be refused/);

    const refused = await cli(target, harness.prefix, ['queues', 'obliterate', name, '--yes'], cwd);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/1 job\(s\) are active/);
    expect(await queue.isPaused()).toBe(false);
    expect(await queue.getJobCounts('active', 'wait')).toEqual({ active: 1, wait: 1 });

    hold.open();
    await waitFor(async () => (await queue.getCompletedCount()) === 2, 10_000, 'jobs to finish');
    await worker.close();
    const unconfirmed = await cli(target, harness.prefix, ['queues', 'obliterate', name], cwd);
    expect(unconfirmed.code).toBe(4);
    expect(await queue.getCompletedCount()).toBe(2);

    const done = await cli(target, harness.prefix, ['queues', 'obliterate', name, '--yes', '--json'], cwd);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ obliterated: true, jobs: 2 });
    const client = harness.client();
    expect(await client.exists(`${harness.prefix}:${name}:meta`, `${harness.prefix}:${name}:completed`, `${harness.prefix}:${name}:events`)).toBe(0);
    const gone = await cli(target, harness.prefix, ['queues', 'inspect', name], cwd);
    expect(gone.code).toBe(2);
    expect(problems).toEqual([]);
  });
});
