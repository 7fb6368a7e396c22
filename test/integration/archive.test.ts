// Archived maintenance: `maintenance --backup-dir` (and maintenance.archive) keeps what clear-old
// deletes, one timestamped file per run, restorable; archive retention by age; a scheduled
// `clear-old --backup-dir` never fails because a file exists.
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearingFixture, setKeys, type ClearingFixture } from '../helpers/clearing-fixture.js';
import { serverTargets } from '../helpers/targets.js';

describe('archived maintenance and clear-old --backup-dir', () => {
  let fx: ClearingFixture;
  let archive: string;
  const old = () => JSON.stringify({ updatedAt: Date.now() - 10 * 86_400_000 });

  beforeAll(async () => {
    // Own namespace: its maintenance lock and run records are this test's alone.
    fx = await clearingFixture(serverTargets()[0]!, { namespace: `arch${Date.now()}` }, 'arch');
    archive = path.join(fx.dir, 'archive');
  });
  afterAll(async () => fx?.close());

  const sessions = (run: number) => Array.from({ length: 25 }, (_, i) => `${fx.prefix}session:r${run}-${i}`);
  const files = () => readdirSync(archive).sort();

  it('two maintenance runs in a row each leave a restorable archive', async () => {
    // An archive file past retention, and a file that is not an archive: only the first goes.
    await setKeys(fx.client, sessions(1), old());
    const first = await fx.cli(['maintenance', '--backup-dir', archive, '--keep-days', '7']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/archive: 25 key\(s\) in .*maintenance-\d{8}T\d{6}\.\d{3}Z\.cbk\.gz/);
    await setKeys(fx.client, sessions(2), old());
    writeFileSync(path.join(archive, 'maintenance-20200101T000000.000Z.cbk.gz'), 'old');
    writeFileSync(path.join(archive, 'notes.txt'), 'keep me');
    utimesSync(path.join(archive, 'notes.txt'), new Date('2020-01-01'), new Date('2020-01-01'));
    const second = await fx.cli(['maintenance', '--backup-dir', archive, '--keep-days', '7']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(/archive: 1 file\(s\) older than 7 day\(s\) removed/);
    const archives = files().filter((f) => f.endsWith('.cbk.gz'));
    expect(archives).toHaveLength(2);
    expect(files()).toContain('notes.txt');
    expect((await fx.existing([...sessions(1), ...sessions(2)])).length).toBe(0);
    // Each archive restores exactly its run's keys.
    for (const [i, file] of archives.entries()) {
      const restored = await fx.cli(['restore', path.join(archive, file), '--yes']);
      expect(restored.code, restored.stderr).toBe(0);
      expect((await fx.existing(sessions(i + 1))).length).toBe(25);
    }
  }, 60_000);

  it('maintenance.archive in the config file does the same; nothing deleted writes no file', async () => {
    const configured = await clearingFixture(
      serverTargets()[0]!,
      { namespace: `archc${Date.now()}`, maintenance: { archive: { dir: 'kept', keepDays: 30 } } },
      'archc',
    );
    try {
      await setKeys(configured.client, [`${configured.prefix}session:a`], old());
      const run = await configured.cli(['maintenance']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(readdirSync(path.join(configured.dir, 'kept'))).toHaveLength(1);
      const empty = await configured.cli(['maintenance']);
      expect(empty.stdout).toMatch(/archive: nothing deleted, no file written/);
      expect(readdirSync(path.join(configured.dir, 'kept'))).toHaveLength(1);
    } finally {
      await configured.close();
    }
  }, 60_000);

  it('a scheduled clear-old --backup-dir never fails because a file exists', async () => {
    const dir = path.join(fx.dir, 'weekly');
    await fx.client.del(...sessions(1), ...sessions(2)); // restored by the first test
    for (const run of [3, 4, 5]) {
      await setKeys(fx.client, sessions(run), old());
      const result = await fx.cli(['clear-old', '--backup-dir', dir, '--yes']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/backup: 25 key\(s\) in .*clear-old-\d{8}T\d{6}\.\d{3}Z\.cbk\.gz/);
    }
    expect(readdirSync(dir).filter((f) => f.startsWith('clear-old-'))).toHaveLength(3);
    expect((await fx.cli(['clear-old', '--backup-dir', dir, '--backup', 'x.cbk'])).code).toBe(2);
  }, 60_000);

  it('hook deploy --backup-dir keeps what each deploy deletes, a new restorable file each time', async () => {
    const config = path.join(fx.dir, 'deploy.json');
    const families = { ...fx.input.families, chatList: { template: `${fx.prefix}chats:{deviceId}:{chatId}`, clearOnDeploy: true } };
    writeFileSync(config, JSON.stringify({ ...fx.input, families }));
    const dir = path.join(fx.dir, 'deploys');
    const chats = (run: number) => Array.from({ length: 5 }, (_, i) => `${fx.prefix}chats:d${run}:${i}`);
    for (const run of [1, 2]) {
      await setKeys(fx.client, chats(run));
      const result = await fx.cli(['--config', config, 'hook', 'deploy', '--backup-dir', dir]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect((await fx.existing(chats(run))).length).toBe(0);
    }
    const kept = readdirSync(dir)
      .filter((f) => /^deploy-\d{8}T\d{6}\.\d{3}Z\.cbk\.gz$/.test(f))
      .sort();
    expect(kept).toHaveLength(2);
    for (const [i, file] of kept.entries()) {
      expect((await fx.cli(['restore', path.join(dir, file), '--yes'])).code).toBe(0);
      expect((await fx.existing(chats(i + 1))).length).toBe(5);
    }
  }, 60_000);
});
