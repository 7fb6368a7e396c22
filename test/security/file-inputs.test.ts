// Every file a user names is checked before it is read: devices, FIFOs, folders and oversized
// files are refused with exit 2 naming what is wrong, under a 2 GB address-space limit and a kill
// timer (on the unguarded code /dev/zero is read until the process dies).
import { spawn, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, type CliResult } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

let dir: string;
let server: ServerHandle;

/** The built binary under `ulimit -v 2000000`, killed after 15 s. */
function bounded(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `ulimit -v 2000000; exec ${quoted}`], { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr, ms: performance.now() - start });
    });
  });
}

function expectRefused(result: CliResult, what: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(what);
  expect(result.stderr).not.toMatch(/unexpected failure|\n\s+at /);
}

beforeAll(async () => {
  server = await startServer();
  dir = await mkdtemp(path.join(tmpdir(), 'cachectl-files-'));
  await mkdir(path.join(dir, 'folder'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  await writeFile(path.join(dir, 'sparse'), '');
  await truncate(path.join(dir, 'sparse'), 3 * 1024 * 1024);
  await writeFile(path.join(dir, 'noline.jsonl'), '');
  await truncate(path.join(dir, 'noline.jsonl'), 600 * 1024 * 1024);
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const url = () => `redis://127.0.0.1:${server.port}`;

describe('config file', () => {
  it('--config /dev/zero, CACHECTL_CONFIG=/dev/zero: a device', async () => {
    expectRefused(await bounded(['--config', '/dev/zero', 'ping']), /config file \/dev\/zero is a device/);
    expectRefused(await bounded(['ping'], { CACHECTL_CONFIG: '/dev/zero' }), /config file \/dev\/zero is a device/);
  });
  it('a FIFO, a folder, a 3 MiB file', async () => {
    expectRefused(await bounded(['--config', 'fifo', 'ping']), /named pipe/);
    expectRefused(await bounded(['--config', 'folder', 'ping']), /is a folder/);
    expectRefused(await bounded(['--config', 'sparse', 'ping']), /larger than the 1 MiB limit/);
  });
});

describe('ecosystem, CA and backup files', () => {
  it('--ecosystem /dev/zero, a FIFO, a 3 MiB file', async () => {
    expectRefused(await bounded(['schedule', '--ecosystem', '/dev/zero']), /ecosystem file \/dev\/zero is a device/);
    expectRefused(await bounded(['schedule', '--ecosystem', 'fifo']), /named pipe/);
    expectRefused(await bounded(['schedule', '--ecosystem', 'sparse']), /larger than the 1 MiB limit/);
  });
  it('--tls-ca /dev/zero, a FIFO, a 3 MiB file', async () => {
    expectRefused(await bounded(['--redis-url', 'rediss://127.0.0.1:1', '--tls-ca', '/dev/zero', 'ping']), /TLS CA file \/dev\/zero is a device/);
    expectRefused(await bounded(['--redis-url', 'rediss://127.0.0.1:1', '--tls-ca', 'fifo', 'ping']), /named pipe/);
    expectRefused(await bounded(['--redis-url', 'rediss://127.0.0.1:1', '--tls-ca', 'sparse', 'ping']), /larger than the 1 MiB limit/);
  });
  it('restore of /dev/zero, a FIFO or a folder: refused before connecting', async () => {
    // Port 1: a connection attempt would be exit 3; the check comes first.
    for (const file of ['/dev/zero', 'fifo', 'folder']) {
      expectRefused(await bounded(['--redis-url', 'redis://127.0.0.1:1', 'restore', file, '--yes']), /backup file .* is (a device|a named pipe|a folder)/);
    }
  });
});

describe('import files', () => {
  it('a folder is named as one', async () => {
    expectRefused(await bounded(['--redis-url', url(), 'queues', 'import', 'folder', 'q1', '--create', '--yes']), /import file .*folder is a folder/);
  });
  it('a 600 MiB file without a newline stops at the per-line limit', async () => {
    const result = await bounded(['--redis-url', url(), 'queues', 'import', 'noline.jsonl', 'q1', '--create', '--yes']);
    expectRefused(result, /line 1: longer than the 32 MiB limit/);
  });
});
