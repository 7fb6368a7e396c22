// A drain's backup holds exactly the jobs it removed — with a worker running, after a stop at any
// step, and across reruns — and one drain per queue runs at a time.
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../../../src/redis/connect.js';
import { queueRef } from '../../../src/core/queues/discovery.js';
import { drainQueue } from '../../../src/core/queues/drain.js';
import { runCli } from '../../helpers/cli.js';
import { BullHarness, randomQueueName, tempCwd, waitFor } from '../../helpers/bullmq.js';
import { serverTargets, type ServerTarget } from '../../helpers/targets.js';

const cli = (target: ServerTarget, prefix: string, args: string[], cwd: string) => runCli([...args, '--redis-url', target.url, '--prefix', prefix], { cwd });

/** Job ids in every backup file of `cwd`, and the number of lines. */
async function backedUpIds(cwd: string): Promise<string[]> {
  const dir = path.join(cwd, 'logs', 'backups');
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.jsonl'));
  const ids: string[] = [];
  for (const file of files) {
    const text = await readFile(path.join(dir, file), 'utf8');
    for (const line of text.split('\n')) if (line.trim()) ids.push((JSON.parse(line) as { id: string }).id);
  }
  return ids;
}

describe.each(serverTargets())('drain recovery on $name', (target) => {
  const harness = new BullHarness(target);
  let cwd: string;
  beforeEach(async () => {
    cwd = await tempCwd();
  });
  afterEach(() => harness.closeAll());

  it('with a live worker, the backup holds exactly the jobs removed, none of which ran', async () => {
    const name = randomQueueName('live');
    const queue = harness.queue(name);
    const ran = new Set<string>();
    await queue.addBulk(Array.from({ length: 3000 }, (_, i) => ({ name: 'send', data: { i } })));
    const worker = harness.worker(
      name,
      async (job) => {
        ran.add(job.id!);
        await new Promise((r) => setTimeout(r, 1));
      },
      { concurrency: 20 },
    );
    await waitFor(() => ran.size > 50, 10_000, 'the worker to start');
    const drained = await cli(target, harness.prefix, ['queues', 'drain', name, '--yes', '--json'], cwd);
    expect(drained.code, drained.stderr).toBe(0);
    const result = JSON.parse(drained.stdout);
    await worker.close();
    const inFile = await backedUpIds(cwd);
    expect(new Set(inFile).size).toBe(inFile.length);
    expect(inFile.length).toBe(result.removed);
    expect(result.backedUp).toBe(result.removed);
    expect(inFile.filter((id) => ran.has(id))).toEqual([]);
    // Every job either ran or is in the file; nothing is left waiting.
    expect(ran.size + inFile.length).toBe(3000);
    expect(await queue.getWaitingCount()).toBe(0);
  }, 60_000);

  it('a drain stopped while removing is finished by the next one: no job in two backups', async () => {
    const name = randomQueueName('stop');
    const queue = harness.queue(name);
    await queue.addBulk(Array.from({ length: 1000 }, (_, i) => ({ name: 'send', data: { i } })));
    const connection = await connect({ url: target.url });
    try {
      const ref = queueRef(harness.prefix, name);
      const stop = new AbortController();
      const first = await drainQueue(connection, ref, {
        backupDir: path.join(cwd, 'logs', 'backups'),
        signal: stop.signal,
        now: new Date(Date.UTC(2026, 0, 1)),
        onProgress: ({ phase, done }) => {
          if (phase === 'remove' && done >= 200) stop.abort();
        },
      });
      expect(first.interrupted).toBe(true);
      expect(first.removed).toBeGreaterThan(0);
      expect(first.removed).toBeLessThan(1000);
      // Held jobs are out of the workers' reach until the next drain finishes them.
      expect(await queue.getWaitingCount()).toBe(0);

      const dry = await cli(target, harness.prefix, ['queues', 'drain', name, '--dry-run'], cwd);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/An interrupted drain .* holds \d+ jobs/);

      const second = await drainQueue(connection, ref, { backupDir: path.join(cwd, 'logs', 'backups'), now: new Date(Date.UTC(2026, 0, 2)) });
      expect(second.interrupted).toBe(false);
      expect(second.recovered).toMatchObject({ committed: true });
      expect(first.removed + second.removed).toBe(1000);
      const ids = await backedUpIds(cwd);
      expect(ids).toHaveLength(1000);
      expect(new Set(ids).size).toBe(1000);
      expect(await queue.count()).toBe(0);
      expect(await connection.client.exists(`${ref.key}:cachectl:drain`, `${ref.key}:cachectl:drain-held`)).toBe(0);
    } finally {
      await connection.close();
    }
  }, 60_000);

  it('a drain stopped while taking is finished by the next one; nothing taken writes no file', async () => {
    const name = randomQueueName('take');
    const queue = harness.queue(name);
    await queue.addBulk(Array.from({ length: 1500 }, (_, i) => ({ name: 'send', data: { i } })));
    const connection = await connect({ url: target.url });
    try {
      const ref = queueRef(harness.prefix, name);
      const stop = new AbortController();
      const first = await drainQueue(connection, ref, {
        backupDir: path.join(cwd, 'logs', 'backups'),
        signal: stop.signal,
        now: new Date(Date.UTC(2026, 0, 1)),
        onProgress: ({ phase }) => {
          if (phase === 'take') stop.abort();
        },
      });
      expect(first).toMatchObject({ interrupted: true, removed: 0, backup: null });
      expect(first.held).toBeGreaterThan(0);
      expect(await backedUpIds(cwd)).toEqual([]);
      const second = await drainQueue(connection, ref, { backupDir: path.join(cwd, 'logs', 'backups'), now: new Date(Date.UTC(2026, 0, 2)) });
      expect(second.removed).toBe(1500);
      const ids = await backedUpIds(cwd);
      expect(new Set(ids).size).toBe(1500);
      expect(await queue.count()).toBe(0);
      const empty = await drainQueue(connection, ref, { backupDir: path.join(cwd, 'logs', 'backups'), now: new Date(Date.UTC(2026, 0, 3)) });
      expect(empty).toMatchObject({ removed: 0, backup: null });
      expect((await readdir(path.join(cwd, 'logs', 'backups'))).filter((f) => f.endsWith('.jsonl'))).toHaveLength(2);
    } finally {
      await connection.close();
    }
  }, 60_000);

  it('a second drain of the same queue gets exit 6; a drain left on another host is refused naming it', async () => {
    const name = randomQueueName('busy');
    const queue = harness.queue(name);
    await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'send', data: { i } })));
    const key = `${harness.prefix}:${name}`;
    const client = harness.client();
    await client.set(`${key}:cachectl:drain-lock`, JSON.stringify({ token: 'x', host: 'other-box', pid: 42, startedAt: '2026-01-01T00:00:00Z' }), 'PX', 60_000);
    const busy = await cli(target, harness.prefix, ['queues', 'drain', name, '--yes'], cwd);
    expect(busy.code, busy.stderr).toBe(6);
    expect(busy.stderr).toMatch(/a drain of .* is already running .*other-box/);
    expect(await queue.getWaitingCount()).toBe(10);
    await client.del(`${key}:cachectl:drain-lock`);

    await client.hset(`${key}:cachectl:drain`, {
      file: '/elsewhere/x.jsonl',
      host: `not-${os.hostname()}`,
      pid: '7',
      startedAt: '2026-01-01T00:00:00Z',
      committed: '0',
    });
    const foreign = await cli(target, harness.prefix, ['queues', 'drain', name, '--yes'], cwd);
    expect(foreign.code, foreign.stderr).toBe(6);
    expect(foreign.stderr).toContain(`not-${os.hostname()}`);
    expect(await queue.getWaitingCount()).toBe(10);
  });
});
