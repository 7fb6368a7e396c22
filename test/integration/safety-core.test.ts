// The side paths of destructive runs, each as a user first met it, on a private server: own keys
// under --include-unknown, clashing queue backup names, an audit log that cannot be written, a
// backup target that is a folder, an empty queues.prefixes, the library without `force`, and
// selections that used to cost one SCAN pass per pattern.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CacheManager } from '../../src/core/cache-manager.js';
import { resolveConfig } from '../../src/config/load.js';
import { connect } from '../../src/redis/connect.js';
import { runCli } from '../helpers/cli.js';
import { runOnPty } from '../helpers/pty.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { expectSame, snapshot } from '../helpers/snapshot.js';

describe('one safety core: the side paths', () => {
  let server: ServerHandle;
  let client: Redis;
  let dir: string;

  beforeAll(async () => {
    server = await startServer();
    client = new Redis(server.port, '127.0.0.1');
  }, 30_000);
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  beforeEach(async () => {
    await client.flushall(); // this test's own server
    dir = mkdtempSync(path.join(tmpdir(), 'cachectl-core-'));
    writeConfig({});
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function writeConfig(extra: Record<string, unknown>): void {
    writeFileSync(path.join(dir, 'cachectl.config.json'), JSON.stringify({ logs: { dir: path.join(dir, 'logs') }, ...extra }));
  }
  const cli = (args: string[]) => runCli(['--redis-url', server.url, ...args], { cwd: dir });

  async function seedCache(count = 500): Promise<void> {
    const pipe = client.pipeline();
    for (let i = 0; i < count; i++) {
      pipe.set(`chats:dev-1:c${i}`, 'v');
      pipe.set(`context:S-${i}:summary`, 'v', 'EX', 3600);
    }
    await pipe.exec();
  }

  async function queueWithJobs(name: string, jobs: number): Promise<Queue> {
    const queue = new Queue(name, { connection: { host: '127.0.0.1', port: server.port } });
    for (let i = 0; i < jobs; i++) await queue.add('send', { i });
    return queue;
  }

  it("clear-all --include-unknown never reaches cachectl's own keys: lock, run records, invalidation and dead-letter streams", async () => {
    await seedCache(200);
    await client.set('feature-flags:rollout', 'v');
    const first = await cli(['maintenance', '--json']); // a real run record
    expect(first.code, first.stderr).toBe(0);
    await client.set('cachectl:maintenance:lock', 'held-by-another-run', 'PX', 60_000);
    await client.xadd('cachectl:invalidations', '*', 'type', 'key', 'key', 'chats:dev-1:c1');
    await client.xgroup('CREATE', 'cachectl:invalidations', 'listeners', '0');
    await client.xadd('cachectl:invalidations:dead', '*', 'type', 'key', 'reason', 'poison');
    const own = ['cachectl:maintenance:lock', 'cachectl:maintenance:runs', 'cachectl:invalidations', 'cachectl:invalidations:dead'];
    const before = await Promise.all(own.map((key) => client.dumpBuffer(key)));

    const result = await cli(['clear-all', '--include-unknown', '--yes', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(await client.exists('feature-flags:rollout')).toBe(0);
    expect(await client.exists('chats:dev-1:c1')).toBe(0);
    expect(await Promise.all(own.map((key) => client.dumpBuffer(key)))).toEqual(before);
    expect(((await client.xinfo('GROUPS', 'cachectl:invalidations')) as unknown[]).length).toBe(1);
    // The lock still holds: a second maintenance does not run beside the first.
    expect((await cli(['maintenance', '--json'])).code).toBe(6);
  });

  it('clear-all --queue with queues whose backup names clash ("orders eu", "orders-eu"): both drained into distinct files, exit 0, one audit line', async () => {
    await seedCache(300);
    const queues = [await queueWithJobs('orders eu', 3), await queueWithJobs('orders-eu', 4)];
    try {
      const result = await cli(['clear-all', '--queue', '--yes', '--json']);
      expect(result.code, result.stderr).toBe(0);
      expect(await client.exists('chats:dev-1:c1')).toBe(0);
      for (const queue of queues) expect(await queue.getWaitingCount()).toBe(0);
      const files = readdirSync(path.join(dir, 'logs', 'backups')).filter((f) => f.endsWith('.jsonl'));
      expect(files).toHaveLength(2);
      const lines = files
        .map(
          (f) =>
            readFileSync(path.join(dir, 'logs', 'backups', f), 'utf8')
              .trim()
              .split('\n').length,
        )
        .sort();
      expect(lines).toEqual([3, 4]);
      const audit = readFileSync(path.join(dir, 'logs', 'audit.log'), 'utf8')
        .trim()
        .split('\n');
      expect(audit.length).toBeGreaterThanOrEqual(1);
      expect(audit.some((line) => (JSON.parse(line) as { command: string }).command.startsWith('clear-all'))).toBe(true);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
  });

  it.each([
    { name: 'clear-all --queue', args: ['clear-all', '--queue', '--yes'] },
    { name: 'hook deploy', args: ['hook', 'deploy'] },
    { name: 'invalidate family', args: ['invalidate', 'chatList', '--yes'] },
    { name: 'invalidate pattern', args: ['invalidate', 'pattern', 'context:*', '--yes'] },
    { name: 'maintenance --json', args: ['maintenance', '--json'] },
  ])('$name with an audit log that cannot be written: exit 2 before anything is touched', async ({ args }) => {
    await seedCache(300);
    const queue = await queueWithJobs('mail', 2);
    try {
      mkdirSync(path.join(dir, 'logs', 'audit.log'), { recursive: true }); // a folder where the log goes
      const before = await snapshot(client);
      const result = await cli(args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/audit/i);
      expect(result.stderr).not.toMatch(/unexpected failure|this is a bug/);
      expectSame(before, await snapshot(client));
    } finally {
      await queue.close();
    }
  });

  it('--backup onto a folder, even with --force: exit 2, nothing deleted, no file written', async () => {
    await seedCache(300);
    const target = path.join(dir, 'existing-folder');
    mkdirSync(target);
    const before = await snapshot(client);
    for (const args of [
      ['invalidate', 'chatList', '--yes', '--backup', target, '--force'],
      ['clear-all', '--yes', '--backup', target, '--force'],
    ]) {
      const result = await cli(args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).not.toMatch(/unexpected failure/);
    }
    expectSame(before, await snapshot(client));
    expect(readdirSync(target)).toEqual([]);
  });

  it('queues.prefixes [] is refused (exit 2): clear-all cannot reach a live BullMQ queue', async () => {
    await seedCache(50);
    const queue = await queueWithJobs('payments', 5);
    try {
      writeConfig({ queues: { prefixes: [] } });
      const before = await snapshot(client);
      const result = await cli(['clear-all', '--include-unknown', '--yes']);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/queues\.prefixes/);
      expectSame(before, await snapshot(client));
      expect(await queue.getWaitingCount()).toBe(5);
    } finally {
      await queue.close();
    }
  });

  it("the library: invalidatePattern('*') without force throws and deletes nothing; with force it runs and writes an audit line", async () => {
    await seedCache(300);
    const connection = await connect({ url: server.url });
    const manager = new CacheManager({ connection, config: resolveConfig({ logs: { dir: path.join(dir, 'logs') } }) });
    try {
      const before = await client.dbsize();
      await expect(manager.invalidatePattern('*')).rejects.toThrow(/every key|force/i);
      expect(await client.dbsize()).toBe(before);
      const done = await manager.invalidatePattern('chats:*', { force: true } as never);
      expect(done.deleted).toBe(300);
      const audit = readFileSync(path.join(dir, 'logs', 'audit.log'), 'utf8')
        .trim()
        .split('\n');
      expect((JSON.parse(audit[audit.length - 1]!) as { result: { deleted: number } }).result.deleted).toBe(300);
    } finally {
      await manager.close();
      await connection.close();
    }
  });

  it('one SCAN pass: clear-user (several spellings) and clear-all (five families) scan each key once', async () => {
    await seedCache(2000);
    for (let i = 0; i < 2000; i++) await client.set(`keep:${i}`, 'v');
    await client.set('user:state:27821234567', 'v');
    await client.set('user:state:+27821234567', 'v');
    const dbsize = await client.dbsize();
    const user = await cli(['clear-user', '+27 82 123 4567', '--dry-run', '--json']);
    expect(user.code, user.stderr).toBe(0);
    const scannedUser = (JSON.parse(user.stdout) as { scanned: number }).scanned;
    expect(scannedUser).toBeGreaterThan(0);
    expect(scannedUser).toBeLessThanOrEqual(dbsize);

    await client.config('RESETSTAT');
    const all = await cli(['clear-all', '--yes', '--json']);
    expect(all.code, all.stderr).toBe(0);
    const summary = JSON.parse(all.stdout) as { scanned: number; deleted: number };
    expect(summary.deleted).toBe(4002);
    expect(summary.scanned).toBeLessThanOrEqual(dbsize);
  });
});

describe('robust reads: a key of the wrong type where a queue key is expected', () => {
  let server: ServerHandle;
  let client: Redis;
  let dir: string;
  let queue: Queue;

  beforeAll(async () => {
    server = await startServer();
    client = new Redis(server.port, '127.0.0.1');
    dir = mkdtempSync(path.join(tmpdir(), 'cachectl-shape-'));
    writeFileSync(path.join(dir, 'cachectl.config.json'), JSON.stringify({ logs: { dir: path.join(dir, 'logs') } }));
    queue = new Queue('mail', { connection: { host: '127.0.0.1', port: server.port } });
    await queue.add('send', { to: 'x' });
    await client.set('bull:broken:meta', 'not a hash');
    await client.hset('bull:odd:meta', 'opts.maxLenEvents', '10000');
    await client.set('bull:odd:wait', 'not a list');
  }, 30_000);
  afterAll(async () => {
    await queue?.close();
    client?.disconnect();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const cli = (args: string[]) => runCli(['--redis-url', server.url, ...args], { cwd: dir });

  it('queues: exit 0, the real queue listed, each odd key named in a warning', async () => {
    const result = await cli(['queues', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const listed = (JSON.parse(result.stdout) as { queues: Array<{ key: string }> }).queues.map((q) => q.key);
    expect(listed).toEqual(['bull:mail']);
    expect(result.stderr).toMatch(/bull:broken:meta is a string/);
    expect(result.stderr).toMatch(/bull:odd:wait is a string/);
  });

  it('stats (sampled and --exact): exit 0 with a warning naming the key', async () => {
    for (const args of [
      ['stats', '--json'],
      ['stats', '--json', '--exact'],
      ['stats', '--json', '--scan-queues'],
    ]) {
      const result = await cli(args);
      expect(result.code, result.stderr).toBe(0);
      const stats = JSON.parse(result.stdout) as { queues: Array<{ key: string }>; warnings: string[]; malformedQueues: Array<{ key: string }> };
      expect(stats.queues.map((q) => q.key)).toEqual(['bull:mail']);
      expect(stats.warnings.join('\n')).toMatch(/bull:broken:meta is a string/);
    }
  });

  it('doctor: a queue-keys finding naming the key; a named queue action says what is wrong (exit 2)', async () => {
    const result = await cli(['doctor', '--json']);
    const report = JSON.parse(result.stdout) as { checks: Array<{ id: string; status: string; findings: Array<{ subject: string }> }> };
    const check = report.checks.find((c) => c.id === 'queue-keys');
    expect(check?.status).toBe('warn');
    expect(check?.findings.map((f) => f.subject).sort()).toEqual(['bull:broken:meta', 'bull:odd:wait']);
    const named = await cli(['queues', 'inspect', 'broken']);
    expect(named.code, named.stderr).toBe(2);
    expect(named.stderr).toMatch(/bull:broken:meta is a string/);
  });
});

describe('a pattern delete above safety.confirmAbove, on a pseudo-terminal', () => {
  let server: ServerHandle;
  let client: Redis;
  let dir: string;

  beforeAll(async () => {
    server = await startServer();
    client = new Redis(server.port, '127.0.0.1');
    dir = mkdtempSync(path.join(tmpdir(), 'cachectl-pty-'));
    writeFileSync(path.join(dir, 'cachectl.config.json'), JSON.stringify({ logs: { dir: path.join(dir, 'logs') }, safety: { confirmAbove: 100 } }));
    const pipe = client.pipeline();
    for (let i = 0; i < 1111; i++) pipe.set(`sess:${i}`, 'v');
    await pipe.exec();
  }, 30_000);
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks, naming the server, the selection and the count; "n" leaves every key', async () => {
    const before = await snapshot(client);
    const result = await runOnPty(['invalidate', 'pattern', 'sess:1*', '--redis-url', server.url], { waitFor: '[y/N]', answer: 'n\r', cwd: dir });
    expect(result.answered, result.output).toBe(true);
    expect(result.code, result.output).toBe(4);
    expect(result.output).toContain(`redis://127.0.0.1:${server.port}`);
    expect(result.output).toMatch(/standalone/);
    expect(result.output).toContain('sess:1*');
    // 1, 10-19, 100-199 and 1000-1110 match sess:1*: the count is exact on a keyspace this small.
    expect(result.output).toMatch(/\b222 matching key/);
    expect(result.output).toMatch(/Cancelled: nothing was changed/);
    expectSame(before, await snapshot(client));
  });
});
