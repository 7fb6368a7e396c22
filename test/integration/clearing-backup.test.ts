// `--backup FILE` on the destructive commands (exactly the deleted keys, restorable), and
// `clear-all --queue` end to end, on every server kind.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BullHarness, gate, waitFor, watchWorker } from '../helpers/bullmq.js';
import { clearingFixture, countMatching, setKeys, type ClearingFixture } from '../helpers/clearing-fixture.js';
import { serverTargets } from '../helpers/targets.js';

describe.each(serverTargets())('--backup FILE on $name', (target) => {
  let fx: ClearingFixture;

  beforeEach(async () => {
    fx = await clearingFixture(target, {}, 'bkp');
  });
  afterEach(async () => {
    await fx.close();
  });

  it('invalidate pattern --backup keeps exactly the deleted keys; restore brings them back with values and TTLs', async () => {
    const p = fx.prefix;
    const selected = Array.from({ length: 40 }, (_, i) => `${p}context:STORY-7${i}`);
    const others = [`${p}context:OTHER-1`, `${p}chats:device-1:chat-1`];
    await setKeys(fx.client, selected.slice(0, 20), 'with-ttl', 3600);
    await setKeys(fx.client, selected.slice(20), 'no-ttl');
    await setKeys(fx.client, others);
    const file = path.join(fx.dir, 'ctx.cbk.gz');

    const result = await fx.cli(['invalidate', 'pattern', `${p}context:STORY-7*`, '--yes', '--backup', 'ctx.cbk.gz', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ deleted: 40, backup: { file, keys: 40, written: true } });
    expect(await fx.existing(selected)).toEqual([]);
    expect(await fx.existing(others)).toEqual(others);
    expect(fx.audit().at(-1)).toMatchObject({ result: { deleted: 40, backup: { file, keys: 40 } } });

    const restored = await fx.cli(['restore', file, '--yes', '--json']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ keys: 40, restored: 40 });
    expect(await fx.existing(selected)).toEqual(selected);
    expect(await fx.client.get(selected[0]!)).toBe('with-ttl');
    expect(await fx.client.ttl(selected[0]!)).toBeGreaterThan(3500);
    expect(await fx.client.ttl(selected[39]!)).toBe(-1);
  });

  it('--dry-run writes no file; an existing file is refused (exit 2, nothing deleted) unless --force', async () => {
    const p = fx.prefix;
    const keys = Array.from({ length: 5 }, (_, i) => `${p}chats:device-9:chat-${i}`);
    await setKeys(fx.client, keys);
    const dry = await fx.cli(['invalidate', 'chatList', '--deviceId', 'device-9', '--dry-run', '--backup', 'chats.cbk']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/backup: dry run, no file written/);
    expect(existsSync(path.join(fx.dir, 'chats.cbk'))).toBe(false);

    const first = await fx.cli(['invalidate', 'chatList', '--deviceId', 'device-9', '--backup', 'chats.cbk']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/backup: 5 key\(s\) in .*chats\.cbk \(restore with: cachectl restore/);
    await setKeys(fx.client, keys);

    const refused = await fx.cli(['invalidate', 'chatList', '--deviceId', 'device-9', '--backup', 'chats.cbk']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already exists/);
    expect(refused.stderr).toMatch(/--force/);
    expect(await fx.existing(keys)).toEqual(keys);

    const forced = await fx.cli(['invalidate', 'chatList', '--deviceId', 'device-9', '--backup', 'chats.cbk', '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).backup).toMatchObject({ keys: 5, written: true });
    expect(await fx.existing(keys)).toEqual([]);

    const lonely = await fx.cli(['invalidate', 'chatList', '--deviceId', 'device-9', '--force']);
    expect(lonely.code).toBe(2);
    expect(lonely.stderr).toMatch(/--force only goes with --backup/);
  });

  it('clear-user, clear-old and clear-all --backup: the file holds what each run deleted', async () => {
    const p = fx.prefix;
    await setKeys(fx.client, [`${p}user:state:27821234567`, `${p}tenant:acme:mapping:wa:+27821234567`]);
    const user = await fx.cli(['clear-user', '+27 82 123 4567', '--yes', '--backup', 'user.cbk', '--json']);
    expect(user.code, user.stderr).toBe(0);
    expect(JSON.parse(user.stdout).backup).toMatchObject({ keys: 2, written: true });

    // Sessions older than the threshold by their updatedAt field (clear-old's per-field age).
    const old = new Date(Date.now() - 72 * 3_600_000).toISOString();
    await fx.client.set(`${p}session:s-old`, JSON.stringify({ updatedAt: old }));
    await fx.client.set(`${p}session:s-new`, JSON.stringify({ updatedAt: new Date().toISOString() }));
    const cleared = await fx.cli(['clear-old', 'sessions', '--hours', '24', '--backup', 'old.cbk', '--json']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ deleted: 1, backup: { keys: 1, written: true } });
    expect(await fx.existing([`${p}session:s-old`, `${p}session:s-new`])).toEqual([`${p}session:s-new`]);

    await setKeys(fx.client, [`${p}context:S1`, `${p}chats:d:c`]);
    const all = await fx.cli(['clear-all', '--yes', '--backup', 'all.cbk.gz', '--json']);
    expect(all.code, all.stderr).toBe(0);
    const summary = JSON.parse(all.stdout);
    expect(summary.backup).toMatchObject({ keys: summary.deleted, written: true });
    expect(summary.deleted).toBe(3); // context, chats and the young session

    // Each file restores exactly its own keys.
    const back = await fx.cli(['restore', 'old.cbk', '--yes', '--json']);
    expect(JSON.parse(back.stdout)).toMatchObject({ keys: 1, restored: 1 });
    expect(await fx.existing([`${p}session:s-old`])).toEqual([`${p}session:s-old`]);
  });

  it('a run that deletes nothing still leaves a valid (empty) file, so scripts can rely on it', async () => {
    const result = await fx.cli(['invalidate', 'chatList', '--deviceId', 'nobody', '--backup', 'empty.cbk']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/backup: 0 key\(s\) in .*empty\.cbk/);
    const restored = await fx.cli(['restore', 'empty.cbk', '--yes', '--json']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ keys: 0, restored: 0 });
  });
});

