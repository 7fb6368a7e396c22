// `cachectl maintenance`, `hook …` and the legacy flags, end to end against a server of their own
// (maintenance uses the real lock and record keys and clears whole families).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { readLastRun } from '../../src/core/records/runs.js';

/** The server is this file's own: the default namespace's lock and record stream. */
const RUNS_STREAM = 'cachectl:maintenance:runs';
const LOCK_KEY = 'cachectl:maintenance:lock';
import { verifyBackup } from '../../src/core/backup/verify.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { countMatching } from '../helpers/count.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { maintenanceLog, seedJobs, spawnStreaming, workDir } from '../helpers/unattended.js';

const AGE_HOURS = 0.001; // 3.6 s: keys idle longer than this are "old" (a start-up on a busy machine stays well below)
const IDLE_WAIT_MS = 4800;

const CONFIG = {
  families: {
    old: { template: 'ta:{id}', clearOnDeploy: true },
    keep: { template: 'tb:{id}', maxAgeHours: 1000 },
  },
  queues: { completedRetentionHours: AGE_HOURS, failedRetentionHours: AGE_HOURS, eventsMaxLen: 10 },
  maintenance: { hours: AGE_HOURS, lockTtlSeconds: 5 },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: ServerHandle;
let connection: RedisConnection;
let work: ReturnType<typeof workDir>;
let env: NodeJS.ProcessEnv;

async function seedKeys(prefix: string, count: number): Promise<void> {
  const pipeline = connection.client.pipeline();
  for (let i = 0; i < count; i++) pipeline.set(`${prefix}${i}`, 'v', 'EX', 3600);
  await pipeline.exec();
}

function countKeys(pattern: string): Promise<number> {
  return countMatching(connection, pattern);
}

// Log lines are free-form JSON objects; tests read the fields they know.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function jsonLines(stdout: string): Array<Record<string, any>> {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

beforeAll(async () => {
  server = await startServer();
  connection = await connect({ url: server.url });
  work = workDir('maint', CONFIG);
  env = { REDIS_URL: server.url, CACHECTL_CONFIG: work.configFile };
});

afterAll(async () => {
  await connection?.close();
  await server?.stop();
  work?.cleanup();
});

describe('cachectl maintenance', () => {
  it('clears old entries per family, cleans finished jobs, trims events, snapshots stats, records the run', async () => {
    await seedKeys('ta:', 20);
    await seedKeys('tb:', 5);
    await connection.client.set('user:state:27820000001', 'live user state');
    await seedJobs(server.url, 'mq', { done: 30, failing: 4, waiting: 5 });
    const eventsBefore = await connection.client.xlen('bull:mq:events');
    await sleep(IDLE_WAIT_MS);
    await connection.client.set('ta:young', 'v', 'EX', 3600);

    const result = await spawnCli(['maintenance', '--log-format', 'json'], { env, cwd: work.dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = jsonLines(result.stdout); // every line is one JSON object
    expect(lines[0]).toMatchObject({ event: 'start', level: 'info' });
    const finish = lines.at(-1)!;
    expect(finish).toMatchObject({ event: 'finish', recorded: true, run: { status: 'ok', errors: [] } });
    const run = finish.run;
    expect(run.removed.families).toEqual({ old: 20, keep: 0 });
    expect(run.removed.queues['bull:mq']).toBe(34);
    expect(run.removed.queues['bull:mq:events']).toBeGreaterThan(0);
    expect(run.steps.map((s: { name: string }) => s.name)).toEqual(['clear-old', 'ttl-policy', 'clean-queues', 'trim-events', 'stats-snapshot']);
    expect(run.snapshot).toMatchObject({ families: { old: 1, keep: 5 } });

    // what stayed: young entries, a family with a longer maxAgeHours, waiting jobs, user state
    expect(await connection.client.exists('ta:young')).toBe(1);
    expect(await countKeys('tb:*')).toBe(5);
    expect(await connection.client.llen('bull:mq:wait')).toBe(5);
    expect(await connection.client.zcard('bull:mq:completed')).toBe(0);
    expect(await connection.client.xlen('bull:mq:events')).toBe(eventsBefore + 0 - run.removed.queues['bull:mq:events'] + (await extraEvents()));
    expect(await connection.client.get('user:state:27820000001')).toBe('live user state');

    // the record in Redis and the line in the log say the same
    expect((await readLastRun(connection, RUNS_STREAM))?.id).toBe(run.id);
    const line = maintenanceLog(work.dir).find((l) => l.id === run.id);
    expect(line).toMatchObject({ status: 'ok', recorded: true, removed: run.removed });
    expect(await connection.client.exists(LOCK_KEY)).toBe(0);

    async function extraEvents(): Promise<number> {
      // Queue.clean adds one "cleaned" event per call; count them instead of guessing.
      const entries = await connection.client.xrange('bull:mq:events', '-', '+');
      return entries.filter(([, fields]) => fields[1] === 'cleaned').length;
    }
  });

  it('--hours overrides every family (maxAgeHours too); --json prints one result', async () => {
    await seedKeys('tb:h', 3);
    await sleep(IDLE_WAIT_MS);
    const before = await countKeys('tb:*');
    const result = await runCli(['maintenance', '--hours', String(AGE_HOURS), '--json'], { env, cwd: work.dir });
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data).toMatchObject({ status: 'ok', hours: AGE_HOURS, recorded: true, exitCode: 0 });
    expect(data.removed.families.keep).toBe(before);
    expect(await countKeys('tb:*')).toBe(0);
  });

  it('text log format: readable lines, a start and a finish', async () => {
    const result = await runCli(['maintenance'], { env, cwd: work.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/maintenance \S+ started on redis:\/\/127\.0\.0\.1:\d+: 5 steps/);
    expect(result.stdout).toMatch(/clean-queues: ok/);
    expect(result.stdout).toMatch(/finished: ok, .*recorded in Redis/);
    expect(() => JSON.parse(result.stdout.split('\n')[0]!)).toThrow();
  });

  it('--dry-run counts what each step would remove and changes nothing: no deletes, no lock, no record', async () => {
    await seedKeys('ta:dry', 7);
    await sleep(IDLE_WAIT_MS);
    const keys = await countKeys('ta:*');
    const records = await connection.client.xlen(RUNS_STREAM);
    const result = await runCli(['maintenance', '--dry-run'], { env, cwd: work.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`dry run finished: would remove ${keys} key\\(s\\) \\(old ${keys}\\).*nothing changed, nothing recorded`));
    expect(await countKeys('ta:*')).toBe(keys);
    expect(await connection.client.xlen(RUNS_STREAM)).toBe(records);
    expect(await connection.client.exists(LOCK_KEY)).toBe(0);
    const json = await runCli(['maintenance', '--dry-run', '--json'], { env, cwd: work.dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ recorded: false, exitCode: 0, removed: { families: { old: keys } } });
    expect(await countKeys('ta:*')).toBe(keys);
    await connection.client.del(...Array.from({ length: 7 }, (_, i) => `ta:dry${i}`)); // the next test counts ta:*
  });

  it('two concurrent runs against one server: exactly one does the work, the other exits 6 naming the holder', async () => {
    await seedKeys('ta:c', 300);
    await sleep(IDLE_WAIT_MS);
    const recordsBefore = await connection.client.xlen(RUNS_STREAM);
    // --rate keeps the first run busy for ~3 s, so the second surely overlaps it
    const first = spawnStreaming(['maintenance', '--rate', '100', '--log-format', 'json'], { env, cwd: work.dir });
    await first.waitFor((line) => line.includes('"event":"start"'));
    const second = await spawnCli(['maintenance', '--log-format', 'json'], { env, cwd: work.dir });
    expect(second.code).toBe(6);
    expect(second.stderr).toMatch(new RegExp(`maintenance is already running \\(lock cachectl:maintenance:lock held by \\S+ pid ${first.child.pid}, started `));
    expect(jsonLines(second.stdout)).toEqual([expect.objectContaining({ event: 'lock-held', level: 'error' })]);
    const done = await first.done;
    expect(done.code).toBe(0);
    const finish = jsonLines(done.stdout).at(-1)!;
    expect(finish.run.removed.families.old).toBe(300);
    expect(await connection.client.xlen(RUNS_STREAM)).toBe(recordsBefore + 1);
    // the lock was released: the next run goes ahead
    expect((await runCli(['maintenance', '--json'], { env, cwd: work.dir })).code).toBe(0);
  });
});

describe('Redis disappears during a run', () => {
  it('exits non-zero and its log line says what was done (checked against the restarted server)', async () => {
    const doomed = await startServer({ persistence: true });
    const local = workDir('gone', CONFIG);
    const c = await connect({ url: doomed.url });
    try {
      const pipeline = c.client.pipeline();
      for (let i = 0; i < 300; i++) pipeline.set(`ta:${i}`, 'v');
      await pipeline.exec();
      await sleep(IDLE_WAIT_MS);
      const run = spawnStreaming(['maintenance', '--rate', '100', '--log-format', 'json'], {
        env: { REDIS_URL: doomed.url, CACHECTL_CONFIG: local.configFile },
        cwd: local.dir,
      });
      await run.waitFor((line) => line.includes('"step":"clear-old"') && line.includes('"event":"step-start"'));
      await sleep(700); // ~70 keys into a 3 s step
      await doomed.kill();
      const done = await run.done;
      expect(done.code).not.toBe(0);
      expect([1, 5]).toContain(done.code);
      const [line] = maintenanceLog(local.dir);
      expect(line).toMatchObject({ recorded: false, status: done.code === 5 ? 'partial' : 'failed' });
      expect(line!.errors.join('\n')).toMatch(/lost the connection/);
      expect(line!.steps.map((s: { status: string }) => s.status)).toEqual(['failed', 'skipped', 'skipped', 'skipped', 'skipped']);
      // the record's count matches what the server lost, give or take the call in flight (rate/10 keys)
      await doomed.restart();
      const after = await connect({ url: doomed.url });
      try {
        const left = await after.client.dbsize();
        const actuallyRemoved = 300 - (left - ((await after.client.exists(LOCK_KEY)) ? 1 : 0));
        const recorded = line!.removed.families.old ?? 0;
        expect(recorded).toBeGreaterThan(0);
        expect(actuallyRemoved - recorded).toBeGreaterThanOrEqual(0);
        expect(actuallyRemoved - recorded).toBeLessThanOrEqual(10);
      } finally {
        await after.close();
      }
    } finally {
      await c.close();
      await doomed.stop();
      local.cleanup();
    }
  });
});

describe("hooks and the earlier tool's flags", () => {
  it('--deploy clears the clearOnDeploy families only, prints a summary and audits', async () => {
    await seedKeys('ta:d', 7);
    await seedKeys('tb:d', 4);
    const result = await runCli(['--deploy'], { env, cwd: work.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^hook deploy: ok/);
    expect(result.stdout).toMatch(/old: \d+ key\(s\) deleted/);
    expect(await countKeys('ta:*')).toBe(0);
    expect(await countKeys('tb:d*')).toBe(4);
    const audit = path.join(work.dir, 'logs', 'audit.log');
    expect(existsSync(audit)).toBe(true);
  });

  it('--pre-deploy backs up exactly the removed keys into logs/backups, then clears them', async () => {
    await seedKeys('ta:p', 6);
    const result = await runCli(['--pre-deploy', '--json'], { env, cwd: work.dir });
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data).toMatchObject({ hook: 'pre-deploy', status: 'ok', families: { old: 6 } });
    expect(data.backup.keys).toBe(6);
    expect(path.dirname(data.backup.file)).toBe(path.join(work.dir, 'logs', 'backups'));
    expect((await verifyBackup(data.backup.file)).keys).toBe(6);
    expect(readdirSync(path.join(work.dir, 'logs', 'backups')).filter((f) => f.startsWith('pre-deploy-'))).toHaveLength(1);
    expect(await countKeys('ta:*')).toBe(0);
  });

  it('--pm2-restart removes finished jobs past retention, never waiting jobs or user state', async () => {
    await seedJobs(server.url, 'rq', { done: 8, failing: 2, waiting: 3 });
    await connection.client.set('user:state:27820000002', 'live');
    await sleep(IDLE_WAIT_MS);
    const result = await runCli(['--redis-url', server.url, '--pm2-restart'], { env, cwd: work.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/bull:rq: 10 finished job\(s\) removed/);
    expect(await connection.client.llen('bull:rq:wait')).toBe(3);
    expect(await connection.client.zcard('bull:rq:failed')).toBe(0);
    expect(await connection.client.get('user:state:27820000002')).toBe('live');
  });

  it('hook with an unknown name is a usage error', async () => {
    const result = await runCli(['hook', 'post-deploy'], { env, cwd: work.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pre-deploy, deploy, pm2-restart/);
  });
});
