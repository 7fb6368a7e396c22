// kill -9 of `invalidate pattern --backup` part-way through 100k keys: the `.partial` file left
// behind is an interrupted backup. Restore refuses it without --partial (exit 2, nothing written)
// and with --partial puts back every whole record it holds.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupReader } from '../../src/core/backup/reader.js';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { BIN, cleanEnv, runCli } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { json, seed, waitFor, workDir } from './faults-support.js';

const KEYS = 100_000;

async function keysInFile(file: string): Promise<string[]> {
  const reader = await BackupReader.open(file);
  const keys: string[] = [];
  try {
    for await (const batch of reader.batches({ records: 1000, bytes: 8 << 20 })) for (const r of batch) keys.push(r.key.toString());
  } finally {
    reader.close();
  }
  return keys;
}

describe('kill -9 during --backup', () => {
  let server: ServerHandle;
  let admin: RedisConnection;
  const work = workDir();

  beforeAll(async () => {
    server = await startServer();
    admin = await connect({ url: server.url });
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
    work.remove();
  });

  for (const ext of ['.cbk', '.cbk.gz']) {
    it(`every whole record of the interrupted file is restored (${ext})`, async () => {
      await admin.client.call('FLUSHALL');
      await seed(admin.client, 'context:S-', KEYS, 'value-of-some-length-');
      const file = path.join(work.dir, `killed${ext}`);
      const child = spawn(
        process.execPath,
        [BIN, '--redis-url', server.url, 'invalidate', 'pattern', 'context:*', '--yes', '--rate', '50000', '--backup', file],
        {
          cwd: work.dir,
          env: cleanEnv(),
          stdio: 'ignore',
        },
      );
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      await waitFor(() => (statSync(`${file}.partial`, { throwIfNoEntry: false })?.size ?? 0) > 200_000, 60_000, 'the backup to be written', 2);
      child.kill('SIGKILL');
      await exited;

      const partial = `${file}.partial`;
      const inFile = await keysInFile(partial);
      expect(inFile.length).toBeGreaterThan(1000);
      const left = await admin.client.dbsize();
      expect(left).toBeLessThan(KEYS);
      // Every key in the file was deleted (none of them is in Redis).
      const exists = await admin.client.exists(...inFile.slice(0, 5000));
      expect(exists).toBe(0);

      const refused = await runCli(['--redis-url', server.url, 'restore', partial, '--yes'], { cwd: work.dir });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/interrupted backup: [\d,]+ complete records, the rest of the file is cut/);
      expect(refused.stderr).toMatch(/--partial/);
      expect(await admin.client.dbsize()).toBe(left);

      const restored = await runCli(['--redis-url', server.url, 'restore', partial, '--partial', '--yes', '--json'], { cwd: work.dir });
      expect(restored.code, restored.stderr).toBe(0);
      const result = json<{ restored: number; complete: boolean; keys: number }>(restored.stdout);
      expect(result).toMatchObject({ restored: inFile.length, keys: inFile.length, complete: false });
      expect(await admin.client.dbsize()).toBe(left + inFile.length);
      expect(await admin.client.get(inFile[0]!)).toMatch(/^value-of-some-length-\d+$/);
    }, 120_000);
  }
});
