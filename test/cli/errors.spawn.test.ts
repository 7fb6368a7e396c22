// The built binary, as a user runs it: exit codes, one-line messages with a hint, no secrets.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

const SECRET = 'Sup3r-Secret-pw';
const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-cli-'));
let secured: ServerHandle;
let silent: net.Server;
let silentPort = 0;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  secured = await startServer();
  const admin = new Redis(secured.port, '127.0.0.1');
  await admin.config('SET', 'requirepass', SECRET);
  admin.disconnect();
  // Accepts TCP connections and never answers: what a paused or wedged server looks like.
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await secured?.stop();
  for (const socket of sockets) socket.destroy();
  if (silent) await new Promise<void>((resolve) => silent.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function expectNoSecret(result: { stdout: string; stderr: string }): void {
  expect(result.stdout).not.toContain(SECRET);
  expect(result.stderr).not.toContain(SECRET);
}

describe('cachectl binary: failures are fast, clear and documented', () => {
  it('unreachable server: exit 3 within the timeout, names the server, no password', async () => {
    const port = await freeClosedPort();
    const result = await spawnCli(['ping', '--redis-url', `redis://app:${SECRET}@127.0.0.1:${port}`, '--connect-timeout', '2s']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`^error: Cannot connect to Redis at redis://app:\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    expect(result.stderr).toMatch(/hint: .*REDIS_URL/);
    expect(result.stdout).toBe('');
    expect(result.ms).toBeLessThan(5000);
    expectNoSecret(result);
  });

  it('a server that never answers: exit 3 after --connect-timeout, not a hang', async () => {
    const result = await spawnCli(['ping', '--redis-url', `redis://127.0.0.1:${silentPort}`, '--connect-timeout', '1s']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/Timed out/);
    expect(result.ms).toBeLessThan(4000);
  });

  it('wrong password: exit 3, says authentication failed, never prints the password', async () => {
    const result = await spawnCli(['ping', '--redis-url', `redis://:wrong-${SECRET}@127.0.0.1:${secured.port}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/Authentication failed/);
    expectNoSecret(result);
  });

  it('no password for a server that needs one: exit 3 with a hint', async () => {
    const result = await spawnCli(['ping', '--redis-url', secured.url]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/Authentication required/);
    expect(result.stderr).toMatch(/REDIS_PASSWORD/);
  });

  it('REDIS_PASSWORD is used and never shown', async () => {
    const result = await spawnCli(['ping', '--json'], { env: { REDIS_URL: secured.url, REDIS_PASSWORD: SECRET } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).mode).toBe('standalone');
    expectNoSecret(result);
  });

  it.each([
    ['not-a-url', /Invalid Redis URL/],
    ['http://127.0.0.1:6379', /Unsupported URL scheme "http:"/],
    ['redis://127.0.0.1:70000', /Invalid port/],
    ['redis://127.0.0.1:6379/abc', /Invalid database in Redis URL/],
  ])('bad URL %s: exit 2 and a hint', async (url, message) => {
    const result = await spawnCli(['ping', '--redis-url', url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/hint:/);
  });

  it('a config file that is not JSON: exit 2, names the file', async () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{ "redis": ');
    const result = await spawnCli(['ping', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Config file broken\.json is not valid JSON/);
  });

  it('a config file with a bad field: exit 2, names the field', async () => {
    const file = path.join(dir, 'bad-field.json');
    writeFileSync(file, JSON.stringify({ families: { userState: { template: 'user:{phone' } } }));
    const result = await spawnCli(['ping'], { env: { CACHECTL_CONFIG: file } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/families\.userState\.template: unclosed/);
  });

  it('a config file that does not exist: exit 2', async () => {
    const result = await spawnCli(['ping', '--config', path.join(dir, 'missing.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Config file not found/);
  });

  it('unknown command and unknown flag: exit 2 with a suggestion', async () => {
    const a = await spawnCli(['pnig']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/unknown command 'pnig'/);
    expect(a.stderr).toMatch(/Did you mean ping\?/);
    const b = await spawnCli(['ping', '--jsn']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/unknown option '--jsn'/);
  });

  it('bad duration: exit 2', async () => {
    const result = await spawnCli(['ping', '--connect-timeout', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/expected a duration/);
  });

  it('--help and --version exit 0 on stdout', async () => {
    const help = await spawnCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes:/);
    expect(help.stdout).toMatch(/ping/);
    const version = await spawnCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('cachectl alone prints the help on stdout (exit 0); an unknown command is exit 2 even with --help', async () => {
    const bare = await spawnCli([]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/^Usage: cachectl/);
    expect(bare.stderr).toBe('');
    for (const args of [
      ['nosuch', '--help'],
      ['--redis-url', 'redis://127.0.0.1:1', 'nosuch', '-h'],
      ['help', 'nosuch'],
    ]) {
      const unknown = await spawnCli(args);
      expect(unknown.code, args.join(' ')).toBe(2);
      expect(unknown.stderr).toMatch(/^error: unknown command 'nosuch'$/m);
      expect(unknown.stdout).toBe('');
    }
  });
});

/** A port nothing listens on: bind, read the port, close. */
async function freeClosedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
