import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job, Queue } from 'bullmq';
import { runCli } from '../../helpers/cli.js';
import { BullHarness, gate, randomQueueName, tempCwd, waitFor, watchWorker } from '../../helpers/bullmq.js';
import { serverTargets, type ServerTarget } from '../../helpers/targets.js';

const cli = (target: ServerTarget, prefix: string, args: string[], cwd: string) => runCli([...args, '--redis-url', target.url, '--prefix', prefix], { cwd });

/** What must survive a round trip: name, data, opts (minus what an import sets itself). */
function identity(job: Job) {
  const { timestamp: _t, delay: _d, ...opts } = job.opts as Record<string, unknown>;
  return { name: job.name, data: job.data, opts, timestamp: job.timestamp };
}

async function jobsOf(queue: Queue, states: Array<'wait' | 'delayed' | 'prioritized'>) {
  const jobs = await queue.getJobs(states, 0, -1, true);
  return jobs.map(identity).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe.each(serverTargets())('queues export / drain / import on $name', (target) => {
  const harness = new BullHarness(target);
  let cwd: string;
  beforeEach(async () => {
    cwd = await tempCwd();
  });
  afterEach(() => harness.closeAll());

  async function seeded() {
    const name = randomQueueName('xfer');
    const queue = harness.queue(name);
    await queue.addBulk(
      Array.from({ length: 6 }, (_, i) => ({
        name: `send-${i % 2}`,
        data: { to: `+2782${i}`, body: `hello ${i}`, nested: { n: i, list: [i, 'x'] } },
        opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
      })),
    );
    await queue.add('reminder', { at: 'tomorrow' }, { delay: 3_600_000, attempts: 2 });
    await queue.add('reminder', { at: 'next week' }, { delay: 7 * 86_400_000 });
    await queue.add('vip', { who: 'ceo' }, { priority: 1 });
    await queue.add('custom', { id: true }, { jobId: 'custom-id-1', removeOnComplete: 100 });
    return { name, queue, key: `${harness.prefix}:${name}` };
  }

  it('export → drain → import restores the same jobs (names, data, opts, timestamps)', async () => {
    const { name, queue } = await seeded();
    const before = await jobsOf(queue, ['wait', 'delayed', 'prioritized']);
    expect(before).toHaveLength(10);
    const delayedBefore = (await queue.getDelayed()).map((j) => j.timestamp + (j.delay ?? 0)).sort();

    const exported = await cli(target, harness.prefix, ['queues', 'export', name, '--state', 'wait,prioritized,delayed', '--out', 'jobs.jsonl', '--json'], cwd);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ exported: 10, byState: { wait: 7, prioritized: 1, delayed: 2 } });
    const lines = (await readFile(path.join(cwd, 'jobs.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ name: 'send-0', state: 'wait', data: { to: '+27820' }, attemptsMade: 0, failedReason: null });
    expect(lines[0].opts).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 1000 } });

    const drained = await cli(target, harness.prefix, ['queues', 'drain', name, '--delayed', '--yes', '--json'], cwd);
    expect(drained.code, drained.stderr).toBe(0);
    const drain = JSON.parse(drained.stdout);
    expect(drain).toMatchObject({ removed: 10, skipped: 0, backedUp: 10, byState: { wait: 7, prioritized: 1, delayed: 2 } });
    expect(drain.backup).toContain(path.join(cwd, 'logs', 'backups'));
    expect(await queue.count()).toBe(0);

    const imported = await cli(target, harness.prefix, ['queues', 'import', 'jobs.jsonl', name, '--yes', '--json'], cwd);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ total: 10, added: 10 });
    expect(await jobsOf(queue, ['wait', 'delayed', 'prioritized'])).toEqual(before);
    expect((await queue.getDelayed()).map((j) => j.timestamp + (j.delay ?? 0)).sort()).toEqual(delayedBefore);
    expect(await queue.getJobCounts('wait', 'delayed', 'prioritized')).toEqual({ wait: 7, delayed: 2, prioritized: 1 });
    expect(await queue.getJob('custom-id-1')).toBeTruthy();

    // A job scheduler's next job is neither backed up nor removed (as BullMQ's own drain does).
    await queue.upsertJobScheduler('nightly', { every: 86_400_000 }, { name: 'report', data: {} });
    const scheduled = await queue.getDelayedCount();

    // The drain's own backup restores too.
    const second = await cli(target, harness.prefix, ['queues', 'drain', name, '--delayed', '--yes', '--json'], cwd);
    expect(JSON.parse(second.stdout)).toMatchObject({ backedUp: 10, removed: 10 });
    expect(await queue.getDelayedCount()).toBe(scheduled - 2);
    expect(await queue.getJobSchedulersCount()).toBe(1);
    const backups = await readdir(path.join(cwd, 'logs', 'backups'));
    expect(backups).toHaveLength(2);
    const latest = backups.sort().at(-1)!;
    expect(latest).toMatch(new RegExp(`^bull-+${name}-\\d{4}-\\d\\d-\\d\\dT.*Z\\.jsonl$`));
    await cli(target, harness.prefix, ['queues', 'import', path.join('logs', 'backups', latest), name, '--yes'], cwd);
    const restored = (await queue.getJobs(['wait', 'delayed', 'prioritized'], 0, -1, true)).filter((j) => !j.repeatJobKey);
    expect(restored.map(identity).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(before);
  });

  it('drain leaves active jobs and delayed jobs (without --delayed) in place; --no-backup writes no file', async () => {
    const { name, queue } = await seeded();
    const hold = gate();
    const worker = harness.worker(name, async () => hold.wait, { concurrency: 2 });
    const problems = watchWorker(worker);
    await waitFor(async () => (await queue.getActiveCount()) === 2, 10_000, 'two active jobs');
    const active = (await queue.getActive()).map((j) => j.id).sort();
    await worker.pause(true).catch(() => undefined);

    const dry = await cli(target, harness.prefix, ['queues', 'drain', name, '--dry-run', '--json'], cwd);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, removed: 0, byState: { wait: 5, prioritized: 1 } });
    expect(await queue.getWaitingCount()).toBe(5);

    const drained = await cli(target, harness.prefix, ['queues', 'drain', name, '--no-backup', '--yes', '--json'], cwd);
    expect(drained.code, drained.stderr).toBe(0);
    expect(JSON.parse(drained.stdout)).toMatchObject({ removed: 6, backup: null });
    await expect(readdir(path.join(cwd, 'logs', 'backups'))).rejects.toThrow();
    expect(await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active')).toEqual({ wait: 0, prioritized: 0, delayed: 2, active: 2 });
    expect((await queue.getActive()).map((j) => j.id).sort()).toEqual(active);
    hold.open();
    await waitFor(async () => (await queue.getCompletedCount()) === 2, 10_000, 'active jobs to finish');
    expect(problems).toEqual([]);
  });

  it('a bad import file exits 2 naming the line, and adds nothing', async () => {
    const { name, queue } = await seeded();
    const good = JSON.stringify({ name: 'ok', data: { a: 1 }, opts: {}, state: 'wait', timestamp: Date.now() });
    const cases: Array<[string, RegExp]> = [
      [`${good}\n${good}\n{not json\n`, /line 3: not valid JSON/],
      [`${good}\n${JSON.stringify({ data: {} })}\n`, /line 2: "name" must be a non-empty string/],
      [`${good}\n\n${JSON.stringify({ name: 'x', data: 1, state: 'running' })}\n`, /line 3: unknown "state"/],
      [`${JSON.stringify({ name: 'x', data: 1, opts: { priority: 1.5 } })}\n`, /line 1: BullMQ rejects this job: Priority should not be float/],
      [`${good}\n${JSON.stringify({ name: 'x', data: 1, timestamp: 'yesterday' })}\n`, /line 2: "timestamp"/],
      [`${JSON.stringify([1, 2])}\n`, /line 1: expected a JSON object/],
    ];
    const waiting = await queue.getWaitingCount();
    for (const [content, message] of cases) {
      await writeFile(path.join(cwd, 'bad.jsonl'), content);
      const result = await cli(target, harness.prefix, ['queues', 'import', 'bad.jsonl', name, '--yes'], cwd);
      expect(result.code, content).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/nothing was imported/);
    }
    const missing = await cli(target, harness.prefix, ['queues', 'import', 'nope.jsonl', name, '--yes'], cwd);
    expect(missing.code).toBe(2);
    const noQueue = await cli(target, harness.prefix, ['queues', 'import', 'bad.jsonl', `${name}-new`, '--yes'], cwd);
    expect(noQueue.code).toBe(2);
    expect(noQueue.stderr).toMatch(/No queue/);
    const badState = await cli(target, harness.prefix, ['queues', 'export', name, '--state', 'wait,active', '--out', 'x.jsonl'], cwd);
    expect(badState.code).toBe(2);
    expect(await queue.getWaitingCount()).toBe(waiting);
    expect(await queue.count()).toBe(10);
  });

  it('export to stdout, refuses to overwrite, and import --create makes a new queue', async () => {
    const { name, queue } = await seeded();
    const out = await cli(target, harness.prefix, ['queues', 'export', name, '--state', 'wait', '--out', '-'], cwd);
    expect(out.code).toBe(0);
    const lines = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.name)).toEqual(['send-0', 'send-1', 'send-0', 'send-1', 'send-0', 'send-1', 'custom']);
    await writeFile(path.join(cwd, 'taken.jsonl'), 'keep me');
    const refused = await cli(target, harness.prefix, ['queues', 'export', name, '--state', 'wait', '--out', 'taken.jsonl'], cwd);
    expect(refused.code).toBe(2);
    expect(await readFile(path.join(cwd, 'taken.jsonl'), 'utf8')).toBe('keep me');

    await writeFile(path.join(cwd, 'wait.jsonl'), out.stdout);
    const fresh = `${name}-copy`;
    const created = await cli(target, harness.prefix, ['queues', 'import', 'wait.jsonl', fresh, '--create', '--yes', '--json'], cwd);
    expect(created.code, created.stderr).toBe(0);
    const copy = harness.queue(fresh);
    expect(await copy.getWaitingCount()).toBe(7);
    // Same order as the original: oldest first.
    expect((await copy.getJobs(['wait'], 0, -1, true)).map((j) => j.name)).toEqual(lines.map((l) => l.name));
    expect((await queue.getJobs(['wait'], 0, -1, true)).map((j) => j.name)).toEqual(lines.map((l) => l.name));
    const listed = await cli(target, harness.prefix, ['queues', '--json'], cwd);
    expect(JSON.parse(listed.stdout).queues.map((q: { name: string }) => q.name)).toContain(fresh);
    await queue.obliterate({ force: true });
    await copy.obliterate({ force: true });
  });
});
