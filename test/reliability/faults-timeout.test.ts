// Faults: a paused server (CLIENT PAUSE) and a peer that accepts TCP but never answers. Timeouts
// must fire within their bounds, with one clear line and a hint, exit 3, and nothing deleted —
// not even later, when the server resumes with the timed-out command still queued.
import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { runCli } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { countMatching, figures, seed, sleep, totalKeys, workDir } from './faults-support.js';

const KEYS = 5_000;

/** CLIENT PAUSE from a throwaway connection; resolves when the pause is in force, returns its end time. */
async function pause(server: ServerHandle, ms: number, mode: 'ALL' | 'WRITE'): Promise<number> {
  const client = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  try {
    await client.connect();
    await client.call('CLIENT', 'PAUSE', String(ms), mode);
  } finally {
    client.disconnect();
  }
  figures.injected++;
  return Date.now() + ms;
}

async function untilPast(end: number): Promise<void> {
  await sleep(Math.max(0, end - Date.now()) + 100);
}

describe('a paused server', () => {
  let server: ServerHandle;
  let admin: RedisConnection;
  let work: ReturnType<typeof workDir>;

  beforeAll(async () => {
    server = await startServer();
    work = workDir();
    admin = await connect({ url: server.url });
    await seed(admin.client, 'context:S-', KEYS);
    await seed(admin.client, 'keep:', 100);
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
    work?.remove();
    console.log(`[faults-timeout] faults injected ${figures.injected}, survived ${figures.survived}, keys lost ${figures.keysLostOutside}`);
  });

  const cli = (args: string[]) => runCli(['--redis-url', server.url, ...args], { cwd: work.dir });

  it('CLIENT PAUSE WRITE: the delete step times out after --command-timeout (exit 3, one line + hint) and never runs later', async () => {
    const end = await pause(server, 3000, 'WRITE');
    const result = await cli(['--command-timeout', '500ms', 'invalidate', 'pattern', 'context:*', '--yes', '--json']);
    expect(result.code, result.stderr).toBe(3);
    expect(result.ms).toBeLessThan(2500); // 500 ms timeout + closing, well before the 3 s pause ends (headroom for a loaded machine)
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^error: Timed out talking to redis://127\\.0\\.0\\.1:${server.port} \\(Command timed out\\)$`));
    expect(lines[1]).toMatch(/^hint: .*--command-timeout/);
    expect(lines).toHaveLength(2);
    await untilPast(end);
    // The timed-out step was queued behind the pause; the client hung up, so it was dropped.
    expect(await countMatching(admin, 'context:*')).toBe(KEYS);
    expect(await countMatching(admin, 'keep:*')).toBe(100);
    figures.survived++;
  });

  it('CLIENT PAUSE ALL: stats, clear-all and backup give up after --connect-timeout (exit 3), touch nothing, write no file', async () => {
    const end = await pause(server, 3000, 'ALL');
    const bounds = ['--connect-timeout', '400ms', '--command-timeout', '400ms'];
    const file = path.join(work.dir, 'paused.cbk');
    for (const args of [['stats'], ['clear-all', '--yes'], ['backup', 'pattern', 'context:*', '--out', file]]) {
      const result = await cli([...bounds, ...args]);
      expect(result.code, `${args[0]}: ${result.stderr}`).toBe(3);
      expect(result.ms, args[0]).toBeLessThan(900);
      expect(result.stderr).toMatch(/^error: Timed out talking to redis:\/\/127\.0\.0\.1:\d+ \(connect timed out after 400 ms\)\nhint: .*--connect-timeout/);
    }
    expect(Date.now()).toBeLessThan(end); // all three failed while the server was still paused
    expect(existsSync(file) || existsSync(`${file}.partial`)).toBe(false);
    await untilPast(end);
    expect(await totalKeys(admin)).toBe(KEYS + 100);
    figures.survived++;
  });
});

describe('a peer that accepts TCP and never answers', () => {
  let blackhole: Server;
  let port = 0;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    blackhole = createServer((socket) => {
      sockets.add(socket); // read and ignore everything, never reply
      socket.on('data', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    port = (blackhole.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => blackhole.close(() => resolve()));
  });

  it.each([['ping'], ['stats'], ['keys', 'pattern', 'x:*'], ['invalidate', 'pattern', 'context:*', '--yes']])(
    '%s: connect timeout, exit 3, no hang, socket closed',
    async (...args) => {
      figures.injected++;
      const result = await runCli(['--redis-url', `redis://127.0.0.1:${port}`, '--connect-timeout', '300ms', ...args]);
      expect(result.code, result.stderr).toBe(3);
      expect(result.ms).toBeLessThan(1500);
      expect(result.stderr).toBe(
        `error: Timed out talking to redis://127.0.0.1:${port} (connect timed out after 300 ms)\n` +
          'hint: the server is slow, paused or unreachable; raise --connect-timeout / --command-timeout if it is just slow\n',
      );
      // The client hung up: nothing is left open towards the silent peer.
      await sleep(50);
      expect(sockets.size).toBe(0);
      figures.survived++;
    },
  );
});
