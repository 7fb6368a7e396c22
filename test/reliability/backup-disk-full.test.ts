// `--backup FILE` on a filesystem that fills up mid-run (a small tmpfs; needs root to mount).
// A key counts as deleted only once its record is on disk: afterwards the keys in the file are
// exactly the deleted ones, every other selected key is still in Redis with its TTL, the run exits
// 5 with a summary and an audit line, and restoring the file brings every key back.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupReader } from '../../src/core/backup/reader.js';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { runCli } from '../helpers/cli.js';
import { hasBinary, startServer, type ServerBinary, type ServerHandle } from '../helpers/servers.js';
import { json, waitFor, workDir } from './faults-support.js';

const KEYS = 60_000;
const TTL_MS = 3_600_000;

function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: a small tmpfs cannot be mounted';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'mount -t tmpfs is not allowed here';
  }
}

const work = workDir();
const full = path.join(work.dir, 'full');
mkdirSync(full);
const skipReason = mountTmpfs(full, '16m');
if (skipReason !== undefined) work.remove();

/** Every key of a backup file (stops at the cut of an interrupted one). */
/** Fill the filesystem holding `dir` (another process taking the space). */
function fill(dir: string): void {
  const fd = openSync(path.join(dir, 'filler'), 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch {
    // ENOSPC: full
  } finally {
    closeSync(fd);
  }
}

async function keysInFile(file: string): Promise<Set<string>> {
  const reader = await BackupReader.open(file);
  const keys = new Set<string>();
  try {
    for await (const batch of reader.batches({ records: 1000, bytes: 8 << 20 })) for (const r of batch) keys.add(r.key.toString());
  } finally {
    reader.close();
  }
  return keys;
}

const binaries: ServerBinary[] = hasBinary('valkey-server') ? ['redis-server', 'valkey-server'] : ['redis-server'];

afterAll(() => {
  if (skipReason !== undefined) return;
  try {
    execFileSync('umount', [full], { stdio: 'ignore' });
  } catch {
    // not mounted
  }
  work.remove();
});

describe.skipIf(skipReason !== undefined).each(binaries)(
  `--backup on a filesystem that fills up (%s)${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  (binary) => {
    let server: ServerHandle;
    let admin: RedisConnection;

    beforeAll(async () => {
      server = await startServer({ binary });
      admin = await connect({ url: server.url });
    });
    afterAll(async () => {
      await admin?.close();
      await server?.stop();
    });

    const cli = (args: string[]) => runCli(['--redis-url', server.url, ...args], { cwd: work.dir });

    async function seed(): Promise<void> {
      await admin.client.call('FLUSHALL');
      for (let i = 0; i < KEYS; i += 1000) {
        const pipeline = admin.client.pipeline();
        for (let k = i; k < i + 1000; k++) {
          const value = randomBytes(40).toString('hex');
          if (k % 2 === 0) pipeline.set(`context:S-${k}`, value, 'PX', TTL_MS);
          else pipeline.set(`context:S-${k}`, value);
        }
        await pipeline.exec();
      }
      await admin.client.set('keep:me', 'x');
    }

    for (const ext of ['.cbk', '.cbk.gz']) {
      it(`deleted = keys in the file, the rest untouched; exit 5 with summary and audit line (${ext})`, async () => {
        await seed();
        for (const name of readdirSync(full)) rmSync(path.join(full, name));
        const file = path.join(full, `ctx${ext}`);
        // Room for the whole backup when the run checks; the disk fills once it is writing.
        const running = cli(['invalidate', 'pattern', 'context:*', '--yes', '--json', '--rate', '20000', '--backup', file]);
        await waitFor(() => (statSync(`${file}.partial`, { throwIfNoEntry: false })?.size ?? 0) > 100_000, 30_000, 'the backup to start', 2);
        fill(full);
        const result = await running;
        expect(result.code, result.stderr).toBe(5);
        const summary = json<{ deleted: number; backup: { file: string; keys: number; written: boolean } }>(result.stdout);
        expect(summary.backup.written).toBe(true);
        expect(result.stderr).toMatch(/ENOSPC/);

        const inFile = await keysInFile(summary.backup.file);
        expect(inFile.size).toBeGreaterThan(0);
        expect(inFile.size).toBeLessThan(KEYS);
        expect(summary.deleted).toBe(inFile.size);
        expect(summary.backup.keys).toBe(inFile.size);
        // Every selected key is either in the file (and gone) or still in Redis with its TTL.
        const pipeline = admin.client.pipeline();
        for (let k = 0; k < KEYS; k++) pipeline.pttl(`context:S-${k}`);
        const ttls = (await pipeline.exec())!.map(([, ttl]) => Number(ttl));
        let present = 0;
        ttls.forEach((ttl, k) => {
          const key = `context:S-${k}`;
          if (inFile.has(key)) expect(ttl, key).toBe(-2);
          else {
            present++;
            if (k % 2 === 0) expect(ttl, key).toBeGreaterThan(0);
            else expect(ttl, key).toBe(-1);
          }
        });
        expect(present + inFile.size).toBe(KEYS);

        const audit = readFileSync(path.join(work.dir, 'logs', 'audit.log'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { command: string; result: Record<string, unknown> });
        expect(audit.at(-1)).toMatchObject({ command: 'invalidate', result: { deleted: inFile.size, error: expect.stringMatching(/ENOSPC/) } });

        const restored = await cli(['restore', summary.backup.file, '--partial', '--yes', '--json']);
        expect(restored.code, restored.stderr).toBe(0);
        expect(json<{ restored: number }>(restored.stdout).restored).toBe(inFile.size);
        expect(await admin.client.dbsize()).toBe(KEYS + 1);
      }, 120_000);
    }
  },
);
