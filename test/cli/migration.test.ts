// Every command line of the earlier clear-cache.js tool, run through cachectl with the default
// families, against a server of its own (they clear whole families). README has the table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { seedJobs } from '../helpers/unattended.js';

let server: ServerHandle;
let connection: RedisConnection;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startServer();
  connection = await connect({ url: server.url });
  dir = mkdtempSync(path.join(tmpdir(), 'cachectl-migration-'));
  env = { REDIS_URL: server.url, PM2_HOME: path.join(dir, 'no-pm2') };
});

afterAll(async () => {
  await connection?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function seed(): Promise<void> {
  await connection.client.set('user:state:27821234567', '{"step":"menu"}', 'EX', 3600);
  await connection.client.set('user:state:27820000000', '{"step":"quote"}', 'EX', 3600);
  await connection.client.set('chats:device-1:chat-1', '{}', 'EX', 300);
  await connection.client.set('context:STORY-1', '{}', 'EX', 3600);
}

const cli = (args: string[]) => runCli(args, { env, cwd: dir });

describe('clear-cache.js command lines through cachectl', () => {
  it('stats', async () => {
    await seed();
    const result = await cli(['stats', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).summary).toMatchObject({ userStates: 2 });
  });

  it('user <phone>', async () => {
    const result = await cli(['user', '27821234567', '--yes']);
    expect(result.code).toBe(0);
    expect(await connection.client.exists('user:state:27821234567')).toBe(0);
    expect(await connection.client.exists('user:state:27820000000')).toBe(1);
  });

  it('old and old --hours=48 (nothing that young is removed)', async () => {
    for (const args of [['old'], ['old', '--hours=48']]) {
      const result = await cli([...args, '--yes']);
      expect(result.code, result.stderr).toBe(0);
    }
    expect(await connection.client.exists('user:state:27820000000')).toBe(1);
  });

  it('all (with --yes when there is no terminal) clears every family, never queues', async () => {
    await seedJobs(server.url, 'mig', { done: 2, failing: 0, waiting: 2 });
    const refused = await cli(['all']);
    expect(refused.code).toBe(4);
    const result = await cli(['all', '--yes']);
    expect(result.code).toBe(0);
    expect(await connection.client.exists('user:state:27820000000', 'chats:device-1:chat-1', 'context:STORY-1')).toBe(0);
    expect(await connection.client.llen('bull:mig:wait')).toBe(2);
  });

  it('all --queue: caches, then finished jobs past retention and waiting jobs (exported first)', async () => {
    await seed();
    await seedJobs(server.url, 'migq', { done: 2, failing: 1, waiting: 3 });
    const result = await cli(['all', '--queue', '--yes', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.queues.totals).toMatchObject({ drained: 3 + 2, backedUp: 3 + 2 }); // migq, and mig's 2 waiting
    expect(await connection.client.exists('context:STORY-1')).toBe(0);
    expect(await connection.client.llen('bull:migq:wait')).toBe(0);
    // Finished jobs are younger than their retention: kept.
    expect(await connection.client.zcard('bull:migq:completed')).toBe(2);
    expect(await connection.client.zcard('bull:migq:failed')).toBe(1);
  });

  it('maintenance', async () => {
    const result = await cli(['maintenance']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/finished: ok/);
  });

  it('pm2-status and pm2-clean without a PM2 daemon: a clear message, exit 3, nothing changed', async () => {
    await seed();
    const status = await cli(['pm2-status']);
    expect(status.code).toBe(3);
    expect(status.stderr).toMatch(/no PM2 daemon is running/);
    const clean = await cli(['pm2-clean', '--yes', '--ecosystem', path.join(ROOT, 'ecosystem.config.cjs')]);
    expect(clean.code).toBe(3);
    expect(await connection.client.exists('chats:device-1:chat-1')).toBe(1);
  });

  it('--pm2-restart, --deploy, --pre-deploy', async () => {
    const restart = await cli(['--pm2-restart']);
    expect(restart.code).toBe(0);
    expect(restart.stdout).toMatch(/^hook pm2-restart: ok/);
    const deploy = await cli(['--deploy']);
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toMatch(/chatList: 1 key\(s\) deleted/);
    await seed();
    const pre = await cli(['--pre-deploy']);
    expect(pre.code).toBe(0);
    expect(pre.stdout).toMatch(/backup: 2 key\(s\) in .*pre-deploy-.*\.cbk\.gz/);
    // clearOnDeploy families only (chatList, context): user state stays
    expect(await connection.client.exists('chats:device-1:chat-1', 'context:STORY-1')).toBe(0);
    expect(await connection.client.exists('user:state:27820000000')).toBe(1);
  });
});
