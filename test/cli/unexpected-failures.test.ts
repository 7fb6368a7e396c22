// Inputs that used to reach the "unexpected failure" boundary (exit 1, "this is a bug") now have
// a class and a documented exit code.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

let server: ServerHandle;
let admin: Redis;
let dir: string;

function expectClassified(result: CliResult, code: number, message: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/unexpected failure|this is a bug/);
}

beforeAll(async () => {
  server = await startServer({ args: ['--enable-debug-command', 'yes'] });
  admin = new Redis(server.url);
  dir = await mkdtemp(path.join(tmpdir(), 'cachectl-unexpected-'));
  await writeFile(path.join(dir, 'jobs.jsonl'), `${JSON.stringify({ name: 'a', data: {}, opts: {}, state: 'wait', timestamp: Date.now() })}\n`);
  await mkdir(path.join(dir, 'folder'));
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const run = (args: string[]) => runCli(['--redis-url', server.url, ...args], { cwd: dir });

describe('family names are own properties only', () => {
  it('backup toString / constructor / __proto__: unknown family, exit 2', async () => {
    for (const name of ['toString', 'constructor', '__proto__']) {
      expectClassified(await run(['backup', name, '--out', `${name}.cbk`]), 2, /Unknown family/);
    }
  });
  it('an invalidation rule naming "constructor" is a config error', async () => {
    const config = path.join(dir, 'rules.json');
    await writeFile(config, JSON.stringify({ invalidation: { rules: [{ event: 'x', family: 'constructor', map: { id: 'id' } }] } }));
    expectClassified(await run(['--config', config, 'ping']), 2, /family "constructor" does not exist/);
  });
});

describe('queue names and import files', () => {
  it("an empty queue name, or one ending in ':', is a usage error", async () => {
    expectClassified(await run(['queues', 'import', 'jobs.jsonl', '', '--create', '--yes']), 2, /queue name is empty/);
    expectClassified(await run(['queues', 'import', 'jobs.jsonl', 'x:', '--create', '--yes']), 2, /ends in ":"/);
    expect(await admin.exists('bull::meta', 'bull:x::meta')).toBe(0);
  });
  it('importing a folder names it as one', async () => {
    expectClassified(await run(['queues', 'import', 'folder', 'q', '--create', '--yes']), 2, /is a folder/);
  });
});

describe('a command timeout is a connection failure', () => {
  it('--command-timeout 1ms queues on 300 000 keys: exit 3', async () => {
    await admin.call('DEBUG', 'POPULATE', '300000', 'filler');
    try {
      expectClassified(await run(['--command-timeout', '1ms', 'queues']), 3, /Timed out talking to/);
    } finally {
      await admin.flushall();
    }
  });
});
