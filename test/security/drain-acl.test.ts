// `queues drain` as a user the ACL does not let drain: exit 7 with nothing removed when nothing was
// taken; exit 5 when BullMQ's removal is denied after the take, and the next drain (with the
// rights) finishes it with a backup that holds exactly the jobs removed.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { randomQueueName, tempCwd } from '../helpers/bullmq.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { documentedAclUsers, setUser } from './acl-fixture.js';

const PASSWORD = 'drain-acl-secret-1';

describe('queues drain under an ACL that denies it', () => {
  let server: ServerHandle;
  let admin: Redis;
  let queueClient: Redis;
  const url = (user: string) => `redis://${user}:${PASSWORD}@127.0.0.1:${server.port}`;

  beforeAll(async () => {
    server = await startServer({ binary: 'redis-server' });
    admin = new Redis(server.url);
    queueClient = new Redis(server.url, { maxRetriesPerRequest: null });
    for (const [name, rules] of documentedAclUsers(PASSWORD)) await setUser(admin, name, ['reset', ...rules]);
    // The queue user without XADD: BullMQ's removal (which logs a "removed" event) is denied.
    const queues = documentedAclUsers(PASSWORD).get('cachectl-queues')!;
    await setUser(admin, 'cachectl-queues-noxadd', ['reset', ...queues.filter((rule) => rule !== '+xadd')]);
  }, 30_000);

  afterAll(async () => {
    await queueClient?.quit();
    await admin?.quit();
    await server?.stop();
  });

  async function seeded(n: number) {
    const name = randomQueueName('acl');
    const queue = new Queue(name, { connection: queueClient, prefix: 'bull' });
    await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'send', data: { i } })));
    return { name, queue };
  }

  it.each(['cachectl-read', 'cachectl-clear'])('as %s: exit 7, every job still waiting, no backup file', async (user) => {
    // cachectl-clear may run scripts on any key, but not the writes inside BullMQ's removal.
    const { name, queue } = await seeded(50);
    const cwd = await tempCwd();
    const result = await runCli(['queues', 'drain', name, '--yes', '--redis-url', url(user)], { cwd });
    expect(result.code, result.stderr).toBe(7);
    expect(result.stderr).toMatch(/Permission denied/);
    expect(await queue.getWaitingCount()).toBe(50);
    expect((await readdir(path.join(cwd, 'logs', 'backups')).catch(() => [])).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
    await queue.close();
  });

  it('removal denied after the take: exit 5 naming the held jobs; the next drain finishes it', async () => {
    const { name, queue } = await seeded(400);
    const cwd = await tempCwd();
    const denied = await runCli(['queues', 'drain', name, '--yes', '--json', '--redis-url', url('cachectl-queues-noxadd')], { cwd });
    expect(denied.code, denied.stderr).toBe(5);
    expect(JSON.parse(denied.stdout)).toMatchObject({ held: expect.any(Number) });
    expect(await queue.getWaitingCount()).toBe(0);
    const audit = await readFile(path.join(cwd, 'logs', 'audit.log'), 'utf8');
    expect(audit).toContain('queues drain');

    const finished = await runCli(['queues', 'drain', name, '--yes', '--json', '--redis-url', url('cachectl-queues')], { cwd });
    expect(finished.code, finished.stderr).toBe(0);
    expect(JSON.parse(finished.stdout)).toMatchObject({ recovered: { held: expect.any(Number) } });
    const dir = path.join(cwd, 'logs', 'backups');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl'));
    expect(files).toHaveLength(1);
    const ids = (await readFile(path.join(dir, files[0]!), 'utf8')).trim().split('\n');
    expect(ids).toHaveLength(400);
    expect(await queue.count()).toBe(0);
    expect(await admin.exists(`bull:${name}:cachectl:drain`, `bull:${name}:cachectl:drain-held`)).toBe(0);
    await queue.close();
  });
});
