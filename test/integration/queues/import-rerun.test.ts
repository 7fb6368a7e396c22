// `queues import` interrupted, then run again: only the missing jobs are added — even when a
// worker has already run the first ones and removeOnComplete deleted them.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../../../src/redis/connect.js';
import { queueRef } from '../../../src/core/queues/discovery.js';
import { importJobs } from '../../../src/core/queues/import.js';
import { runCli } from '../../helpers/cli.js';
import { BullHarness, randomQueueName, tempCwd, waitFor } from '../../helpers/bullmq.js';
import { serverTargets, type ServerTarget } from '../../helpers/targets.js';

const cli = (target: ServerTarget, prefix: string, args: string[], cwd: string) => runCli([...args, '--redis-url', target.url, '--prefix', prefix], { cwd });

function jobLines(n: number, opts: (i: number) => Record<string, unknown> = () => ({ removeOnComplete: true })): string {
  return `${Array.from({ length: n }, (_, i) => JSON.stringify({ name: 'send', data: { i }, opts: opts(i), state: 'wait', timestamp: 1_700_000_000_000 + i })).join('\n')}\n`;
}

describe.each(serverTargets())('queues import rerun on $name', (target) => {
  const harness = new BullHarness(target);
  let cwd: string;
  beforeEach(async () => {
    cwd = await tempCwd();
  });
  afterEach(() => harness.closeAll());

  it('interrupted at 1,000 of 3,000 with a worker running: the rerun adds 2,000 and skips 1,000', async () => {
    const name = randomQueueName('rerun');
    const file = path.join(cwd, 'jobs.jsonl');
    await writeFile(file, jobLines(3000));
    const runs = new Map<number, number>();
    harness.worker(
      name,
      async (job) => {
        const i = (job.data as { i: number }).i;
        runs.set(i, (runs.get(i) ?? 0) + 1);
      },
      { concurrency: 20 },
    );
    const connection = await connect({ url: target.url });
    try {
      const stop = new AbortController();
      const first = await importJobs(connection, queueRef(harness.prefix, name), {
        file,
        signal: stop.signal,
        onProgress: ({ added }) => {
          if (added >= 1000) stop.abort();
        },
      });
      expect(first).toMatchObject({ added: 1000, interrupted: true });
    } finally {
      await connection.close();
    }
    await waitFor(() => runs.size >= 1000, 20_000, 'the worker to run the first 1,000');

    const dry = await cli(target, harness.prefix, ['queues', 'import', 'jobs.jsonl', name, '--dry-run', '--json'], cwd);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ total: 3000, skipped: 1000 });

    const rerun = await cli(target, harness.prefix, ['queues', 'import', 'jobs.jsonl', name, '--yes', '--json'], cwd);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ total: 3000, added: 2000, skipped: 1000, duplicates: 0 });
    await waitFor(() => runs.size >= 3000, 30_000, 'the worker to run all 3,000');
    await new Promise((r) => setTimeout(r, 200));
    expect([...runs.values()].filter((n) => n > 1)).toEqual([]);
    expect(runs.size).toBe(3000);

    // Once more: nothing to add. --again imports the whole file once more.
    const third = await cli(target, harness.prefix, ['queues', 'import', 'jobs.jsonl', name, '--yes', '--json'], cwd);
    expect(JSON.parse(third.stdout)).toMatchObject({ added: 0, skipped: 3000 });
    const again = await cli(target, harness.prefix, ['queues', 'import', 'jobs.jsonl', name, '--yes', '--again', '--json'], cwd);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 3000, skipped: 0 });
  }, 90_000);

  it('jobs whose own job id is already in the queue are left out and counted as duplicates', async () => {
    const name = randomQueueName('dup');
    const queue = harness.queue(name);
    await queue.add('send', { i: 0 }, { jobId: 'order-0' });
    await queue.add('send', { i: 1 }, { jobId: 'order-1' });
    await writeFile(
      path.join(cwd, 'ids.jsonl'),
      jobLines(5, (i) => ({ jobId: `order-${i}` })),
    );
    const result = await cli(target, harness.prefix, ['queues', 'import', 'ids.jsonl', name, '--yes', '--json'], cwd);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ total: 5, added: 3, duplicates: 2 });
    expect(await queue.getWaitingCount()).toBe(5);
  });
});
