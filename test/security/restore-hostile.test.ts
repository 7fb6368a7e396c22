// Restore of crafted files: huge declared lengths (a gzip bomb, a 1 GiB payload) are refused
// early with memory bounded, a header missing a field is refused before the first write, queue
// keys are skipped unless --include-protected, and a record over the server's
// proto-max-bulk-len is refused before anything is written.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAGIC, writeInt64, type BackupRecord } from '../../src/core/backup/format.js';
import { BIN, cleanEnv, runCli, type CliResult } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

const MB = 1024 * 1024;

function header(overrides: Record<string, unknown> = {}, format = 1): Buffer {
  const value = {
    format,
    cachectl: '0.0.0',
    created: new Date().toISOString(),
    command: 'backup',
    sourceMode: 'scan',
    selection: ['pattern *'],
    source: {
      target: 'redis://127.0.0.1:6379',
      mode: 'standalone',
      flavor: 'redis',
      version: '7.0.15',
      redisVersion: '7.0.15',
      valkeyVersion: null,
      masters: [],
    },
    rdbVersion: 10,
    ...overrides,
  };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete (value as Record<string, unknown>)[k];
  return Buffer.concat([MAGIC, Buffer.from(`${JSON.stringify(value)}\n`)]);
}

/** A format-1 record head declaring `dumpLength` payload bytes. */
function v1Head(key: string, dumpLength: number): Buffer {
  const k = Buffer.from(key);
  const head = Buffer.alloc(4 + k.length + 12);
  head.writeUInt32BE(k.length, 0);
  k.copy(head, 4);
  writeInt64(head, -1, 4 + k.length);
  head.writeUInt32BE(dumpLength, 4 + k.length + 8);
  return head;
}

/** A gzip file: `prefix`, then `zeros` zero bytes (streamed: the test itself stays small). */
async function gzipBomb(file: string, prefix: Buffer, zeros: number): Promise<void> {
  const zip = createGzip({ level: 9 });
  const out = createWriteStream(file);
  zip.pipe(out);
  zip.write(prefix);
  const block = Buffer.alloc(4 * MB);
  for (let done = 0; done < zeros; done += block.length) if (!zip.write(block)) await once(zip, 'drain');
  zip.end();
  await once(out, 'close');
}

/** A complete format-1 file (plain) of records. */
function v1File(file: string, records: BackupRecord[], head = header()): void {
  const body: Buffer[] = [head];
  for (const r of records) {
    const h = Buffer.alloc(4);
    h.writeUInt32BE(r.key.length);
    const mid = Buffer.alloc(12);
    writeInt64(mid, r.expireAtMs, 0);
    mid.writeUInt32BE(r.dump.length, 8);
    body.push(h, r.key, mid, r.dump);
  }
  const before = Buffer.concat(body);
  const trailer = Buffer.alloc(44);
  trailer.writeUInt32BE(0xffffffff, 0);
  writeInt64(trailer, records.length, 4);
  createHash('sha256').update(before).digest().copy(trailer, 12);
  writeFileSync(file, Buffer.concat([before, trailer]));
}

/** Run the built CLI in a child process; its peak RSS (MB) is printed on exit by a preload. */
function spawnMeasured(args: string[], cwd: string): Promise<CliResult & { peakMb: number }> {
  const preload = path.join(cwd, 'peak.cjs');
  writeFileSync(preload, "process.on('exit', () => process.stderr.write('\\npeak-rss-kb:' + process.resourceUsage().maxRSS + '\\n'));\n");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', preload, BIN, ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const peak = Number(/peak-rss-kb:(\d+)/.exec(stderr)?.[1] ?? NaN) / 1024;
      resolve({ code: code ?? -1, stdout, stderr, ms: 0, peakMb: peak });
    });
  });
}

