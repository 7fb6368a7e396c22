// `cachectl backup` / `cachectl restore` in-process: argument parsing, --json shapes, confirmation,
// exit codes, audit lines.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBackupTargets } from '../../src/cli/commands/backup.js';
import { UsageError } from '../../src/errors.js';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { runCli } from '../helpers/cli.js';
import { randomPrefix, serverTargets } from '../helpers/targets.js';

const cwd = mkdtempSync(path.join(tmpdir(), 'cachectl-backup-cli-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('parseBackupTargets', () => {
  it('binds --name value and --name=value pairs to the family before them; "pattern" takes a glob', () => {
    expect(parseBackupTargets(['convMapping', '--conversationId', 'abc', '--tenant=acme', '--tenant', 'x', 'pattern', 'a:*', 'userState'])).toEqual([
      { family: 'convMapping', values: { conversationId: 'abc', tenant: ['acme', 'x'] } },
      { pattern: 'a:*' },
      { family: 'userState', values: {} },
    ]);
    // A value may look like anything, even an option or "pattern".
    expect(parseBackupTargets(['f', '--id', '--x', '--k', 'pattern'])).toEqual([{ family: 'f', values: { id: '--x', k: 'pattern' } }]);
  });

  it('rejects placeholders without a family, missing values and a bare "pattern"', () => {
    expect(() => parseBackupTargets(['--id', '1'])).toThrow(UsageError);
    expect(() => parseBackupTargets(['pattern', 'x:*', '--id', '1'])).toThrow(/must follow a family name/);
    expect(() => parseBackupTargets(['f', '--id'])).toThrow(/needs a value/);
    expect(() => parseBackupTargets(['pattern'])).toThrow(/needs a glob/);
    expect(() => parseBackupTargets(['-x'])).toThrow(/Unknown option/);
  });
});

describe.each(serverTargets())('backup / restore commands on $name', (target) => {
  let connection: RedisConnection;
  let prefix: string;
  let configFile: string;
  const cli = (args: string[]) => runCli([...args, '--redis-url', target.url, '--config', configFile], { cwd });

  beforeEach(async () => {
    connection = await connect({ url: target.url });
    prefix = randomPrefix('bkcli');
    configFile = path.join(cwd, `config-${prefix.replace(/:/g, '-')}.json`);
    writeFileSync(configFile, JSON.stringify({ families: { testItem: { template: `${prefix}item:{id}` } }, safety: { confirmAbove: 3 } }));
    for (const id of ['1', '2', '3', '4']) await connection.client.set(`${prefix}item:${id}`, `v${id}`);
  });
  afterEach(async () => {
    for (const id of ['1', '2', '3', '4']) await connection.client.del(`${prefix}item:${id}`);
    await connection.close();
  });

  it('backup --json, then restore --json; both leave an audit line', async () => {
    const file = path.join(cwd, `${prefix.replace(/:/g, '-')}a.cbk.gz`);
    const made = await cli(['backup', 'testItem', '--id', '2', '--id', '3', '--out', file, '--json']);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const summary = JSON.parse(made.stdout);
    expect(summary).toEqual({
      file,
      keys: 2,
      bytes: readFileSync(file).length,
      skipped: 0,
      durationMs: expect.any(Number),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      selection: ['testItem(id)'],
    });

    await connection.client.del(`${prefix}item:2`);
    const back = await cli(['restore', file, '--json']);
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({
      file,
      dryRun: false,
      replace: false,
      keys: 2,
      restored: 1,
      skipped: { exists: 1, expired: 0, unmatched: 0 },
      failed: 0,
      errors: [],
      interrupted: false,
      command: 'backup',
      source: expect.stringMatching(/^(Redis|Valkey) \d/),
    });
    expect(await connection.client.get(`${prefix}item:2`)).toBe('v2');
    const audit = readFileSync(path.join(cwd, 'logs', 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.filter((a) => a.command === 'restore' && a.targets[0] === file)).toHaveLength(1);
    expect(audit.filter((a) => a.command === 'backup' && a.result.file === file)).toHaveLength(1);
  });

  it('confirmation: --replace, or more keys than safety.confirmAbove, needs --yes without a terminal', async () => {
    const file = path.join(cwd, `${prefix.replace(/:/g, '-')}b.cbk`);
    expect((await cli(['backup', 'testItem', '--out', file])).code).toBe(0);
    await connection.client.set(`${prefix}item:1`, 'changed');

    const replace = await cli(['restore', file, '--replace']);
    expect(replace.code).toBe(4);
    expect(replace.stderr).toMatch(/Refusing to restore 4 keys .* overwriting keys that exist on .* without confirmation/);
    expect(await connection.client.get(`${prefix}item:1`)).toBe('changed');

    const many = await cli(['restore', file]);
    expect(many.code).toBe(4);

    const dry = await cli(['restore', file, '--replace', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Would restore 4 of 4 keys/);
    expect(await connection.client.get(`${prefix}item:1`)).toBe('changed');

    const yes = await cli(['restore', file, '--replace', '--yes']);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/^Restored 4 of 4 keys/);
    expect(await connection.client.get(`${prefix}item:1`)).toBe('v1');
  });

  it('a truncated file: exit 2, nothing written; bad targets and an existing --out: exit 2', async () => {
    const file = path.join(cwd, `${prefix.replace(/:/g, '-')}c.cbk`);
    expect((await cli(['backup', 'pattern', `${prefix}*`, '--out', file])).code).toBe(0);
    const again = await cli(['backup', 'pattern', `${prefix}*`, '--out', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    expect((await cli(['backup', 'pattern', `${prefix}*`, '--out', file, '--force'])).code).toBe(0);

    const whole = readFileSync(file);
    const cut = `${file}.cut`;
    writeFileSync(cut, whole.subarray(0, whole.length - 60));
    for (const id of ['1', '2', '3', '4']) await connection.client.del(`${prefix}item:${id}`);
    const refused = await cli(['restore', cut, '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: Backup file .* is an interrupted backup: \d+ complete records, the rest of the file is cut/);
    expect(refused.stderr).toMatch(/hint: .*nothing was restored/);
    for (const id of ['1', '4']) expect(await connection.client.exists(`${prefix}item:${id}`)).toBe(0);

    const unknown = await cli(['backup', 'nope', '--out', `${file}.x`]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown family "nope"/);
    const placeholder = await cli(['backup', 'testItem', '--bogus', '1', '--out', `${file}.x`]);
    expect(placeholder.code).toBe(2);
    expect(placeholder.stderr).toMatch(/has no placeholder "bogus"/);
    expect((await cli(['backup', 'testItem'])).code).toBe(2);
  });
});
