// Every API call and every command line of the earlier clear-cache.js manual, against a real
// server of its own: the CacheManager statics and instance methods, the state-module functions,
// the CACHE_TTL / USER_STATE_TTL variables, and scripts/clear-cache.js forwarding to cachectl.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CacheManager, SafetyError, clearAllUserStates, clearOldUserStates, clearUserState, getMemoryStats, loadConfig } from '../../src/index.js';
import { cleanEnv, ROOT, type CliResult } from '../helpers/cli.js';
import { countOnNode } from '../helpers/count.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

let server: ServerHandle;
let redis: Redis;
let dir: string;
const saved = { url: process.env.REDIS_URL, config: process.env.CACHECTL_CONFIG };

beforeAll(async () => {
  server = await startServer();
  redis = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: null });
  dir = mkdtempSync(path.join(tmpdir(), 'cachectl-legacy-'));
  writeFileSync(path.join(dir, 'cachectl.config.json'), JSON.stringify({ logs: { dir: path.join(dir, 'logs') } }));
  // The statics and plain functions connect from the environment, as the earlier API did.
  process.env.REDIS_URL = server.url;
  process.env.CACHECTL_CONFIG = path.join(dir, 'cachectl.config.json');
});

afterAll(async () => {
  for (const [name, value] of [
    ['REDIS_URL', saved.url],
    ['CACHECTL_CONFIG', saved.config],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  redis?.disconnect();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const USERS = ['user:state:27821234567', 'user:state:27820000000', 'user:state:+27831112222'];

async function seed(): Promise<void> {
  const pipeline = redis.pipeline();
  for (const key of USERS) pipeline.set(key, '{"step":"menu"}', 'EX', 3600);
  pipeline.set('chats:device-1:chat-1', '{}', 'EX', 300);
  pipeline.set('context:STORY-1', '{}', 'EX', 3600);
  await pipeline.exec();
}

const exists = (...keys: string[]) => redis.exists(...keys);

describe('the earlier CacheManager API (seed: Basic and Advanced usage)', () => {
  beforeEach(seed);

  it('CacheManager.getCacheStats(): the earlier fields next to the new ones', async () => {
    const queue = new Queue('legacy-q', { connection: redis });
    await queue.addBulk([1, 2, 3].map((i) => ({ name: 'send', data: { i } })));
    await queue.close();
    const stats = await CacheManager.getCacheStats({ exact: true });
    expect(stats.queue).toMatchObject({ waiting: 3 });
    expect(stats.userStates).toBe(3);
    expect(stats.memory.usedBytes).toBeGreaterThan(0);
    expect(stats.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(stats.families.length).toBeGreaterThan(0);
  });

  it('CacheManager.clearAllCaches() refuses without force (nothing touched), and clears with it', async () => {
    await expect(CacheManager.clearAllCaches()).rejects.toBeInstanceOf(SafetyError);
    expect(await exists(...USERS, 'context:STORY-1')).toBe(USERS.length + 1);
    const result = await CacheManager.clearAllCaches({ clearUserStates: true, clearQueueJobs: false, force: true });
    expect(result.deleted).toBe(USERS.length + 2);
    expect(await exists(...USERS)).toBe(0);
    expect(await redis.llen('bull:legacy-q:wait')).toBe(3);
  });

  it('CacheManager.clearOldData({ olderThanHours: 24 | 48 }) keeps what is younger', async () => {
    for (const olderThanHours of [24, 48]) {
      const result = await CacheManager.clearOldData({ olderThanHours });
      expect(result.deleted).toBe(0);
    }
    expect(await exists(...USERS)).toBe(USERS.length);
  });

  it('CacheManager.clearUserCache(phone) removes that user only', async () => {
    const result = await CacheManager.clearUserCache('27821234567');
    expect(result.deleted).toBe(1);
    expect(await exists('user:state:27821234567')).toBe(0);
    expect(await exists('user:state:27820000000')).toBe(1);
  });

  it('CacheManager.performMaintenance() runs and records', async () => {
    const outcome = await CacheManager.performMaintenance();
    expect(outcome.run.status).toBe('ok');
  });
});

describe('the earlier state-module functions (seed: Direct State Management)', () => {
  beforeEach(seed);

  it('clearAllUserStates(): a count; a whole family needs force', async () => {
    await expect(clearAllUserStates()).rejects.toBeInstanceOf(SafetyError);
    expect(await exists(...USERS)).toBe(USERS.length);
    const deleted = await clearAllUserStates({ force: true });
    expect(deleted).toBe(USERS.length);
    expect(await exists(...USERS)).toBe(0);
    expect(await exists('context:STORY-1', 'chats:device-1:chat-1')).toBe(2);
  });

  it('clearOldUserStates(24): only user states idle for 24 h', async () => {
    await redis.set('user:state:27849999999', '{}');
    // An entry nobody read for two days (DEBUG OBJECT cannot set idle time: OBJECT FREQ/IDLETIME are read-only),
    // so it is aged through ageField instead.
    const manager = new CacheManager({
      redis,
      config: { logs: { dir: path.join(dir, 'logs') }, families: { userState: { template: 'user:state:{phone}', user: 'phone', ageField: 'updatedAt' } } },
    });
    await redis.set('user:state:27840000001', JSON.stringify({ updatedAt: Date.now() - 49 * 3_600_000 }));
    await redis.set('user:state:27840000002', JSON.stringify({ updatedAt: Date.now() - 3_600_000 }));
    expect(await manager.clearOldUserStates(24)).toBe(1);
    expect(await exists('user:state:27840000001')).toBe(0);
    expect(await exists('user:state:27840000002')).toBe(1);
    // The plain function (environment config, idle time): everything here was just written.
    expect(await clearOldUserStates(24)).toBe(0);
    await manager.close();
  });

  it('getMemoryStats(): totalKeys, userStateKeys, memory', async () => {
    const stats = await getMemoryStats({ exact: true });
    expect(stats.totalKeys).toBe(await redis.dbsize());
    expect(stats.userStateKeys).toBe(await countUserStates());
    expect(stats.memory.usedBytes).toBeGreaterThan(0);
  });

  it('clearUserState(phone): that user, in any spelling of the number', async () => {
    expect(await clearUserState('+27 83 111 2222')).toBe(1);
    expect(await exists('user:state:+27831112222')).toBe(0);
    expect(await exists('user:state:27821234567')).toBe(1);
    expect(await CacheManager.clearUserState('27821234567')).toBe(1);
  });
});

describe('CACHE_TTL / USER_STATE_TTL', () => {
  it('set the userState TTL policy when the config file does not', () => {
    const none = path.join(dir, 'none');
    expect(loadConfig({ cwd: none, env: { USER_STATE_TTL: '7200' } }).families.userState!.ttlSeconds).toBe(7200);
    expect(loadConfig({ cwd: none, env: { CACHE_TTL: '3600' } }).families.userState!.ttlSeconds).toBe(3600);
    expect(loadConfig({ cwd: none, env: { CACHE_TTL: '3600', USER_STATE_TTL: '86400' } }).families.userState!.ttlSeconds).toBe(86400);
    const file = path.join(dir, 'ttl.json');
    writeFileSync(file, JSON.stringify({ families: { userState: { template: 'user:state:{phone}', user: 'phone', ttlSeconds: 600 } } }));
    expect(loadConfig({ file, env: { USER_STATE_TTL: '7200' } }).families.userState!.ttlSeconds).toBe(600);
    expect(() => loadConfig({ cwd: none, env: { USER_STATE_TTL: '1h' } })).toThrow(/USER_STATE_TTL must be a whole number/);
  });
});

function countUserStates(): Promise<number> {
  return countOnNode(redis, 'user:state:*');
}

function legacy(args: string[]): Promise<CliResult> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts/clear-cache.js'), ...args], {
      cwd: dir,
      env: cleanEnv({ REDIS_URL: server.url, PM2_HOME: path.join(dir, 'no-pm2') }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - start }));
  });
}

