// `cachectl exporter` as a real process: it serves on the address it prints, keeps running when
// the server is unreachable (cachectl_up 0), stops cleanly on SIGTERM and SIGINT with exit 0,
// never shows the password, and refuses a bad --listen (exit 2) or a taken port (exit 1).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cleanEnv, spawnCli } from '../helpers/cli.js';
import { parsePrometheus, promValue } from '../helpers/prom-parse.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

const PASSWORD = 'exp-Secret-9f2c';

interface Running {
  child: ChildProcess;
  base: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Start the exporter on a free port; resolves once it printed where it listens. */
async function startExporter(args: string[], env: NodeJS.ProcessEnv = {}, options: string[] = []): Promise<Running> {
  const child = spawn(process.execPath, [BIN, ...args, 'exporter', '--listen', '127.0.0.1:0', '--refresh', '1s', ...options], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(stderr + stdout);
    if (match) return { child, base: match[1]!, stdout: () => stdout, stderr: () => stderr, exit };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`exporter did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function metrics(base: string) {
  return parsePrometheus(await (await fetch(`${base}/metrics`)).text());
}

describe('cachectl exporter (spawned)', () => {
  let server: ServerHandle;

  beforeAll(async () => {
    server = await startServer();
    // Set after start: the harness's readiness probe speaks without AUTH.
    const admin = new Redis(server.url);
    await admin.config('SET', 'requirepass', PASSWORD);
    admin.disconnect();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves metrics, hides the password everywhere, and stops on SIGTERM with exit 0', async () => {
    const running = await startExporter(['--redis-url', server.url], { REDIS_PASSWORD: PASSWORD });
    try {
      let m = await metrics(running.base);
      for (let i = 0; i < 50 && !m.has('cachectl_exporter_refresh_timestamp_seconds'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        m = await metrics(running.base);
      }
      expect(promValue(m, 'cachectl_up')).toBe(1);
      expect(m.has('cachectl_family_keys')).toBe(true);
      const body = await (await fetch(`${running.base}/metrics`)).text();
      const cmdline = readFileSync(`/proc/${running.child.pid}/cmdline`, 'utf8');
      for (const text of [body, running.stdout(), running.stderr(), cmdline]) expect(text).not.toContain(PASSWORD);
    } finally {
      const started = performance.now();
      running.child.kill('SIGTERM');
      expect(await running.exit).toBe(0);
      expect(performance.now() - started).toBeLessThan(5000);
    }
    expect(running.stderr()).toMatch(/stopped/);
  });

  it('a wrong password or no server: keeps running, reports cachectl_up 0, logs without the secret; SIGINT stops it', async () => {
    const wrong = 'Wrong-Pass-77ab';
    const running = await startExporter(['--redis-url', `redis://default:${wrong}@127.0.0.1:${server.port}`], {}, ['--log-format', 'json']);
    try {
      const m = await metrics(running.base);
      expect(promValue(m, 'cachectl_up')).toBe(0);
      expect(JSON.parse(await (await fetch(`${running.base}/healthz`)).text())).toMatchObject({ status: 'ok', target: 'down' });
      const lines = running
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; msg: string });
      expect(lines.some((l) => l.event === 'target-down')).toBe(true);
      expect(running.stdout() + running.stderr()).not.toContain(wrong);
    } finally {
      running.child.kill('SIGINT');
      expect(await running.exit).toBe(0);
    }
  });

  it('refuses a bad --listen (exit 2) and a taken port (exit 1), naming the address', async () => {
    const bad = await spawnCli(['--redis-url', server.url, 'exporter', '--listen', '0.0.0.0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/expected host:port/);
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as { port: number }).port;
    try {
      const taken = await spawnCli(['--redis-url', server.url, 'exporter', '--listen', `127.0.0.1:${port}`]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain(`Cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
      expect(taken.stderr).toMatch(/hint: another process holds that port/);
    } finally {
      holder.close();
    }
  });

  it('is registered as a long-running command in --help', async () => {
    const help = await spawnCli(['exporter', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--listen <host:port>/);
  });
});
