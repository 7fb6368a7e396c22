// The built binary on queues: exit codes, stdout/stderr, and that the process ends on its own
// (no BullMQ Queue or connection left open after a command).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { BullHarness, randomQueueName, tempCwd } from '../helpers/bullmq.js';
import { serverTargets } from '../helpers/targets.js';

describe.each(serverTargets().filter((t) => t.name !== 'valkey'))('cachectl queues (built binary) on $name', (target) => {
  const harness = new BullHarness(target);
  let cwd: string;
  const args = (...rest: string[]) => [...rest, '--redis-url', target.url, '--prefix', harness.prefix];
  beforeAll(async () => {
    cwd = await tempCwd();
  });
  afterAll(() => harness.closeAll());

  it('inspect, drain, clean: exit codes, clean streams, and the process exits by itself', async () => {
    const name = randomQueueName('spawn');
    const queue = harness.queue(name);
    await queue.addBulk(Array.from({ length: 3 }, (_, i) => ({ name: 'w', data: { i } })));

    const inspect = await spawnCli(args('queues', 'inspect', name, '--json'), { cwd });
    expect(inspect.code).toBe(0);
    expect(inspect.stderr).toBe('');
    expect(JSON.parse(inspect.stdout).counts.waiting).toBe(3);
    expect(inspect.ms).toBeLessThan(10_000);

    const refused = await spawnCli(args('queues', 'drain', name), { cwd });
    expect(refused.code).toBe(4);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^error: Refusing to remove 3 jobs/);
    expect(refused.stderr).toMatch(/hint: .*--yes/);

    const drained = await spawnCli(args('queues', 'drain', name, '--yes'), { cwd });
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stdout).toMatch(/Backed up 3 jobs to .*\.jsonl/);
    expect(drained.ms).toBeLessThan(10_000);
    expect(await queue.getWaitingCount()).toBe(0);

    const unknown = await spawnCli(args('queues', 'clean', `${name}-x`, '--grace', '0', '--yes'), { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`No queue "${name}-x"`);
  });
});
