// `queues drain` killed (SIGKILL) while taking jobs, and after its backup was committed: the next
// drain finishes it, and the backups together hold every job exactly once, none written twice.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runCli } from '../helpers/cli.js';
import { BullHarness, randomQueueName, tempCwd, waitFor } from '../helpers/bullmq.js';
import { serverTargets } from '../helpers/targets.js';

const target = serverTargets().find((t) => t.name === 'redis')!;
const JOBS = 20_000;

async function backups(cwd: string): Promise<{ files: string[]; ids: string[] }> {
  const dir = path.join(cwd, 'logs', 'backups');
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.jsonl'));
  const ids: string[] = [];
  for (const file of files) {
    for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) if (line.trim()) ids.push((JSON.parse(line) as { id: string }).id);
  }
  return { files, ids };
}

describe('drain killed part-way', () => {
  const harness = new BullHarness(target);
  let cwd: string;
  beforeEach(async () => {
    cwd = await tempCwd();
  });
  afterEach(() => harness.closeAll());

  async function killWhen(name: string, when: () => Promise<boolean>) {
    const child = spawn(process.execPath, [BIN, 'queues', 'drain', name, '--yes', '--redis-url', target.url, '--prefix', harness.prefix], {
      cwd,
      env: cleanEnv(),
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(when, 30_000, 'the moment to kill');
    child.kill('SIGKILL');
    await exited;
  }

  it.each(['taking', 'committed'] as const)(
    'killed %s: the next drain finishes, every job in one backup exactly once',
    async (moment) => {
      const name = randomQueueName('kill');
      const queue = harness.queue(name);
      for (let i = 0; i < JOBS; i += 5000) await queue.addBulk(Array.from({ length: 5000 }, (_, k) => ({ name: 'send', data: { i: i + k } })));
      const client = harness.client();
      const record = `${harness.prefix}:${name}:cachectl:drain`;
      await killWhen(name, async () => (moment === 'taking' ? (await client.llen(`${record}-held`)) > 0 : (await client.hget(record, 'committed')) === '1'));
      expect(await client.exists(record)).toBe(1);
      const before = await backups(cwd);
      const rerun = await runCli(['queues', 'drain', name, '--yes', '--json', '--redis-url', target.url, '--prefix', harness.prefix], { cwd });
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(JSON.parse(rerun.stdout).recovered).not.toBeNull();
      const after = await backups(cwd);
      expect(new Set(after.ids).size).toBe(after.ids.length);
      expect(after.ids).toHaveLength(JOBS);
      if (moment === 'committed') expect(after.files).toContain(before.files[0]);
      expect(await queue.count()).toBe(0);
      expect(await client.exists(record, `${record}-held`)).toBe(0);
    },
    90_000,
  );
});