describe('restore of crafted files', () => {
  let server: ServerHandle;
  let client: Redis;
  let dir: string;
  const peaks: number[] = [];

  beforeAll(async () => {
    server = await startServer();
    client = new Redis({ host: server.host, port: server.port });
    dir = mkdtempSync(path.join(tmpdir(), 'cachectl-hostile-'));
  });
  afterAll(async () => {
    await client?.quit();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (peaks.length > 0) console.log(`[restore-hostile] peak RSS of refused restores: ${peaks.map((p) => p.toFixed(0)).join(', ')} MB`);
  });
  beforeEach(async () => {
    await client.flushall();
    await client.set('already', 'here');
  });

  const cli = (args: string[]) => runCli(['--redis-url', server.url, ...args], { cwd: dir });

  it('a 2 MB gzip bomb declaring a 512 MiB payload: refused early, peak RSS < 200 MB', async () => {
    const file = path.join(dir, 'bomb.cbk.gz');
    await gzipBomb(file, Buffer.concat([header(), v1Head('k', 512 * MB)]), 512 * MB);
    const result = await spawnMeasured(['--redis-url', server.url, 'restore', file, '--yes'], dir);
    peaks.push(result.peakMb);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/more than the 16 MiB limit/);
    expect(result.peakMb).toBeLessThan(200);
    expect(await client.dbsize()).toBe(1);
  }, 120_000);

  it('a format-2 record declaring a 1 GiB payload: refused early, peak RSS < 200 MB', async () => {
    const { crc32 } = await import('node:zlib');
    const head = Buffer.alloc(20);
    head.writeUInt32BE(1, 0);
    head.writeUInt32BE(1024 * MB - 1, 4);
    writeInt64(head, -1, 8);
    head.writeUInt32BE(crc32(head.subarray(0, 16)), 16);
    const file = path.join(dir, 'huge.cbk.gz');
    await gzipBomb(file, Buffer.concat([header({}, 2), head, Buffer.from('k')]), 1024 * MB);
    const result = await spawnMeasured(['--redis-url', server.url, 'restore', file, '--yes'], dir);
    peaks.push(result.peakMb);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/more than the 16 MiB limit/);
    expect(result.peakMb).toBeLessThan(200);
    expect(await client.dbsize()).toBe(1);
  }, 120_000);

  it('a header without "source": refused before the first write (exit 2)', async () => {
    await client.set('a', '1');
    const dump = (await client.dumpBuffer('a'))!;
    await client.del('a');
    const file = path.join(dir, 'nosource.cbk');
    v1File(file, [{ key: Buffer.from('a'), expireAtMs: -1, dump }], header({ source: undefined }));
    const result = await cli(['restore', file, '--yes']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/header field source/);
    expect(await client.exists('a')).toBe(0);
  });

  it('queue keys in a file are skipped and counted; --include-protected restores them', async () => {
    await client.set('bull:mail:1', 'job');
    await client.set('plain', 'value');
    const records = await Promise.all(
      ['bull:mail:1', 'plain'].map(async (key) => ({ key: Buffer.from(key), expireAtMs: -1, dump: (await client.dumpBuffer(key))! })),
    );
    await client.del('bull:mail:1', 'plain');
    const file = path.join(dir, 'queue-key.cbk');
    v1File(file, records);
    const result = await cli(['restore', file, '--yes', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ restored: 1, skipped: { protected: 1 } });
    expect(await client.exists('bull:mail:1')).toBe(0);
    expect(await client.get('plain')).toBe('value');
    const forced = await cli(['restore', file, '--yes', '--json', '--include-protected']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await client.get('bull:mail:1')).toBe('job');
  });

  it("a record over the server's proto-max-bulk-len: refused before anything is written (exit 2)", async () => {
    await client.set('big', randomBytes(3 * MB)); // random: DUMP cannot compress it
    await client.set('small', 'x');
    const records = await Promise.all(['small', 'big'].map(async (key) => ({ key: Buffer.from(key), expireAtMs: -1, dump: (await client.dumpBuffer(key))! })));
    await client.del('big', 'small');
    const file = path.join(dir, 'big.cbk');
    v1File(file, records);
    await client.config('SET', 'proto-max-bulk-len', String(2 * MB));
    try {
      const result = await cli(['restore', file, '--yes']);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/proto-max-bulk-len/);
      expect(await client.exists('small', 'big')).toBe(0);
    } finally {
      await client.config('SET', 'proto-max-bulk-len', String(512 * MB));
    }
  });
});
