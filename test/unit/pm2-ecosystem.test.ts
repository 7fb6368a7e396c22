import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { lintEcosystem, loadEcosystem, type Ecosystem } from '../../src/core/pm2/ecosystem.js';
import { appKeysFromSchema, installedAppKeys } from '../../src/core/pm2/app-keys.js';
import { cachectlCommandOf, splitArgs } from '../../src/core/pm2/commands.js';
import { checkCron, formatInZone, previousCronRun } from '../../src/core/pm2/cron.js';
import { ROOT } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-eco-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function eco(apps: Ecosystem['apps'], deploy?: Ecosystem['deploy']): Ecosystem {
  return { file: 'x', apps, ...(deploy ? { deploy } : {}) };
}

describe('loadEcosystem', () => {
  it('loads the shipped ecosystem file and it lints without failures', async () => {
    const loaded = await loadEcosystem(path.join(ROOT, 'ecosystem.config.cjs'));
    expect(loaded.apps.map((a) => a.name)).toEqual(['whatsapp_api', 'cache_maintenance', 'cache_cleanup', 'cache_listener']);
    const findings = lintEcosystem(loaded);
    expect(findings.filter((f) => f.level === 'fail')).toEqual([]);
    const maintenance = loaded.apps.find((a) => a.name === 'cache_maintenance')!;
    expect(maintenance).toMatchObject({ cron_restart: '0 2 * * *', autorestart: false, args: 'maintenance --log-format json' });
    expect(loaded.deploy?.production?.['pre-deploy-local']).toContain('cachectl hook pre-deploy');
    expect(loaded.deploy?.production?.['post-deploy']).toMatch(/cachectl hook deploy && pm2 reload ecosystem\.config\.cjs/);
  });

  it('reloads a changed file (no require cache)', async () => {
    const file = write('changing.cjs', `module.exports = { apps: [{ name: 'one', script: 'a.js' }] };`);
    expect((await loadEcosystem(file)).apps[0]!.name).toBe('one');
    writeFileSync(file, `module.exports = { apps: [{ name: 'two', script: 'a.js' }] };`);
    expect((await loadEcosystem(file)).apps[0]!.name).toBe('two');
  });

  it('a missing, broken or shapeless file is a UsageError', async () => {
    await expect(loadEcosystem(path.join(dir, 'nope.cjs'))).rejects.toThrow(/ecosystem file not found/);
    const broken = write('broken.cjs', 'module.exports = { apps: [ ');
    await expect(loadEcosystem(broken)).rejects.toBeInstanceOf(UsageError);
    await expect(loadEcosystem(broken)).rejects.toThrow(/cannot load ecosystem file/);
    const throwing = write('throwing.cjs', 'throw new Error("no thanks")');
    await expect(loadEcosystem(throwing)).rejects.toThrow(/no thanks/);
    const shapeless = write('shapeless.cjs', 'module.exports = { applications: [] }');
    await expect(loadEcosystem(shapeless)).rejects.toThrow(/no "apps" array/);
    const json = write('eco.json', JSON.stringify({ apps: [{ name: 'j', script: 'j.js' }] }));
    expect((await loadEcosystem(json)).apps[0]!.name).toBe('j');
  });
});

describe('lintEcosystem', () => {
  const ok = { name: 'm', script: './bin/cachectl.js', args: 'maintenance', cron_restart: '0 2 * * *', autorestart: false };

  it('a correct cron app has no findings', () => {
    expect(lintEcosystem(eco([ok]))).toEqual([]);
  });

  it('pre_restart and other unknown keys fail: PM2 ignores them', () => {
    const findings = lintEcosystem(
      eco([{ name: 'api', script: 'a.js', pre_restart: 'node x --pm2-restart', cronRestart: '0 1 * * *', autorestart: false, colour: 1 }]),
    );
    expect(findings).toEqual([
      { app: 'api', level: 'fail', message: expect.stringMatching(/PM2 ignores this key: there is no pre_restart/) },
      { app: 'api', level: 'fail', message: expect.stringMatching(/PM2 ignores this key: "colour"/) },
    ]);
  });

  it('cron_restart without autorestart: false on a command that exits fails (restart loop)', () => {
    const findings = lintEcosystem(eco([{ ...ok, autorestart: undefined }]));
    expect(findings).toEqual([{ app: 'm', level: 'fail', message: expect.stringMatching(/restarts it in a loop/) }]);
    // an unknown script might be long-running: only a warning
    expect(lintEcosystem(eco([{ name: 'x', script: 'x.js', cron_restart: '0 2 * * *' }]))[0]).toMatchObject({ level: 'warn' });
    // a one-shot cachectl command without cron and without autorestart: false loops too
    expect(lintEcosystem(eco([{ name: 'c', script: 'bin/cachectl.js', args: 'clear-old --yes' }]))[0]).toMatchObject({ level: 'fail' });
    // listen is long-running: autorestart is right for it
    expect(lintEcosystem(eco([{ name: 'l', script: 'bin/cachectl.js', args: ['listen'] }]))).toEqual([]);
  });

  it('invalid cron expressions fail; cron 0 means disabled', () => {
    const findings = lintEcosystem(eco([{ ...ok, cron_restart: '0 25 * * *' }]));
    expect(findings).toEqual([{ app: 'm', level: 'fail', message: expect.stringMatching(/invalid cron_restart "0 25 \* \* \*"/) }]);
    expect(lintEcosystem(eco([{ ...ok, cron_restart: 0 }]))).toEqual([]);
  });

  it('args calling unknown cachectl commands warn; global options are skipped', () => {
    const commands = ['maintenance', 'ping', '--pre-deploy'];
    expect(lintEcosystem(eco([{ ...ok, args: '--redis-url redis://x:1 mantenance' }]), { commands })).toEqual([
      { app: 'm', level: 'warn', message: expect.stringContaining('"mantenance"') },
    ]);
    expect(lintEcosystem(eco([{ ...ok, args: '--config c.json --pre-deploy' }]), { commands })).toEqual([]);
    // Without the command list (core callers that do not know the CLI) args are not judged.
    expect(lintEcosystem(eco([{ ...ok, args: 'mantenance' }]))).toEqual([]);
    expect(lintEcosystem(eco([{ ...ok, args: 'maintenance' }]), { commands: ['ping'] })[0]).toMatchObject({ level: 'warn' });
  });

  it('duplicate names, missing script and bad deploy hooks fail', () => {
    const findings = lintEcosystem(
      eco([{ name: 'a', script: 'a.js' }, { name: 'a' }], { production: { host: 'h', 'pre-restart': 'x', 'post-deploy': 'y', colour: 1 } }),
    );
    expect(findings.map((f) => `${f.app}:${f.level}`)).toEqual(['a:fail', 'a:fail', 'deploy.production:fail', 'deploy.production:warn']);
  });
});

