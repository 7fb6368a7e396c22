// PM2 integration against a real PM2 daemon in a temporary PM2_HOME: the shipped ecosystem file
// passes PM2's own validation, the maintenance app runs once and stops (no restart loop),
// `pm2-status` and `pm2-clean` see and restart real processes. No daemon is left behind.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { listProcesses } from '../../src/core/pm2/client.js';
import { loadEcosystem } from '../../src/core/pm2/ecosystem.js';
import { readLastRun } from '../../src/core/records/runs.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { eventually, pm2Cli, processesOf, workDir } from '../helpers/unattended.js';

const require = createRequire(import.meta.url);

let server: ServerHandle;
let connection: RedisConnection;
let work: ReturnType<typeof workDir>;
let home: string;
let ecosystemFile: string;
let env: NodeJS.ProcessEnv;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  server = await startServer();
  connection = await connect({ url: server.url });
  work = workDir('pm2', {
    families: { fresh: { template: 'pc:{id}', clearOnDeploy: true }, other: { template: 'po:{id}' } },
    maintenance: { lockTtlSeconds: 5 },
  });
  home = path.join(work.dir, 'pm2-home');
  env = { REDIS_URL: server.url, CACHECTL_CONFIG: work.configFile, PM2_HOME: home };
  // The shipped apps, pointed at this test's server, folder and binary; everything else as shipped.
  copyFileSync(path.join(ROOT, 'examples/app.js'), path.join(work.dir, 'app.js'));
  const shipped = await loadEcosystem(path.join(ROOT, 'ecosystem.config.cjs'));
  const apps = shipped.apps.map((app) => ({
    ...app,
    script: app.script === path.join(ROOT, 'examples/app.js') ? path.join(work.dir, 'app.js') : BIN,
    cwd: work.dir,
    env: { REDIS_URL: server.url, CACHECTL_CONFIG: work.configFile, NO_COLOR: '1' },
    ...Object.fromEntries(
      ['out_file', 'error_file', 'log_file'].filter((k) => typeof app[k] === 'string').map((k) => [k, path.join(work.dir, String(app[k]))]),
    ),
  }));
  ecosystemFile = path.join(work.dir, 'ecosystem.config.cjs');
  writeFileSync(ecosystemFile, `module.exports = ${JSON.stringify({ apps }, null, 2)};\n`);
}, 60_000);

afterAll(async () => {
  try {
    if (home && existsSync(path.join(home, 'pm2.pid'))) {
      const pids = (await listProcesses(home).catch(() => [])).map((p) => p.pid).filter((pid) => pid > 0);
      pm2Cli(home, ['kill']);
      // no daemon and no app of this test is left running
      await eventually(() => expect(pids.filter(alive)).toEqual([]), 15_000);
    }
    if (work) await eventually(() => expect(processesOf(work.dir)).toEqual([]), 15_000);
  } finally {
    await connection?.close();
    await server?.stop();
    work?.cleanup();
  }
}, 60_000);

describe('the shipped ecosystem file', () => {
  it("passes PM2's own validation and PM2 keeps every key we wrote", async () => {
    const Common = require(path.join(ROOT, 'node_modules/pm2/lib/Common.js')) as { verifyConfs(apps: unknown[]): unknown[] | Error };
    const shipped = await loadEcosystem(path.join(ROOT, 'ecosystem.config.cjs'));
    const verified = Common.verifyConfs(structuredClone(shipped.apps));
    expect(verified).toBeInstanceOf(Array);
    (verified as Array<Record<string, unknown>>).forEach((app, i) => {
      for (const key of Object.keys(shipped.apps[i]!)) expect(app, `${shipped.apps[i]!.name}.${key}`).toHaveProperty(key);
    });
    // a key PM2 does not know is dropped by the same validation: the check above can fail
    const dropped = Common.verifyConfs([{ name: 'x', script: 'x.js', pre_restart: 'echo' }]) as Array<Record<string, unknown>>;
    expect(dropped[0]).not.toHaveProperty('pre_restart');
  });
});

