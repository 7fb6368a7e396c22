// The built binary: backup and restore exit codes, stdout/stderr as a script sees them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { randomPrefix, serverTargets } from '../helpers/targets.js';

const cwd = mkdtempSync(path.join(tmpdir(), 'cachectl-backup-spawn-'));
const target = serverTargets()[0]!;
const prefix = randomPrefix('bkspawn');
let client: Redis;

beforeAll(async () => {
  client = new Redis(target.url);
  await client.set(`${prefix}a`, 'A', 'PX', 120_000);
  await client.set(Buffer.from(`${prefix}\x00bin`, 'latin1'), Buffer.from([0xff, 0x00]));
});
afterAll(async () => {
  await client.del(`${prefix}a`, Buffer.from(`${prefix}\x00bin`, 'latin1'));
  client.disconnect();
  rmSync(cwd, { recursive: true, force: true });
});

const run = (args: string[]) => spawnCli([...args, '--redis-url', target.url], { cwd });

describe('cachectl backup / restore (binary)', () => {
  const file = path.join(cwd, 'keys.cbk.gz');

  it('backup: exit 0, JSON summary on stdout, nothing on stderr', async () => {
    const result = await run(['backup', 'pattern', `${prefix}*`, '--out', file, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ file, keys: 2, skipped: 0 });
  });

  it('restore: exit 0 with every key back; the binary key name survives', async () => {
    await client.del(`${prefix}a`, Buffer.from(`${prefix}\x00bin`, 'latin1'));
    const result = await run(['restore', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Restored 2 of 2 keys into (Redis|Valkey) /);
    expect(await client.getBuffer(Buffer.from(`${prefix}\x00bin`, 'latin1'))).toEqual(Buffer.from([0xff, 0x00]));
    expect(await client.pttl(`${prefix}a`)).toBeGreaterThan(100_000);
  });

  it('restore --replace without --yes and without a terminal: exit 4, nothing changed', async () => {
    await client.set(`${prefix}a`, 'changed');
    const result = await run(['restore', file, '--replace']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^error: Refusing to restore 2 keys/);
    expect(result.stdout).toBe('');
    expect(await client.get(`${prefix}a`)).toBe('changed');
  });

  it('a truncated file: exit 2, one-line error with a hint', async () => {
    const cut = path.join(cwd, 'cut.cbk.gz');
    const whole = readFileSync(file);
    writeFileSync(cut, whole.subarray(0, whole.length - 30));
    const result = await run(['restore', cut, '--replace', '--yes']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: Backup file .*cut\.cbk\.gz is an interrupted backup: \d+ complete records, the rest of the file is cut \(.*the compressed data ends early\)+\nhint: .*--partial/,
    );
    expect(await client.get(`${prefix}a`)).toBe('changed');
  });

  it('a file that does not exist: exit 2', async () => {
    const result = await run(['restore', path.join(cwd, 'missing.cbk')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/The backup file .*missing\.cbk does not exist/);
  });
});
