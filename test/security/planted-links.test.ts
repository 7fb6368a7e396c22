// Planted symbolic links: a link at FILE.partial, at FILE, or on the way to the logs/backups
// folder must never make a writer write through it. Refusals come before anything is deleted.
import { lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

const isRoot = process.getuid?.() === 0;

describe('planted symbolic links', () => {
  let server: ServerHandle;
  let client: Redis;
  let dir: string;
  let outside: string;
  let victim: string;

  beforeAll(async () => {
    server = await startServer();
    client = new Redis({ host: server.host, port: server.port });
  });
  afterAll(async () => {
    await client?.quit();
    await server?.stop();
  });
  beforeEach(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(path.join(tmpdir(), 'cachectl-links-'));
    outside = path.join(dir, 'outside');
    mkdirSync(outside);
    victim = path.join(outside, 'victim.txt');
    writeFileSync(victim, 'precious', { mode: 0o644 });
    writeFileSync(path.join(dir, 'cachectl.config.json'), JSON.stringify({ logs: { dir: path.join(dir, 'logs') } }));
    await client.flushall();
    const pipeline = client.pipeline();
    for (let i = 0; i < 200; i++) pipeline.set(`context:S-${i}`, `v${i}`);
    for (let i = 0; i < 20; i++) pipeline.set(`user:state:+2782${i}`, `u${i}`);
    await pipeline.exec();
  });

  const cli = (args: string[]) => runCli(['--redis-url', server.url, ...args], { cwd: dir });
  const victimUntouched = () => {
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
  };

  it('backup: a link at FILE.partial is refused (exit 2), its target untouched', async () => {
    symlinkSync(victim, path.join(dir, 'ctx.cbk.partial'));
    const result = await cli(['backup', 'pattern', 'context:*', '--out', 'ctx.cbk']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/symbolic link/);
    victimUntouched();
  });

  for (const ext of ['.cbk', '.cbk.gz']) {
    it(`--backup (${ext}): a link at FILE.partial is refused before anything is deleted`, async () => {
      symlinkSync(victim, path.join(dir, `ctx${ext}.partial`));
      const result = await cli(['invalidate', 'pattern', 'context:*', '--yes', '--backup', `ctx${ext}`]);
      expect(result.code, result.stderr).toBe(2);
      expect(await client.dbsize()).toBe(220);
      victimUntouched();
    });
  }

  it('--backup --force: a link at FILE is replaced itself, never its target; the new file is 0600', async () => {
    const file = path.join(dir, 'ctx.cbk');
    symlinkSync(victim, file);
    const result = await cli(['invalidate', 'pattern', 'context:*', '--yes', '--force', '--backup', 'ctx.cbk']);
    expect(result.code, result.stderr).toBe(0);
    victimUntouched();
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('queues export: a link at FILE.partial is refused, its target untouched', async () => {
    const queue = new Queue('links', { connection: { host: server.host, port: server.port } });
    await queue.add('job', { n: 1 });
    await queue.close();
    symlinkSync(victim, path.join(dir, 'jobs.jsonl.partial'));
    const result = await cli(['queues', 'export', 'links', '--state', 'wait', '--out', 'jobs.jsonl']);
    expect(result.code, result.stderr).toBe(2);
    victimUntouched();
  });

  it.skipIf(!isRoot)('clear-all --queue: a logs/backups link owned by another user is refused before anything is deleted (root: lchown)', async () => {
    const queue = new Queue('drained', { connection: { host: server.host, port: server.port } });
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'job', data: { i } })));
    await queue.close();
    const before = await client.dbsize();
    mkdirSync(path.join(dir, 'logs'));
    const link = path.join(dir, 'logs', 'backups');
    symlinkSync(outside, link);
    lchownSync(link, 65534, 65534);
    const result = await cli(['clear-all', '--queue', '--yes']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/symbolic link owned by another user/);
    expect(await client.dbsize()).toBe(before);
    expect(readdirSync(outside)).toEqual(['victim.txt']);
  });
});