describe('under a real PM2 daemon', () => {
  it('starts the apps; the maintenance app runs once and stays stopped (no restart loop)', async () => {
    const started = pm2Cli(home, ['start', ecosystemFile], work.dir);
    expect(started.code, started.out).toBe(0);
    const maintenance = await eventually(async () => {
      const list = await listProcesses(home);
      const app = list.find((p) => p.name === 'cache_maintenance');
      expect(app?.status).toBe('stopped');
      return app!;
    }, 30_000);
    expect(maintenance).toMatchObject({ restarts: 0, cronRestart: '0 2 * * *', autorestart: false });
    await sleep(3000);
    const later = (await listProcesses(home)).find((p) => p.name === 'cache_maintenance')!;
    expect(later).toMatchObject({ status: 'stopped', restarts: 0 });
    // it really ran maintenance: one JSON finish line in its PM2 log, and the record in Redis
    const out = readFileSync(path.join(work.dir, 'logs/cache-maintenance-out.log'), 'utf8');
    const finish = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l.replace(/^\S+: /, '')))
      .find((l) => l.event === 'finish');
    expect(finish?.run?.id).toBeDefined();
    expect((await readLastRun(connection, 'cachectl:maintenance:runs'))?.id).toBe(finish.run.id);
    const api = (await listProcesses(home)).find((p) => p.name === 'whatsapp_api')!;
    expect(api.status).toBe('online');
  }, 60_000);

  it('pm2-status lists the real processes with cron and next run, and a cache summary', async () => {
    const result = await runCli(['pm2-status', '--json', '--tz', 'Africa/Johannesburg'], { env, cwd: work.dir });
    expect(result.code, result.stderr).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data.pm2.running).toBe(true);
    const byName = Object.fromEntries(data.pm2.processes.map((p: { name: string }) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(['cache_cleanup', 'cache_listener', 'cache_maintenance', 'whatsapp_api']);
    expect(byName.cache_listener).toMatchObject({ status: 'online', restarts: 0 });
    expect(byName.whatsapp_api).toMatchObject({ status: 'online', restarts: 0 });
    expect(byName.whatsapp_api.cronRestart).toBeUndefined();
    expect(byName.whatsapp_api.pid).toBeGreaterThan(0);
    expect(byName.whatsapp_api.memoryBytes).toBeGreaterThan(0);
    // next 02:00 in Johannesburg (UTC+2) is at 00:00 UTC
    const next = new Date(byName.cache_maintenance.nextRun);
    expect(next.getUTCHours()).toBe(0);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
    expect(data.cache.totalKeys).toBeGreaterThanOrEqual(1);
    expect(data.cache.lastMaintenance.id).toBeDefined();

    const text = await runCli(['pm2-status'], { env, cwd: work.dir });
    expect(text.stdout).toMatch(/whatsapp_api .*online/);
    expect(text.stdout).toMatch(/cache_maintenance .*stopped .*0 2 \* \* \*/);
  });

  it('pm2-clean clears the clearOnDeploy families, then restarts the non-cron apps', async () => {
    const pipeline = connection.client.pipeline();
    for (let i = 0; i < 12; i++) pipeline.set(`pc:${i}`, 'v');
    pipeline.set('po:1', 'v');
    await pipeline.exec();
    const before = (await listProcesses(home)).find((p) => p.name === 'whatsapp_api')!;
    const result = await runCli(['pm2-clean', '--yes', '--ecosystem', ecosystemFile, '--json'], { env, cwd: work.dir });
    expect(result.code, result.stderr).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data.families).toEqual({ fresh: 12 });
    expect(data.restarts).toEqual([
      expect.objectContaining({ name: 'whatsapp_api', ok: true, restartsBefore: before.restarts, restartsAfter: before.restarts + 1 }),
      expect.objectContaining({ name: 'cache_listener', ok: true }),
    ]);
    expect(await connection.client.exists('pc:0', 'pc:11')).toBe(0);
    expect(await connection.client.exists('po:1')).toBe(1);
    const after = await eventually(async () => {
      const p = (await listProcesses(home)).find((x) => x.name === 'whatsapp_api')!;
      expect(p.status).toBe('online');
      return p;
    });
    expect(after.restarts).toBe(before.restarts + 1);
    expect(after.pid).not.toBe(before.pid);
  });

  it('pm2-clean reports an app that cannot be restarted and exits 5', async () => {
    const result = await runCli(['pm2-clean', 'whatsapp_api', 'no_such_app', '--yes'], { env, cwd: work.dir });
    expect(result.code).toBe(5);
    expect(result.stdout).toMatch(/whatsapp_api .*ok/);
    expect(result.stdout).toMatch(/no_such_app .*failed: no such process/);
  });

  it('pm2-clean without --yes and without a terminal refuses (exit 4) and restarts nothing', async () => {
    const before = (await listProcesses(home)).find((p) => p.name === 'whatsapp_api')!.restarts;
    const result = await runCli(['pm2-clean', '--ecosystem', ecosystemFile], { env, cwd: work.dir });
    expect(result.code).toBe(4);
    expect((await listProcesses(home)).find((p) => p.name === 'whatsapp_api')!.restarts).toBe(before);
  });
});

describe('without a PM2 daemon', () => {
  it('pm2-status says so, exits 3, and starts nothing', async () => {
    const empty = path.join(work.dir, 'no-daemon-home');
    const result = await runCli(['pm2-status'], { env: { ...env, PM2_HOME: empty }, cwd: work.dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/no PM2 daemon is running for PM2_HOME=.*no-daemon-home/);
    expect(result.stdout).toMatch(/cache: \d+ keys/);
    expect(existsSync(empty)).toBe(false);
    expect(processesOf(empty)).toEqual([]);
  });

  it('pm2-clean changes nothing and exits 3', async () => {
    await connection.client.set('pc:kept', 'v');
    const empty = path.join(work.dir, 'no-daemon-home');
    const result = await runCli(['pm2-clean', 'whatsapp_api', '--yes'], { env: { ...env, PM2_HOME: empty }, cwd: work.dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/nothing was cleared/);
    expect(await connection.client.exists('pc:kept')).toBe(1);
  });
});
