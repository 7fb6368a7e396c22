// Sentinel messages say what is true: the master's real address in ping / --json, an unknown
// master name (exit 2, naming the watched ones), one sentinel down (still works), no sentinel
// answering (exit 3, each address), and a dead master (exit 3 with its address).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { freePorts } from '../helpers/server-process.js';
import { startSentinel, type SentinelHandle } from '../helpers/sentinel.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

let master: ServerHandle;
let sentinel: SentinelHandle;
let deadPort: number;

beforeAll(async () => {
  master = await startServer();
  sentinel = await startSentinel('cache', master.port);
  [deadPort] = (await freePorts(1)) as [number];
});

afterAll(async () => {
  await sentinel?.stop();
  await master?.stop();
});

const via = (sentinels: string, name: string, args: string[]) => runCli(['--sentinel', sentinels, '--sentinel-name', name, '--connect-timeout', '2s', ...args]);

describe('sentinel', () => {
  it("ping and --json report the master's real address", async () => {
    const result = await via(`127.0.0.1:${sentinel.port}`, 'cache', ['ping', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`127.0.0.1:${master.port}`);
    expect(result.stdout).not.toContain('localhost:6379');
  });

  it('one sentinel down: the others are used', async () => {
    const result = await via(`127.0.0.1:${deadPort},127.0.0.1:${sentinel.port}`, 'cache', ['ping']);
    expect(result.code, result.stderr).toBe(0);
  });

  it('an unknown master name: exit 2 naming the watched masters', async () => {
    const result = await via(`127.0.0.1:${sentinel.port}`, 'nope', ['ping']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/watch no master named "nope" \(they watch: cache\)/);
  });

  it('no sentinel answering: exit 3 listing each address', async () => {
    const result = await via(`127.0.0.1:${deadPort}`, 'cache', ['ping']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`127.0.0.1:${deadPort} (ECONNREFUSED)`);
  });

  it('the master is down: exit 3 with its address', async () => {
    const other = await startServer();
    const watcher = await startSentinel('gone', other.port);
    await other.stop();
    try {
      const result = await via(`127.0.0.1:${watcher.port}`, 'gone', ['ping']);
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toMatch(new RegExp(`the sentinels name, 127\\.0\\.0\\.1:${other.port}, cannot be reached`));
    } finally {
      await watcher.stop();
    }
  });
});