describe('scripts/clear-cache.js: every command line of the manual, forwarded to cachectl', () => {
  beforeEach(seed);

  it('prints a one-line deprecation note on stderr, and stats works', async () => {
    const result = await legacy(['stats', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.split('\n')[0]).toBe('clear-cache.js is deprecated: running "cachectl stats --json" (call cachectl directly)');
    expect(JSON.parse(result.stdout).summary.userStates).toBeGreaterThanOrEqual(USERS.length);
  });

  it('user <phone>', async () => {
    const result = await legacy(['user', '27821234567', '--yes']);
    expect(result.code, result.stderr).toBe(0);
    expect(await exists('user:state:27821234567')).toBe(0);
    expect(await exists('user:state:27820000000')).toBe(1);
  });

  it('old, old --hours=48, old --hours=168', async () => {
    for (const args of [['old'], ['old', '--hours=48'], ['old', '--hours=168']]) {
      const result = await legacy(args);
      expect(result.code, result.stderr).toBe(0);
    }
    expect(await exists(...USERS)).toBe(USERS.length);
  });

  it('all: without a terminal it needs --yes (exit 4, nothing touched); all --queue', async () => {
    const refused = await legacy(['all']);
    expect(refused.code).toBe(4);
    expect(await exists(...USERS)).toBe(USERS.length);
    const result = await legacy(['all', '--yes']);
    expect(result.code, result.stderr).toBe(0);
    expect(await exists(...USERS, 'context:STORY-1')).toBe(0);
    await seed();
    const queue = await legacy(['all', '--queue', '--yes']);
    expect(queue.code, queue.stderr).toBe(0);
    expect(await exists(...USERS)).toBe(0);
  });

  it('maintenance', async () => {
    const result = await legacy(['maintenance']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/finished: ok/);
  });

  it('pm2-status and pm2-clean without a PM2 daemon: exit 3, nothing changed', async () => {
    expect((await legacy(['pm2-status'])).code).toBe(3);
    expect((await legacy(['pm2-clean', '--yes', '--ecosystem', path.join(ROOT, 'ecosystem.config.cjs')])).code).toBe(3);
    expect(await exists('chats:device-1:chat-1')).toBe(1);
  });

  it('--pm2-restart, --deploy, --pre-deploy', async () => {
    expect((await legacy(['--pm2-restart'])).code).toBe(0);
    const deploy = await legacy(['--deploy']);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(await exists('chats:device-1:chat-1', 'context:STORY-1')).toBe(0);
    await seed();
    const pre = await legacy(['--pre-deploy']);
    expect(pre.code, pre.stderr).toBe(0);
    expect(readdirSync(path.join(dir, 'logs', 'backups')).some((f) => f.startsWith('pre-deploy-'))).toBe(true);
    expect(await exists(...USERS)).toBe(USERS.length);
  });
});