describe('helpers', () => {
  it("reads the installed pm2's schema.json: every key, camelCase forms, aliases, env_* blocks", async () => {
    const { createRequire } = await import('node:module');
    const schema = createRequire(import.meta.url)(path.join(ROOT, 'node_modules/pm2/lib/API/schema.json')) as Record<string, unknown>;
    const keys = Object.keys(schema).filter((k) => !k.includes('\\'));
    const installed = installedAppKeys()!;
    expect([...installed.keys].sort()).toEqual(keys.sort());
    expect(installed.canonical('killTimeout')).toBe('kill_timeout');
    expect(installed.canonical('cron')).toBe('cron_restart');
    expect(installed.canonical('env_production')).toBe('env_production');
    expect(installed.canonical('pre_restart')).toBeUndefined();
  });

  it('follows the schema it is given (a key a newer pm2 adds is accepted)', () => {
    const keys = appKeysFromSchema({ script: {}, brand_new_option: { alias: 'bno' }, '^env_\\S*$': {} });
    expect(keys.canonical('brandNewOption')).toBe('brand_new_option');
    expect(keys.canonical('bno')).toBe('brand_new_option');
    expect(keys.canonical('cmd')).toBe('script');
    expect(keys.canonical('kill_timeout')).toBeUndefined();
  });

  it('without pm2, names are not checked and one warning says so', () => {
    const findings = lintEcosystem(eco([{ name: 'a', script: 'a.js', pre_restart: 'x' }]), { appKeys: null });
    expect(findings).toEqual([{ app: expect.any(String), level: 'warn', message: expect.stringMatching(/^pm2 is not installed/) }]);
  });

  it('splits args and finds the command', () => {
    expect(splitArgs(`clear-old --hours "1 2" 'x y'`)).toEqual(['clear-old', '--hours', '1 2', 'x y']);
    expect(cachectlCommandOf('--json --sentinel a:1 stats')).toBe('stats');
    expect(cachectlCommandOf('--deploy')).toBe('--deploy');
    expect(cachectlCommandOf(undefined)).toBe('');
  });

  it('computes next runs in a time zone', () => {
    const from = new Date('2024-01-06T12:00:00Z'); // a Saturday
    const weekly = checkCron('0 3 * * 0', { tz: 'Africa/Johannesburg', from, count: 2 });
    expect(weekly).toEqual({ valid: true, next: [new Date('2024-01-07T01:00:00Z'), new Date('2024-01-14T01:00:00Z')] });
    expect(formatInZone(new Date('2024-01-07T01:00:00Z'), 'Africa/Johannesburg')).toBe('Sun 2024-01-07 03:00');
    expect(checkCron('nope', { tz: 'UTC' }).valid).toBe(false);
  });
});

describe('previousCronRun', () => {
  it('finds the run before an instant, for rare and frequent patterns', () => {
    const at = new Date('2024-03-10T02:00:00Z');
    expect(previousCronRun('0 2 * * *', 'UTC', at)).toEqual(new Date('2024-03-09T02:00:00Z'));
    expect(previousCronRun('*/15 * * * *', 'UTC', new Date('2024-03-10T02:07:00Z'))).toEqual(new Date('2024-03-10T02:00:00Z'));
    expect(previousCronRun('0 0 1 1 *', 'UTC', at)).toEqual(new Date('2024-01-01T00:00:00Z'));
    expect(previousCronRun('0 2 * * *', 'Africa/Johannesburg', at)).toEqual(new Date('2024-03-10T00:00:00Z'));
    expect(previousCronRun('0 0 31 2 *', 'UTC', at)).toBeUndefined();
  });
});
