// `--watch [interval]` on stats, queues and ping: redrawn in place on a terminal and stopped by
// Ctrl-C (exit 0); NDJSON with --json; one report per interval on a pipe, stopped by SIGINT or
// SIGTERM (exit 0); a lost connection is retried on a terminal and exit 3 elsewhere.
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullHarness, waitFor } from '../helpers/bullmq.js';
import { BIN, cleanEnv, ROOT } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { runOnTerminal, widest } from '../helpers/pty.js';

interface Piped {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the binary on pipes; `until(stdout)` true → send `signal` (or call `then`). */
function runPiped(args: string[], until: (stdout: string) => boolean, then: (child: ReturnType<typeof spawn>) => void): Promise<Piped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let fired = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!fired && until(stdout)) {
        fired = true;
        then(child);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('--watch', () => {
  let server: ServerHandle;
  let client: Redis;
  let bull: BullHarness;

  beforeAll(async () => {
    server = await startServer();
    client = new Redis(server.url);
    await client.set('user:state:+27820000001', 'v');
    bull = new BullHarness({ name: 'redis', url: server.url, cluster: false }, 'bull');
    await bull.queue('watched').add('send', {});
  });

  afterAll(async () => {
    await bull?.closeAll();
    await client?.quit();
    await server?.stop();
  });

  it('on a terminal: stats redraws in place (≥ 2 frames, within 80 columns) and Ctrl-C ends it with exit 0', async () => {
    const run = await runOnTerminal(['stats', '--watch', '300ms', '--redis-url', server.url], {
      interruptAfter: ['every 300ms: cachectl stats', 'every 300ms: cachectl stats'],
    });
    expect(run.interrupted, run.output).toBe(true);
    expect(run.code, run.output).toBe(0);
    // Drawn from the top of the screen each time, each line cleared to its end, not scrolled.
    expect(run.output.split('\x1b[H').length, run.output).toBeGreaterThanOrEqual(3);
    expect(run.output).toContain('\x1b[K');
    const { width, line } = widest(run.output);
    expect(width, line).toBeLessThanOrEqual(80);
  });

  it('--json: one JSON document per line per interval, also on a pipe; SIGINT ends it with exit 0', async () => {
    const lines = (s: string) => s.split('\n').filter(Boolean);
    const run = await runPiped(
      ['ping', '--watch', '200ms', '--json', '--redis-url', server.url],
      (out) => lines(out).length >= 3,
      (child) => child.kill('SIGINT'),
    );
    expect(run.code, run.stderr).toBe(0);
    const docs = lines(run.stdout).map((l) => JSON.parse(l) as { totalKeys: number; mode: string });
    expect(docs.length).toBeGreaterThanOrEqual(3);
    for (const doc of docs) expect(doc).toMatchObject({ mode: 'standalone', totalKeys: expect.any(Number) });
  });

  it('on a pipe: one full report per interval under a timestamp header; SIGTERM ends it with exit 0', async () => {
    const header = /^# every 200ms: cachectl queues {2}\d{4}-\d\d-\d\dT[\d:.]+Z$/gm;
    const run = await runPiped(
      ['queues', '--watch', '200ms', '--redis-url', server.url],
      (out) => (out.match(header) ?? []).length >= 2,
      (child) => child.kill('SIGTERM'),
    );
    expect(run.code, run.stderr).toBe(0);
    const reports = run.stdout.split(header).slice(1);
    expect(reports.length).toBeGreaterThanOrEqual(2);
    for (const report of reports.slice(0, 2)) expect(report).toMatch(/│ bull:watched +│ +1 │/);
    // Reports are separated by a blank line; no cursor movement reaches a pipe.
    expect(run.stdout).toContain('\n\n# every 200ms');
    expect(run.stdout).not.toContain('\x1b');
  });

  it('a bad interval is a usage error (exit 2)', async () => {
    const run = await runPiped(
      ['ping', '--watch', 'soon', '--redis-url', server.url],
      () => false,
      () => undefined,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: .*--watch.*soon/m);
  });
});

describe('--watch when the connection is lost', () => {
  it('on a pipe: exit 3 with the reason', async () => {
    const server = await startServer();
    try {
      const run = await runPiped(
        ['ping', '--watch', '200ms', '--json', '--redis-url', server.url],
        (out) => out.split('\n').filter(Boolean).length >= 1,
        () => void server.kill(),
      );
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(/^error: .*(Lost the connection|Cannot connect|Connection is closed)/m);
    } finally {
      await server.stop();
    }
  });

  it('on a terminal: shows "reconnecting…" and carries on once the server is back', async () => {
    const server = await startServer();
    try {
      const pending = runOnTerminal(['ping', '--watch', '250ms', '--redis-url', server.url], {
        interruptAfter: ['PONG', 'reconnecting…', 'PONG'],
      });
      // Once cachectl is connected and has drawn a frame or two, the server goes away for a second.
      const probe = new Redis(server.url);
      await waitFor(async () => /connected_clients:[2-9]/.test(await probe.info('clients')), 20_000, 'cachectl connected');
      probe.disconnect();
      await new Promise((r) => setTimeout(r, 700));
      await server.kill();
      await new Promise((r) => setTimeout(r, 1000));
      await server.restart();
      const run = await pending;
      expect(run.code, run.output).toBe(0);
      const reconnecting = run.output.indexOf('reconnecting…');
      expect(reconnecting, run.output).toBeGreaterThan(-1);
      // A frame with PONG again after the reconnecting one: the watch carried on.
      expect(run.output.indexOf('PONG', reconnecting)).toBeGreaterThan(reconnecting);
    } finally {
      await server.stop();
    }
  });
});
