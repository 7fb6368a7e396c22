// doctor on a server of its own: healthy first, then every check made to fail (or warn) once on
// purpose, each problem cleaned up before the next.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/load.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import { runDoctor } from '../../../src/core/doctor/run.js';
import type { CheckId, DoctorResult } from '../../../src/core/doctor/types.js';
import { recordRun, type MaintenanceRun } from '../../../src/core/records/runs.js';

const RUNS_STREAM = 'cachectl:maintenance:runs';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { BullHarness, waitFor } from '../../helpers/bullmq.js';
import { runCli } from '../../helpers/cli.js';
import { parsePrometheus, promValue } from '../../helpers/prom-parse.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';

const settings: ConfigInput = {
  queues: { prefixes: ['bull'], eventsMaxLen: 50 },
  doctor: { failedWarn: 3, failedFail: 5, waitingAgeWarnMinutes: 30, waitingAgeFailMinutes: 60 },
};
const GOOD_ECOSYSTEM = `module.exports = { apps: [
  { name: 'api', script: './src/server.js', kill_timeout: 5000 },
  { name: 'cache_maintenance', script: './node_modules/.bin/cachectl', args: 'maintenance', cron_restart: '0 2 * * *', autorestart: false },
] };\n`;
const BAD_ECOSYSTEM = `module.exports = { apps: [
  { name: 'api', script: './src/server.js', pre_restart: 'node scripts/clear-cache.js --pm2-restart' },
  { name: 'cache_maintenance', script: './node_modules/.bin/cachectl', args: 'maintenance', cron_restart: '0 2 * * *' },
] };\n`;

const check = (result: DoctorResult, id: CheckId) => result.checks.find((c) => c.id === id)!;

function maintenanceRun(startedAt: Date, status: MaintenanceRun['status'] = 'ok'): MaintenanceRun {
  return {
    id: `run-${startedAt.getTime()}`,
    startedAt: startedAt.toISOString(),
    finishedAt: startedAt.toISOString(),
    status,
    hours: 24,
    removed: { families: { userState: 2 }, queues: {} },
    errors: status === 'failed' ? ['boom'] : [],
    host: 'test',
  };
}

