// Faults: the server is SIGKILLed in the middle of clear-all, invalidate pattern and backup.
// The command must exit non-zero at once with what it did so far, the server (AOF, fsync always)
// comes back with its data, a second run completes, and no key outside the selection is lost.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { runCli } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { countMatching, figures, json, seed, totalKeys, waitFor, workDir } from './faults-support.js';

const SELECTED = 40_000;
const KEEP = 3_000; // keys no family describes: clear-all leaves them
const QUEUE = 500; // bull:* queue keys: never touched by cache commands
const USERS = 200; // user:state:* (a family: clear-all deletes it, invalidate pattern context:* does not)

interface RunSummaryJson {
  deleted: number;
  matched: number;
  errors?: string[];
  interrupted: boolean;
}

describe('server killed mid-run (SIGKILL, AOF persistence)', () => {
  let server: ServerHandle;
  let admin: RedisConnection;
  let work: ReturnType<typeof workDir>;

  beforeAll(async () => {
    server = await startServer({ persistence: true });
    work = workDir();
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
    work?.remove();
    console.log(`[faults-kill] faults injected ${figures.injected}, survived ${figures.survived}, keys lost outside the selection ${figures.keysLostOutside}`);
  });

  const cli = (args: string[]) => runCli(['--redis-url', server.url, '--connect-timeout', '1s', '--command-timeout', '2s', ...args], { cwd: work.dir });

  async function freshData(): Promise<void> {
    await admin?.close();
    admin = await connect({ url: server.url });
    await admin.client.call('FLUSHALL'); // our own server
    await seed(admin.client, 'context:S-', SELECTED / 2);
    await seed(admin.client, 'chats:dev-1:', SELECTED / 2);
    await seed(admin.client, 'keep:', KEEP);
    await seed(admin.client, 'bull:q:', QUEUE);
    await seed(admin.client, 'user:state:+2782', USERS);
  }

  /** Kill the server once `dropped` keys are gone (observed on a separate connection). */
  async function killAfterDrop(dropped: number): Promise<number> {
    const watcher = new Redis({ host: server.host, port: server.port, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    watcher.on('error', () => undefined);
    try {
      const before = await watcher.dbsize();
      await waitFor(async () => before - (await watcher.dbsize()) >= dropped, 20_000, `${dropped} deletions`, 2);
    } finally {
      watcher.disconnect();
    }
    await server.kill();
    figures.injected++;
    return performance.now();
  }

  async function restartAndReconnect(): Promise<void> {
    await admin.close();
    await server.restart();
    admin = await connect({ url: server.url });
  }

  async function outsideIntact(patterns: Array<[string, number]>): Promise<void> {
    for (const [pattern, expected] of patterns) {
      const found = await countMatching(admin, pattern);
      figures.keysLostOutside += Math.max(0, expected - found);
      expect(found, pattern).toBe(expected);
    }
  }

  it.each([
    {
      name: 'clear-all',
      args: ['clear-all', '--yes', '--json', '--rate', '15000', '--batch', '200'],
      selected: ['context:*', 'chats:*', 'user:state:*'],
      outside: [
        ['keep:*', KEEP],
        ['bull:*', QUEUE],
      ] as Array<[string, number]>,
      total: SELECTED + USERS,
    },
    {
      name: 'invalidate pattern',
      args: ['invalidate', 'pattern', 'context:*', '--yes', '--json', '--rate', '10000', '--batch', '200'],
      selected: ['context:*'],
      outside: [
        ['keep:*', KEEP],
        ['bull:*', QUEUE],
        ['chats:*', SELECTED / 2],
        ['user:state:*', USERS],
      ] as Array<[string, number]>,
      total: SELECTED / 2,
    },
  ])(
    '$name: exits 5 at once with the partial summary; after a restart a second run completes; 0 keys lost outside',
    async ({ args, selected, outside, total }) => {
      await freshData();
      const running = cli(args);
      const killedAt = await killAfterDrop(3_000);
      const result = await running;
      const reactedMs = performance.now() - killedAt;

      expect(result.code, result.stderr).toBe(5);
      expect(reactedMs).toBeLessThan(2_500);
      const partial = json<RunSummaryJson>(result.stdout);
      expect(partial.deleted).toBeGreaterThan(0);
      expect(partial.deleted).toBeLessThan(total);
      expect(partial.errors?.join('\n')).toContain(`127.0.0.1:${server.port}`);
      expect(result.stderr).toMatch(/stopped part-way/);
      expect(result.stderr).toMatch(/hint: .*run again/);
      // The run's audit line says what it did, with the same counters as its summary.
      const audit = readFileSync(path.join(work.dir, 'logs', 'audit.log'), 'utf8')
        .trim()
        .split('\n');
      const line = JSON.parse(audit[audit.length - 1]!) as { command: string; dryRun: boolean; result: { deleted?: number } };
      expect(line.command).toBe(args[0] === 'invalidate' ? 'invalidate' : args[0]);
      expect(line.dryRun).toBe(false);
      expect(line.result.deleted).toBe(partial.deleted);

      await restartAndReconnect();
      let remaining = 0;
      for (const pattern of selected) remaining += await countMatching(admin, pattern);
      // Everything reported as deleted really is gone (acknowledged deletes were fsynced).
      expect(total - remaining).toBeGreaterThanOrEqual(partial.deleted);
      expect(remaining).toBeGreaterThan(0);
      await outsideIntact(outside);

      const again = await cli(args.filter((a, i) => a !== '--rate' && args[i - 1] !== '--rate'));
      expect(again.code, again.stderr).toBe(0);
      expect(json<RunSummaryJson>(again.stdout).deleted).toBe(remaining);
      for (const pattern of selected) expect(await countMatching(admin, pattern), pattern).toBe(0);
      await outsideIntact(outside);
      figures.survived++;
    },
  );

  it('backup: exits non-zero at once, leaves no file (not even .partial); after a restart it completes with every key', async () => {
    await freshData();
    // Bigger values so the backup runs long enough to be caught in the middle.
    await seed(admin.client, 'context:big-', 20_000, 'x'.repeat(2_000));
    const file = path.join(work.dir, 'ctx.cbk');
    const running = cli(['backup', 'pattern', 'context:*', '--out', file, '--json']);
    const partialSize = () => (existsSync(`${file}.partial`) ? statSync(`${file}.partial`).size : 0);
    await waitFor(() => partialSize() > 200_000, 20_000, 'the backup to be under way', 1);
    await server.kill();
    figures.injected++;
    const killedAt = performance.now();
    const result = await running;
    expect(performance.now() - killedAt).toBeLessThan(2_500);
    // Exit 3 (connection), as docs/backup.md lists; the message says how far it got.
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(
      new RegExp(`Backup stopped after \\d+ keys, no backup file was written: Lost the connection to redis://127\\.0\\.0\\.1:${server.port}`),
    );
    expect(result.stderr).toMatch(/hint: run the backup again/);
    expect(Number(/after (\d+) keys/.exec(result.stderr)?.[1])).toBeGreaterThan(0);
    expect(result.stdout).toBe('');
    expect(readdirSync(work.dir).filter((f) => f.startsWith('ctx.cbk'))).toEqual([]);

    await restartAndReconnect();
    const expected = SELECTED / 2 + 20_000;
    expect(await countMatching(admin, 'context:*')).toBe(expected); // backup deletes nothing
    const again = await cli(['backup', 'pattern', 'context:*', '--out', file, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(json<{ keys: number }>(again.stdout).keys).toBe(expected);
    await outsideIntact([
      ['keep:*', KEEP],
      ['bull:*', QUEUE],
      ['chats:*', SELECTED / 2],
      ['context:*', expected],
    ]);
    expect(await totalKeys(admin)).toBe(SELECTED + 20_000 + KEEP + QUEUE + USERS);
    figures.survived++;
  });
});
