// Text from data cannot drive the terminal: a crafted backup header is refused without echoing it,
// and file names, job names and failure reasons holding ESC, BEL, C1 and newlines are printed
// escaped (colours on and off); --json keeps the exact values.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTrailer, MAGIC, TRAILER_SIZE } from '../../src/core/backup/format.js';
import { runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/bullmq.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

const EVIL = 'x\x1b[2J\x1b]0;pwned\x07\x9b31m\u202e\r\nfake: ok\x7f';
let server: ServerHandle;
let admin: Redis;
let dir: string;

/** Raw control characters other than newline, and ESC other than an SGR colour code. */
function rawControls(text: string, colours: boolean): string[] {
  const stripped = colours ? text.replace(/\x1b\[[0-9;]*m/g, '') : text;
  return [...stripped.matchAll(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/g)].map((m) => JSON.stringify(m[0]));
}

beforeAll(async () => {
  server = await startServer();
  admin = new Redis(server.url);
  dir = await mkdtemp(path.join(tmpdir(), 'cachectl-term-'));
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A real backup whose header's command, created and source.target are rewritten (checksum redone). */
async function craftedBackup(): Promise<string> {
  await admin.set('term:a', '1');
  const file = path.join(dir, 'b.cbk');
  const made = await runCli(['--redis-url', server.url, 'backup', 'pattern', 'term:*', '--out', file], { cwd: dir });
  expect(made.code, made.stderr).toBe(0);
  const bytes = await readFile(file);
  const headerEnd = bytes.indexOf(0x0a, MAGIC.length);
  const header = JSON.parse(bytes.subarray(MAGIC.length, headerEnd).toString('utf8')) as Record<string, unknown> & { source: { target: string } };
  header.command = `backup ${EVIL}`;
  header.created = `2024-01-01${EVIL}`;
  header.source.target = `redis://${EVIL}`;
  const records = bytes.subarray(headerEnd + 1, bytes.length - TRAILER_SIZE);
  const count = Number(bytes.readBigUInt64BE(bytes.length - TRAILER_SIZE + 4));
  const body = Buffer.concat([MAGIC, Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), records]);
  const crafted = path.join(dir, 'crafted.cbk');
  await writeFile(crafted, Buffer.concat([body, encodeTrailer(count, createHash('sha256').update(body).digest())]));
  return crafted;
}

describe('restore: text from a backup file cannot drive the terminal', () => {
  it('a header with control characters is refused before anything is written, and the refusal prints none', async () => {
    const file = await craftedBackup();
    for (const env of [{}, { FORCE_COLOR: '1', NO_COLOR: '' }]) {
      const result = await runCli(['--redis-url', server.url, 'restore', file, '--yes'], { cwd: dir, env });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/header field \w+: control characters/);
      expect(rawControls(result.stdout + result.stderr, 'FORCE_COLOR' in env)).toEqual([]);
    }
  });

  it('a file name holding control characters is printed escaped (colours off and on); --json keeps it exact', async () => {
    await admin.set('term:b', '1');
    const file = path.join(dir, `named ${EVIL}.cbk`);
    const made = await runCli(['--redis-url', server.url, 'backup', 'pattern', 'term:*', '--out', file], { cwd: dir });
    expect(made.code, made.stderr).toBe(0);
    expect(rawControls(made.stdout + made.stderr, false)).toEqual([]);
    for (const env of [{}, { FORCE_COLOR: '1', NO_COLOR: '' }]) {
      const result = await runCli(['--redis-url', server.url, 'restore', file, '--dry-run'], { cwd: dir, env });
      expect(result.code, result.stderr).toBe(0);
      expect(rawControls(result.stdout + result.stderr, 'FORCE_COLOR' in env)).toEqual([]);
      expect(result.stdout).toContain('\\e[2J\\e]0;pwned\\a\\x9b31m\\u{202e}\\r\\nfake: ok\\x7f');
    }
    const json = await runCli(['--json', '--redis-url', server.url, 'restore', file, '--dry-run'], { cwd: dir });
    expect(rawControls(json.stdout, false).filter((c) => c !== '"\\n"')).toEqual([]);
    expect((JSON.parse(json.stdout) as { file: string }).file).toBe(file);
  });
});

describe('queues inspect prints job names and failure reasons escaped', () => {
  it('colours off and on; --json exact', async () => {
    const connection = { host: '127.0.0.1', port: server.port };
    const queue = new Queue('evil', { connection, prefix: 'bull' });
    const worker = new Worker(
      'evil',
      async () => {
        throw new Error(`boom ${EVIL}`);
      },
      { connection: { ...connection, maxRetriesPerRequest: null }, prefix: 'bull' },
    );
    try {
      await queue.add(`job ${EVIL}`, {}, { attempts: 1 });
      await waitFor(async () => (await queue.getFailedCount()) === 1, 10_000, 'the job to fail');
    } finally {
      await worker.close();
      await queue.close();
    }
    for (const env of [{}, { FORCE_COLOR: '1', NO_COLOR: '' }]) {
      const result = await runCli(['--redis-url', server.url, 'queues', 'inspect', 'evil'], { cwd: dir, env });
      expect(result.code, result.stderr).toBe(0);
      expect(rawControls(result.stdout + result.stderr, 'FORCE_COLOR' in env)).toEqual([]);
      expect(result.stdout).toContain('job x\\e[2J');
      expect(result.stdout).toContain('boom x\\e[2J');
    }
    const json = await runCli(['--json', '--redis-url', server.url, 'queues', 'inspect', 'evil'], { cwd: dir });
    expect(rawControls(json.stdout, false).filter((c) => c !== '"\\n"')).toEqual([]);
    const parsed = JSON.parse(json.stdout) as { failures: { recent: Array<{ name: string; failedReason: string }> } };
    expect(parsed.failures.recent[0]!.name).toBe(`job ${EVIL}`);
    expect(parsed.failures.recent[0]!.failedReason).toBe(`boom ${EVIL}`);
  });
});