describe.each(serverTargets().filter((t) => !t.cluster))('clear-all --queue on $name', (target) => {
  let fx: ClearingFixture;
  let harness: BullHarness;

  beforeEach(async () => {
    fx = await clearingFixture(target, {}, 'allq');
    harness = new BullHarness(target, `${fx.prefix}bull`);
  });
  afterEach(async () => {
    await harness.closeAll();
    await fx.close();
  });

  it('clears the families, then exports and drains waiting jobs; the active job stays', async () => {
    const p = fx.prefix;
    await setKeys(fx.client, [`${p}context:S1`, `${p}chats:d:c`]);
    const queue = harness.queue('outbound');
    const hold = gate();
    const worker = harness.worker(
      'outbound',
      async (job) => {
        if (job.data.hold) await hold.wait;
        return 'ok';
      },
      { concurrency: 1 },
    );
    const problems = watchWorker(worker);
    await queue.add('slow', { hold: true });
    await waitFor(async () => (await queue.getActiveCount()) === 1, 10_000, 'active job');
    await queue.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: 'send', data: { i } })));

    const dry = await fx.cli(['all', '--queue', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).queues.totals).toMatchObject({ drained: 6, backedUp: 0 });
    expect(await queue.getWaitingCount()).toBe(6);

    const refused = await fx.cli(['all', '--queue']);
    expect(refused.code).toBe(4);
    expect(await queue.getWaitingCount()).toBe(6);

    const result = await fx.cli(['all', '--queue', '--yes']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/queues: 1 cleared; 0 finished job\(s\) cleaned, 6 waiting\/delayed job\(s\) drained, 6 exported to /);
    expect(await countMatching(fx.connection, `${p}c*`)).toBe(0);
    expect(await queue.getJobCounts('wait', 'active')).toEqual({ wait: 0, active: 1 });
    const backups = readdirSync(path.join(fx.dir, 'logs', 'backups'));
    expect(backups.filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
    expect(fx.audit().at(-1)).toMatchObject({ command: 'clear-all', result: { queues: { totals: { drained: 6 } } } });

    hold.open();
    await waitFor(async () => (await queue.getCompletedCount()) === 1, 10_000, 'active job to finish');
    expect(problems).toEqual([]);
  });
});
