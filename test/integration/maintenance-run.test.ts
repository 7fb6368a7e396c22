// runMaintenance with simple real steps (they delete this test's own keys, sleep, or fail on
// purpose): lock, record, log line, status and exit code.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { LockHeldError, PartialError } from '../../src/errors.js';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { acquireLock, readLockHolder } from '../../src/core/records/lock.js';
import { ownKeys } from '../../src/core/records/own-keys.js';
import { readRuns } from '../../src/core/records/runs.js';
import { runMaintenance } from '../../src/core/maintenance/run.js';
import type { MaintenanceEvent, MaintenanceStep } from '../../src/core/maintenance/types.js';
import { startServer } from '../helpers/servers.js';
import { randomPrefix, serverTargets } from '../helpers/targets.js';

const defaults = resolveConfig({});
const logDir = mkdtempSync(path.join(tmpdir(), 'cachectl-mlog-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

/** A step that deletes `count` keys it created under `prefix` and reports them as `family`. */
function deleteStep(name: string, family: string, keys: string[]): MaintenanceStep {
  return {
    name,
    async run({ connection }) {
      let removed = 0;
      for (const key of keys) removed += await connection.client.unlink(key);
      return { removed: { families: { [family]: removed } } };
    },
  };
}

const failingStep: MaintenanceStep = {
  name: 'fails',
  async run() {
    throw new Error('failed on purpose');
  },
};

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function seed(connection: RedisConnection, prefix: string, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}{k}${i}`);
  await Promise.all(keys.map((k) => connection.client.set(k, 'v', 'EX', 300)));
  return keys;
}

const keysOf = (prefix: string) => [0, 1].map((i) => `${prefix}a:{k}${i}`);

/** One UNLINK per key: on a cluster the keys live in different slots. */
async function unlinkEach(connection: RedisConnection, keys: string[]): Promise<void> {
  for (const key of keys) await connection.client.unlink(key);
}

function logLines(): Array<Record<string, unknown>> {
  return readFileSync(path.join(logDir, 'maintenance.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe.each(serverTargets())('runMaintenance on $name', (target) => {
  async function setup(label: string) {
    const connection = await connect({ url: target.url });
    const prefix = randomPrefix(label);
    // Each test its own namespace, so lock and record stream are its own on the shared server.
    const config = resolveConfig({ namespace: `${prefix.replace(/:/g, '-')}ns` });
    const own = ownKeys(config);
    return { connection, prefix, config, lockKey: own.lock, stream: own.runs };
  }

  it('all steps succeed: ok, exit 0, record + log line, lock released', async () => {
    const { connection, prefix, config, lockKey, stream } = await setup('ok');
    try {
      const a = await seed(connection, `${prefix}a:`, 5);
      const b = await seed(connection, `${prefix}b:`, 3);
      const events: MaintenanceEvent[] = [];
      const outcome = await runMaintenance(connection, config, {
        steps: [deleteStep('clear-a', 'famA', a), deleteStep('clear-b', 'famB', b)],
        logDir,
        onEvent: (e) => events.push(e),
      });
      expect(outcome.exitCode).toBe(0);
      expect(outcome.run).toMatchObject({ status: 'ok', hours: 24, errors: [], removed: { families: { famA: 5, famB: 3 }, queues: {} } });
      expect(outcome.recorded).toBe(true);
      expect(await connection.client.exists(...a, ...b)).toBe(0);
      expect(await connection.client.exists(lockKey)).toBe(0);
      const [stored] = await readRuns(connection, stream, 5);
      expect(stored).toEqual(outcome.run);
      const line = logLines().find((l) => l.id === outcome.run.id);
      expect(line).toMatchObject({ status: 'ok', recorded: true, removed: { families: { famA: 5, famB: 3 } } });
      expect(events.map((e) => e.type)).toEqual(['start', 'step-start', 'step-end', 'step-start', 'step-end', 'finish']);
    } finally {
      await connection.client.unlink(stream);
      await connection.close();
    }
  });

  it('a failing step makes the run partial (exit 5), and PartialError counts are kept', async () => {
    const { connection, prefix, config, stream } = await setup('partial');
    try {
      const a = await seed(connection, `${prefix}a:`, 4);
      const halfDone: MaintenanceStep = {
        name: 'half',
        async run() {
          throw new PartialError('stopped half way', { removed: { queues: { 'bull:q': 7 } } });
        },
      };
      const outcome = await runMaintenance(connection, config, {
        steps: [deleteStep('clear-a', 'famA', a), failingStep, halfDone],
        hours: 6,
      });
      expect(outcome.exitCode).toBe(5);
      expect(outcome.run.status).toBe('partial');
      expect(outcome.run.hours).toBe(6);
      expect(outcome.run.removed).toEqual({ families: { famA: 4 }, queues: { 'bull:q': 7 } });
      expect(outcome.run.errors).toEqual(['fails: failed on purpose', 'half: stopped half way']);
      expect(outcome.steps.map((s) => s.status)).toEqual(['ok', 'failed', 'failed']);
    } finally {
      await connection.client.unlink(stream);
      await connection.close();
    }
  });

  it('nothing succeeds: failed, exit 1', async () => {
    const { connection, config, stream } = await setup('failed');
    try {
      const outcome = await runMaintenance(connection, config, { steps: [failingStep] });
      expect(outcome.run.status).toBe('failed');
      expect(outcome.exitCode).toBe(1);
      expect((await readRuns(connection, stream, 1))[0]?.status).toBe('failed');
    } finally {
      await connection.client.unlink(stream);
      await connection.close();
    }
  });

  it('a held lock: LockHeldError naming the holder, nothing done, no record', async () => {
    const { connection, prefix, config, lockKey, stream } = await setup('held');
    try {
      const keys = await seed(connection, `${prefix}a:`, 2);
      const other = await acquireLock(connection, { key: lockKey, ttlMs: 10_000, runId: 'other-run' });
      const error = await runMaintenance(connection, config, { steps: [deleteStep('clear-a', 'famA', keys)] }).catch((e) => e);
      expect(error).toBeInstanceOf(LockHeldError);
      expect(error.exitCode).toBe(6);
      expect(error.message).toContain(`pid ${process.pid}`);
      expect(error.message).toContain(other.holder.startedAt);
      expect(await connection.client.exists(...keys)).toBe(2);
      expect(await connection.client.exists(stream)).toBe(0);
      // only the holder can release; a stranger's compare-and-delete does nothing
      expect(await other.release()).toBe(true);
      expect(await connection.client.exists(lockKey)).toBe(0);
    } finally {
      await unlinkEach(connection, keysOf(prefix));
      await connection.close();
    }
  });

  it('a step longer than the lock TTL keeps the lock (renewed), then releases it', async () => {
    const { connection, config, lockKey, stream } = await setup('renew');
    try {
      const seen: Array<number> = [];
      const slow: MaintenanceStep = {
        name: 'slow',
        async run({ connection: c }) {
          for (let i = 0; i < 5; i++) {
            await sleep(600);
            seen.push(await c.client.pttl(lockKey));
          }
          return {};
        },
      };
      const events: MaintenanceEvent[] = [];
      const outcome = await runMaintenance(connection, config, { steps: [slow], lockTtlMs: 1000, onEvent: (e) => events.push(e) });
      expect(outcome.run.status).toBe('ok');
      // 3 s of work with a 1 s TTL: the key never expired
      expect(seen).toHaveLength(5);
      for (const ttl of seen) expect(ttl).toBeGreaterThan(0);
      expect(events.filter((e) => e.type === 'lock-renewed').length).toBeGreaterThanOrEqual(4);
      expect(await connection.client.exists(lockKey)).toBe(0);
    } finally {
      await connection.client.unlink(stream);
      await connection.close();
    }
  });

  it('a lost lock stops the run after the step in hand (partial)', async () => {
    const { connection, prefix, config, lockKey, stream } = await setup('lost');
    try {
      const keys = await seed(connection, `${prefix}a:`, 2);
      const thief: MaintenanceStep = {
        name: 'thief',
        async run({ connection: c, signal }) {
          // another run takes over after "expiry"
          await c.client.set(lockKey, JSON.stringify({ token: 'x', host: 'elsewhere', pid: 1, startedAt: 'now' }), 'PX', 10_000);
          const deadline = Date.now() + 5000;
          while (!signal.aborted && Date.now() < deadline) await sleep(50);
          return {};
        },
      };
      const outcome = await runMaintenance(connection, config, { steps: [thief, deleteStep('clear-a', 'famA', keys)], lockTtlMs: 1000 });
      expect(outcome.run.status).toBe('partial');
      expect(outcome.steps.map((s) => s.status)).toEqual(['ok', 'skipped']);
      expect(outcome.run.errors.join(' ')).toMatch(/lock lost/);
      expect(await connection.client.exists(...keys)).toBe(2);
      // our release did not delete the new holder's lock
      expect((await readLockHolder(connection, lockKey))?.host).toBe('elsewhere');
    } finally {
      await unlinkEach(connection, [stream, lockKey, ...keysOf(prefix)]);
      await connection.close();
    }
  });

  it('an abort (Ctrl-C / SIGINT from PM2) stops before the next step', async () => {
    const { connection, prefix, config, stream } = await setup('abort');
    try {
      const keys = await seed(connection, `${prefix}a:`, 2);
      const controller = new AbortController();
      const interrupting: MaintenanceStep = {
        name: 'first',
        async run() {
          controller.abort(new Error('interrupted'));
          return { removed: { families: { famX: 1 } } };
        },
      };
      const outcome = await runMaintenance(connection, config, {
        steps: [interrupting, deleteStep('clear-a', 'famA', keys)],
        signal: controller.signal,
      });
      expect(outcome.exitCode).toBe(5);
      expect(outcome.run.errors).toEqual(['stopped early: interrupted']);
      expect(outcome.steps.map((s) => s.status)).toEqual(['ok', 'skipped']);
      expect(await connection.client.exists(...keys)).toBe(2);
    } finally {
      await unlinkEach(connection, [stream, ...keysOf(prefix)]);
      await connection.close();
    }
  });
});

describe.each(serverTargets())('the real maintenance steps on $name', (target) => {
  it('clear-old (every family in one pass), trim of a queue events stream, stats snapshot', async () => {
    const connection = await connect({ url: target.url });
    const prefix = randomPrefix('real');
    const family = `f${prefix.split(':')[2]}`;
    const queuePrefix = `{tq${prefix.split(':')[2]}}`;
    const real = resolveConfig({
      namespace: `${prefix.replace(/:/g, '-')}ns`,
      families: { userState: false, convMapping: false, waMapping: false, chatList: false, context: false, [family]: { template: `${prefix}{id}` } },
      queues: { prefixes: [queuePrefix], eventsMaxLen: 10 },
      // ~4 s: the young key stays even if a loaded machine takes seconds to reach it
      maintenance: { hours: 0.0011 },
    });
    const events = `${queuePrefix}:q:events`;
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `${prefix}${i}`);
      for (const key of keys) await connection.client.set(key, 'v', 'EX', 300);
      // a queue as discovery sees it: its meta hash, and an events stream longer than the cap
      await connection.client.hset(`${queuePrefix}:q:meta`, 'opts.maxLenEvents', '10000');
      const pipeline = connection.client.pipeline();
      for (let i = 0; i < 500; i++) pipeline.xadd(events, '*', 'event', 'added', 'jobId', String(i));
      await pipeline.exec();
      await sleep(5000);
      await connection.client.set(`${prefix}young`, 'v', 'EX', 300);
      const { defaultSteps } = await import('../../src/core/maintenance/steps.js');
      const outcome = await runMaintenance(connection, real, { steps: defaultSteps() });
      expect(outcome.run.errors).toEqual([]);
      expect(outcome.run.status).toBe('ok');
      expect(outcome.run.removed.families).toEqual({ [family]: 40 });
      expect(outcome.run.removed.queues[events]).toBeGreaterThan(300);
      expect(await connection.client.xlen(events)).toBeLessThan(200);
      expect(await connection.client.exists(`${prefix}young`)).toBe(1);
      expect(outcome.run.snapshot).toMatchObject({ totalKeys: expect.any(Number), families: { [family]: expect.any(Number) } });
    } finally {
      await unlinkEach(connection, [`${prefix}young`, ownKeys(real).runs, events, `${queuePrefix}:q:meta`]);
      await connection.close();
    }
  });
});

describe('Redis disappears midway', () => {
  it('the run stops, exits non-zero, and the log line says what was done', async () => {
    const server = await startServer();
    const connection = await connect({ url: server.url, commandTimeoutMs: 2000 });
    try {
      const keys = await seed(connection, 'gone:a:', 6);
      const killer: MaintenanceStep = {
        name: 'slow',
        async run({ connection: c }) {
          await server.kill();
          await c.client.set('gone:after', '1');
          return {};
        },
      };
      const never: MaintenanceStep = { name: 'never', run: async () => ({ removed: { families: { never: 1 } } }) };
      const events: MaintenanceEvent[] = [];
      const outcome = await runMaintenance(connection, defaults, {
        steps: [deleteStep('clear-a', 'famA', keys), killer, never],
        logDir,
        onEvent: (e) => events.push(e),
      });
      expect(outcome.exitCode).not.toBe(0);
      expect(outcome.run.status).toBe('partial');
      expect(outcome.recorded).toBe(false);
      expect(outcome.steps.map((s) => s.status)).toEqual(['ok', 'failed', 'skipped']);
      expect(outcome.run.errors.at(-1)).toMatch(/lost the connection/);
      const line = logLines().find((l) => l.id === outcome.run.id);
      expect(line).toMatchObject({ status: 'partial', recorded: false, removed: { families: { famA: 6 } } });
      expect(events.some((e) => e.type === 'warning' && /log file only/.test(e.message))).toBe(true);
    } finally {
      await connection.close();
      await server.stop();
    }
  });
});