describe('doctor on a server of its own', () => {
  let server: ServerHandle;
  let client: Redis;
  let connection: RedisConnection;
  let bull: BullHarness;
  let dir: string;
  const config = resolveConfig(settings);
  const doctor = (extra: Parameters<typeof runDoctor>[2] = {}, cfg = config) => runDoctor(connection, cfg, { cwd: dir, ...extra });
  const cli = (...args: string[]) => runCli(['doctor', '--redis-url', server.url, ...args], { cwd: dir });

  /** Remove every key of a queue (test cleanup). */
  async function dropQueue(name: string): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `bull:${name}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  }

  beforeAll(async () => {
    server = await startServer();
    client = new Redis(server.url);
    const pipeline = client.pipeline();
    for (let i = 0; i < 50; i++) pipeline.set(`user:state:+2782000${i}`, '{}', 'EX', 86400);
    for (let i = 0; i < 30; i++) pipeline.set(`chats:dev-1:chat-${i}`, '[]', 'EX', 300);
    await pipeline.exec();
    bull = new BullHarness({ name: 'redis', url: server.url, cluster: false }, 'bull');
    const queue = bull.queue('healthy');
    const worker = bull.worker('healthy', async () => 'ok');
    await queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    await waitFor(async () => (await queue.getCompletedCount()) === 2, 10_000, 'two completed jobs');
    await worker.close();
    connection = await connect({ url: server.url });
    await recordRun(connection, RUNS_STREAM, maintenanceRun(new Date()));
    dir = mkdtempSync(path.join(tmpdir(), 'cachectl-doctor-'));
    writeFileSync(path.join(dir, 'cachectl.config.json'), JSON.stringify(settings));
    writeFileSync(path.join(dir, 'ecosystem.config.cjs'), GOOD_ECOSYSTEM);
  });

  afterAll(async () => {
    await connection?.close();
    await bull?.closeAll();
    await client?.quit();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes every check on a healthy server and exits 0', async () => {
    const result = await cli('--json');
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as DoctorResult;
    const notPassing = report.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.status} ${c.message}`);
    expect(notPassing).toEqual([]);
    expect(report.checks.map((c) => c.id)).toEqual([
      'connectivity',
      'server-version',
      'eviction-policy',
      'ttl-coverage',
      'fragmentation',
      'maintenance',
      'failed-jobs',
      'stalled-jobs',
      'waiting-age',
      'events-streams',
      'queue-keys',
      'invalidation-stream',
      'tenants',
      'ecosystem',
    ]);
    expect(report).toMatchObject({ status: 'pass', counts: { pass: 14, warn: 0, fail: 0, skip: 0 } });
    expect(result.code).toBe(0);
  });

  it('fails the eviction check when queues live on a server that evicts', async () => {
    await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      const result = await cli('--json');
      const report = JSON.parse(result.stdout) as DoctorResult;
      expect(check(report, 'eviction-policy')).toMatchObject({
        status: 'fail',
        message: expect.stringMatching(/queues present on a server that evicts \(allkeys-lru/),
        hint: expect.stringMatching(/noeviction/),
      });
      expect(report.status).toBe('fail');
      expect(result.code).toBe(1);
    } finally {
      await client.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });

  it('warns about a cache with maxmemory and noeviction (no queues)', async () => {
    await client.config('SET', 'maxmemory', '1gb');
    try {
      const noQueues = resolveConfig({ ...settings, queues: { prefixes: ['elsewhere'] } });
      const report = await doctor({}, noQueues);
      expect(check(report, 'eviction-policy')).toMatchObject({ status: 'warn', message: expect.stringMatching(/noeviction: writes fail with OOM/) });
      expect(check(report, 'failed-jobs').status).toBe('skip');
    } finally {
      await client.config('SET', 'maxmemory', '0');
    }
  });

  it('warns about a few cache keys without TTL and fails when many lack one', async () => {
    await client.set('user:state:+27829999999', '{}');
    const few = await doctor({ exact: true });
    expect(check(few, 'ttl-coverage')).toMatchObject({ status: 'warn', message: expect.stringMatching(/^userState: 1 of 51 keys without TTL/) });
    const pipeline = client.pipeline();
    for (let i = 0; i < 20; i++) pipeline.set(`chats:dev-2:chat-${i}`, '[]');
    await pipeline.exec();
    const many = await doctor({ exact: true });
    expect(check(many, 'ttl-coverage')).toMatchObject({ status: 'fail', message: expect.stringMatching(/chatList: 20 of 50 keys without TTL/) });
    expect(check(many, 'ttl-coverage').findings.find((f) => f.subject === 'userState')?.status).toBe('warn');
    await client.unlink('user:state:+27829999999', ...Array.from({ length: 20 }, (_, i) => `chats:dev-2:chat-${i}`));
    expect(check(await doctor({ exact: true }), 'ttl-coverage').status).toBe('pass');
  });

  it('judges fragmentation once the used-memory floor allows it', async () => {
    // A fresh server's RSS is many times its tiny data set.
    const strict = resolveConfig({ ...settings, doctor: { ...settings.doctor, fragmentationMinUsedMb: 0 } });
    const report = await doctor({}, strict);
    expect(check(report, 'fragmentation')).toMatchObject({ status: 'fail', message: expect.stringMatching(/ratio \d+\.\d+ .* >= 3/) });
    expect(check(await doctor(), 'fragmentation').message).toMatch(/not judged below 64\.00M used/);
  });

  it('flags overdue maintenance from a stale run record, and a missing record', async () => {
    await client.unlink(RUNS_STREAM);
    try {
      await recordRun(connection, RUNS_STREAM, maintenanceRun(new Date(Date.now() - 3 * 86_400_000)));
      expect(check(await doctor(), 'maintenance')).toMatchObject({ status: 'fail', message: expect.stringMatching(/^overdue: no successful run since /) });
      await recordRun(connection, RUNS_STREAM, maintenanceRun(new Date(), 'failed'));
      expect(check(await doctor(), 'maintenance')).toMatchObject({ status: 'fail', message: expect.stringMatching(/overdue.*last run .*\(failed: boom\)/) });
      await client.unlink(RUNS_STREAM);
      expect(check(await doctor(), 'maintenance')).toMatchObject({ status: 'warn', message: expect.stringMatching(/no maintenance run recorded/) });
      const badSchedule = resolveConfig({ ...settings, maintenance: { schedule: '0 25 * * *' } });
      await recordRun(connection, RUNS_STREAM, maintenanceRun(new Date()));
      expect(check(await doctor({}, badSchedule), 'maintenance')).toMatchObject({ status: 'fail', message: expect.stringMatching(/is invalid/) });
    } finally {
      await client.unlink(RUNS_STREAM);
      await recordRun(connection, RUNS_STREAM, maintenanceRun(new Date()));
    }
  });

  it('fails a queue whose failed set grew past the threshold', async () => {
    const queue = bull.queue('failing');
    const worker = bull.worker('failing', async () => {
      throw new Error('WhatsApp API returned 470');
    });
    await queue.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: 'send', data: { i }, opts: { attempts: 1 } })));
    await waitFor(async () => (await queue.getFailedCount()) === 6, 10_000, 'six failed jobs');
    await worker.close();
    try {
      const report = await doctor();
      expect(check(report, 'failed-jobs')).toMatchObject({ status: 'fail', message: 'bull:failing: 6 failed jobs (>= 5)' });
      expect(check(report, 'failed-jobs').findings.find((f) => f.subject === 'bull:healthy')?.status).toBe('pass');
    } finally {
      await dropQueue('failing');
    }
  });

  it('warns about an active job whose lock is gone (stalled)', async () => {
    const queue = bull.queue('stalling');
    await queue.add('send', { to: '+27820000000' });
    const worker = new Worker('stalling', null, { connection: bull.client(), prefix: 'bull', autorun: false });
    try {
      const job = await worker.getNextJob('token-1');
      expect(await client.exists(`bull:stalling:${job!.id}:lock`)).toBe(1);
      expect(check(await doctor(), 'stalled-jobs').status).toBe('pass');
      await client.unlink(`bull:stalling:${job!.id}:lock`); // the worker died holding it
      const report = await doctor();
      expect(check(report, 'stalled-jobs')).toMatchObject({
        status: 'warn',
        message: `bull:stalling: 1 of 1 active job(s) have no lock (e.g. job ${job!.id})`,
      });
    } finally {
      await worker.close(true);
      await dropQueue('stalling');
    }
  });

  it('warns and then fails on jobs that have waited too long', async () => {
    const queue = bull.queue('slow');
    await queue.add('send', {}, { timestamp: Date.now() - 45 * 60_000 });
    try {
      expect(check(await doctor(), 'waiting-age')).toMatchObject({
        status: 'warn',
        message: expect.stringMatching(/^bull:slow: oldest waiting job is 4\dm old \(>= 30 min\)/),
      });
      await queue.add('send', {}, { timestamp: Date.now() - 2 * 3_600_000 });
      expect(check(await doctor(), 'waiting-age')).toMatchObject({
        status: 'fail',
        message: expect.stringMatching(/^bull:slow: oldest waiting job is 2h \dm old \(>= 60 min\)/),
      });
    } finally {
      await dropQueue('slow');
    }
  });

  it('warns about an events stream past queues.eventsMaxLen', async () => {
    const pipeline = client.pipeline();
    for (let i = 0; i < 200; i++) pipeline.xadd('bull:healthy:events', '*', 'event', 'waiting', 'jobId', String(i));
    await pipeline.exec();
    try {
      const length = await client.xlen('bull:healthy:events');
      expect(check(await doctor(), 'events-streams')).toMatchObject({
        status: 'warn',
        message: `bull:healthy: events stream holds ${length} entries (queues.eventsMaxLen 50)`,
      });
    } finally {
      await client.xtrim('bull:healthy:events', 'MAXLEN', 10);
    }
    expect(check(await doctor(), 'events-streams').status).toBe('pass');
  });

  it('lints the ecosystem file: keys PM2 drops and cron apps that loop fail', async () => {
    const bad = path.join(dir, 'bad.config.cjs');
    writeFileSync(bad, BAD_ECOSYSTEM);
    const report = await doctor({ ecosystemFile: bad });
    const eco = check(report, 'ecosystem');
    expect(eco.status).toBe('fail');
    expect(eco.findings.map((f) => f.subject)).toEqual(expect.arrayContaining(['api', 'cache_maintenance']));
    expect(eco.message).toMatch(/pre_restart/);
    expect(eco.message).toMatch(/autorestart: false/);
    writeFileSync(bad, 'module.exports = { apps: [ { name: "x", script: ');
    expect(check(await doctor({ ecosystemFile: bad }), 'ecosystem')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/cannot load ecosystem file/),
    });
    expect(check(await doctor({ ecosystemFile: null }), 'ecosystem').status).toBe('skip');
    expect(check(await doctor({ cwd: tmpdir() }), 'ecosystem')).toMatchObject({ status: 'skip', message: expect.stringMatching(/no ecosystem\.config\.cjs/) });
  });

  it('warns on latency above the configured limit', async () => {
    const strict = resolveConfig({ ...settings, doctor: { ...settings.doctor, latencyWarnMs: 0.000001 } });
    expect(check(await doctor({}, strict), 'connectivity')).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/ms round trip \(above 0\.000001 ms\)/),
    });
  });

  it('exits 0 on warnings, 1 with --strict, and prints hints under them', async () => {
    await client.set('user:state:+27829999998', '{}');
    try {
      const lenient = await cli('--exact');
      expect(lenient.code).toBe(0);
      expect(lenient.stdout).toMatch(/WARN {2}Cache keys without TTL +userState: 1 of 51 keys without TTL/);
      expect(lenient.stdout).toMatch(/hint: the code that writes these keys forgets the TTL/);
      expect((await cli('--exact', '--strict')).code).toBe(1);
    } finally {
      await client.unlink('user:state:+27829999998');
    }
  });

  it('--prometheus prints one gauge per check that parses', async () => {
    const result = await cli('--prometheus');
    expect(result.code).toBe(0);
    const metrics = parsePrometheus(result.stdout);
    expect(promValue(metrics, 'cachectl_doctor_status')).toBe(0);
    expect(promValue(metrics, 'cachectl_doctor_check_status', { check: 'eviction-policy' })).toBe(0);
    expect(metrics.get('cachectl_doctor_check_status')?.samples).toHaveLength(14);
  });

  it('reports an unreachable server as a failed connectivity check (exit 1)', async () => {
    const result = await runCli(['doctor', '--json', '--redis-url', 'redis://127.0.0.1:1', '--connect-timeout', '1s'], { cwd: dir });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as DoctorResult;
    expect(check(report, 'connectivity')).toMatchObject({ status: 'fail', message: expect.stringMatching(/ECONNREFUSED|connect/i), hint: expect.any(String) });
    expect(check(report, 'eviction-policy').status).toBe('skip');
    expect(check(report, 'ecosystem').status).toBe('pass'); // the file is still checked
  });

  it('refuses an --ecosystem file that does not exist before connecting (exit 2)', async () => {
    const result = await cli('--ecosystem', 'nope.config.cjs');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ecosystem file not found: nope\.config\.cjs/);
  });
});
