// Passwords with unencoded reserved characters: never printed (flag, REDIS_URL, config file,
// --json), query credentials dropped, a stray % read as written, and `ps` / /proc/PID/cmdline of a
// running process show the URL with the password masked.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runCli, type CliResult } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

const SLASH = 'Sl4sh/Secret-91';
const PERCENT = 'Pct%Secret-77';
let server: ServerHandle;
let admin: Redis;
let cwd: string;

beforeAll(async () => {
  server = await startServer();
  admin = new Redis(server.url);
  await admin.acl('SETUSER', 'app', 'on', `>${SLASH}`, '~*', '&*', '+@all');
  await admin.acl('SETUSER', 'plain', 'on', '>PlainSecret-42', '~*', '&*', '+@all');
  await admin.acl('SETUSER', 'pct', 'on', `>${PERCENT}`, '~*', '&*', '+@all');
  cwd = await mkdtemp(path.join(tmpdir(), 'cachectl-url-'));
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

function leaks(result: CliResult, ...secrets: string[]): string[] {
  const text = `${result.stdout}\n${result.stderr}`;
  return secrets.filter((s) => text.includes(s) || text.includes(encodeURIComponent(s)));
}

/** The four ways to give a URL: flag, REDIS_URL, config file, and the flag with --json. */
async function viaEveryForm(url: string, args: string[]): Promise<CliResult[]> {
  const config = path.join(cwd, `c-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(config, JSON.stringify({ redis: { url } }));
  return [
    await runCli(['--redis-url', url, ...args], { cwd }),
    await runCli(args, { cwd, env: { REDIS_URL: url } }),
    await runCli(['--config', config, ...args], { cwd }),
    await runCli(['--json', '--redis-url', url, ...args], { cwd }),
  ];
}

describe('unencoded reserved characters in a password', () => {
  it('connects with a / in the password and never prints it', async () => {
    for (const result of await viaEveryForm(`redis://app:${SLASH}@127.0.0.1:${server.port}`, ['ping'])) {
      expect(result.code, result.stderr).toBe(0);
      expect(leaks(result, SLASH, 'Secret-91')).toEqual([]);
    }
  });

  it('redis://u:1234/abcd@host: read as a password, masked in the message', async () => {
    for (const result of await viaEveryForm('redis://u:1234/abcd@127.0.0.1:1', ['ping'])) {
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('redis://u:***@127.0.0.1:1');
      expect(leaks(result, '1234/abcd', 'abcd')).toEqual([]);
    }
  });

  it('a URL that does not read: userinfo masked, each problem named', async () => {
    for (const result of await viaEveryForm('redis://app:Sl4sh/Secret-91@127.0.0.1:notaport', ['ping'])) {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/not a number/);
      expect(leaks(result, SLASH, 'Secret-91', 'notaport')).toEqual([]);
    }
    for (const result of await viaEveryForm('redis://app:Hidden-pw-3@127.0.0.1:1/dbname-Hidden', ['ping'])) {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/Invalid database/);
      expect(leaks(result, 'Hidden-pw-3', 'dbname-Hidden')).toEqual([]);
    }
  });

  it('drops credentials in the query', async () => {
    for (const result of await viaEveryForm('redis://127.0.0.1:1/0?password=QuerySecret-5&user=x', ['ping'])) {
      expect(result.code).toBe(3);
      expect(leaks(result, 'QuerySecret-5')).toEqual([]);
    }
    for (const result of await viaEveryForm('redis://127.0.0.1:99999/0?password=QuerySecret-5', ['ping'])) {
      expect(result.code).toBe(2);
      expect(leaks(result, 'QuerySecret-5')).toEqual([]);
    }
  });

  it('a stray % in a password is read as written (no "URI malformed")', async () => {
    for (const result of await viaEveryForm(`redis://pct:${PERCENT}@127.0.0.1:${server.port}`, ['ping'])) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/unexpected|malformed/i);
      expect(leaks(result, PERCENT)).toEqual([]);
    }
  });
});

describe('the process list', () => {
  it('ps and /proc/PID/cmdline of a running listen show the password masked', async () => {
    const url = `redis://plain:PlainSecret-42@127.0.0.1:${server.port}`;
    const child = spawn(process.execPath, [BIN, '--redis-url', url, 'listen'], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      // Wait until the listener is up (it has parsed its arguments and connected).
      for (let i = 0; i < 100; i++) {
        const clients = String(await admin.client('LIST'));
        if (clients.includes('user=plain')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const cmdline = (await readFile(`/proc/${child.pid}/cmdline`)).toString('utf8').replace(/\0/g, ' ');
      const ps = execFileSync('ps', ['-o', 'args=', '-p', String(child.pid)]).toString();
      for (const shown of [cmdline, ps]) {
        expect(shown).not.toContain('PlainSecret-42');
        expect(shown).toContain(`redis://plain:***@127.0.0.1:${server.port}`);
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
    expect(stderr).not.toContain('PlainSecret-42');
  });
});
