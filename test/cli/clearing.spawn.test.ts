// The built binary (npm run build first): stdout / stderr / exit codes of the clearing commands,
// and a real SIGINT in the middle of a large pattern deletion.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, spawnCli } from '../helpers/cli.js';
import { clearingFixture, setKeys, type ClearingFixture } from '../helpers/clearing-fixture.js';
import { countOnNode } from '../helpers/count.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { serverTargets } from '../helpers/targets.js';

describe('cachectl binary: clearing commands', () => {
  let fx: ClearingFixture;
  const run = (args: string[]) => spawnCli([...args, '--redis-url', serverTargets()[0]!.url], { cwd: fx.dir });

  beforeAll(async () => {
    fx = await clearingFixture(serverTargets()[0]!, {}, 'spawn');
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('invalidate conversation --json: the summary on stdout, nothing on stderr, exit 0', async () => {
    const p = fx.prefix;
    await setKeys(fx.client, [`${p}tenant:acme:mapping:conv:c9`, `${p}tenant:default:mapping:conv:c9`]);
    const result = await run(['invalidate', 'conversation', 'c9', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ deleted: 2, targets: ['convMapping(conversationId)'] });
  });

  it('clear-all without a terminal and without --yes: exit 4, one line and a hint, stdout empty', async () => {
    const key = `${fx.prefix}chats:d:1`;
    await fx.client.set(key, 'v');
    const result = await run(['clear-all']);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^error: Refusing to delete every key of 6 cache families on redis:\/\/\S+ \(db 0, standalone\) without confirmation \(every cache family\)\nhint: /,
    );
    expect(await fx.client.exists(key)).toBe(1);
  });

  it('bad values: exit 2 before connecting', async () => {
    const result = await spawnCli(['old', '--hours=-1', '--redis-url', 'redis://127.0.0.1:1'], { cwd: fx.dir });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/expected a positive number of hours, got "-1"/);
    const placeholder = await spawnCli(['invalidate', 'convMapping', '--conversation', 'x', '--redis-url', 'redis://127.0.0.1:1'], { cwd: fx.dir });
    expect(placeholder.code).toBe(2);
    expect(placeholder.stderr).toMatch(/valid: --tenant, --conversationId/);
  });

  it('dry run prints the sample with binary keys escaped', async () => {
    await fx.client.set(Buffer.from(`${fx.prefix}context:\xff\x00`, 'latin1'), 'v');
    const result = await run(['invalidate', 'context', '--storyId', '\u00ff', '--dry-run']);
    expect(result.code, result.stderr).toBe(0);
    // "\u00ff" as an argument is UTF-8 c3 bf, which is not the key's raw 0xff byte: nothing matches.
    expect(result.stdout).toMatch(/^dry run: 0 key\(s\) would be deleted/);
    const all = await run(['invalidate', 'pattern', `${fx.prefix}context:*`, '--dry-run']);
    expect(all.stdout).toContain(`"${fx.prefix}context:\\xff\\x00"`);
  });
});

describe('cachectl binary: Ctrl-C in a large run', () => {
  let server: ServerHandle;
  let client: Redis;
  // A working dir of its own with a config file, so the audit line lands in its logs/.
  const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-sigint-'));
  writeFileSync(path.join(dir, 'cachectl.config.json'), '{}');
  beforeAll(async () => {
    server = await startServer({ binary: 'redis-server' });
    client = new Redis(server.port, '127.0.0.1');
    // 100k keys matching, 20k others, seeded server-side to keep it quick.
    await client.eval("for i = 1, 100000 do redis.call('SET', 'ctx:' .. i, 'v') end for i = 1, 20000 do redis.call('SET', 'other:' .. i, 'v') end", 0);
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGINT stops after the batch in hand: partial summary on stdout, exit 5', async () => {
    const child = spawn(process.execPath, [BIN, 'invalidate', 'pattern', 'ctx:*', '--yes', '--rate', '40000', '--json', '--redis-url', server.url], {
      cwd: dir,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Wait until deletion is under way, then interrupt.
    const began = Date.now();
    while ((await client.dbsize()) > 115_000 && Date.now() - began < 10_000) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(5);
    const summary = JSON.parse(stdout);
    expect(summary.interrupted).toBe(true);
    expect(summary.deleted).toBeGreaterThan(0);
    expect(summary.deleted).toBeLessThan(100_000);
    expect(stderr).toMatch(/interrupted: stopping after the current batch/);
    expect(stderr).toMatch(/warning: interrupted: stopped after the batch in hand/);
    const left = await countMatchingNode(client, 'ctx:*');
    expect(left).toBe(100_000 - summary.deleted);
    expect(await client.dbsize()).toBe(left + 20_000);
    expect(readFileSync(path.join(dir, 'logs', 'audit.log'), 'utf8')).toMatch(/"interrupted":true/);
  });
});

function countMatchingNode(client: Redis, pattern: string): Promise<number> {
  return countOnNode(client, pattern, 5000);
}
