// Where the config file is found (--config, CACHECTL_CONFIG, ./, $XDG_CONFIG_HOME, /etc — first
// found wins), what `config path` says, relative paths meaning "next to the config file", and state
// in $XDG_STATE_HOME without a file: never in the working directory. HOME, XDG_* and the /etc path
// (CACHECTL_SYSTEM_CONFIG) all point into a temp folder.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { runCli } from '../helpers/cli.js';
import { randomPrefix, serverTargets } from '../helpers/targets.js';

const target = serverTargets().find((t) => t.name === 'redis')!;
let root: string;
let prefix: string;
let connection: RedisConnection;
let n = 0;

/** A fresh sandbox: home, cwd, and the five places a config may be. */
function sandbox() {
  const dir = path.join(root, `s${++n}`);
  const home = path.join(dir, 'home');
  const cwd = path.join(dir, 'work');
  const places = {
    flag: path.join(dir, 'given', 'flag.json'),
    env: path.join(dir, 'given', 'env.json'),
    cwd: path.join(cwd, 'cachectl.config.json'),
    user: path.join(dir, 'xdg-config', 'cachectl', 'config.json'),
    system: path.join(dir, 'etc', 'cachectl', 'config.json'),
  };
  mkdirSync(cwd, { recursive: true });
  mkdirSync(home, { recursive: true });
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(dir, 'xdg-config'),
    XDG_STATE_HOME: path.join(dir, 'xdg-state'),
    CACHECTL_SYSTEM_CONFIG: places.system,
  };
  /** A config at `where` whose family `lk` lives under `<prefix><label>:`. */
  const write = (where: keyof typeof places, extra: Record<string, unknown> = {}) => {
    mkdirSync(path.dirname(places[where]), { recursive: true });
    writeFileSync(places[where], JSON.stringify({ families: { lk: { template: `${prefix}${where}:{id}` } }, ...extra }));
  };
  return { dir, home, cwd, places, env, write };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'cachectl-lookup-'));
  connection = await connect({ url: target.url });
});
afterAll(async () => {
  await connection.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  prefix = randomPrefix('lookup');
});
afterEach(async () => {
  for (const where of ['flag', 'env', 'cwd', 'user', 'system']) await connection.client.del(`${prefix}${where}:1`);
});

async function seed(): Promise<void> {
  for (const where of ['flag', 'env', 'cwd', 'user', 'system']) await connection.client.set(`${prefix}${where}:1`, 'v');
}

/** Which config the run used: the one whose family's key it deleted. */
async function usedBy(s: ReturnType<typeof sandbox>, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<string> {
  await seed();
  const result = await runCli([...args, 'invalidate', 'lk', '--id', '1', '--yes', '--json', '--redis-url', target.url], {
    cwd: s.cwd,
    env: { ...s.env, ...env },
  });
  expect(result.code, result.stderr).toBe(0);
  const left = await Promise.all(['flag', 'env', 'cwd', 'user', 'system'].map(async (w) => ((await connection.client.exists(`${prefix}${w}:1`)) ? '' : w)));
  return left.join('');
}

describe('config lookup', () => {
  it.each(['cwd', 'user', 'system'] as const)('finds a config that exists only in the %s place', async (where) => {
    const s = sandbox();
    s.write(where);
    expect(await usedBy(s)).toBe(where);
    const shown = await runCli(['config', 'path', '--json'], { cwd: s.cwd, env: s.env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ file: s.places[where], source: where });
  });

  it('first found wins: --config, then CACHECTL_CONFIG, ./, $XDG_CONFIG_HOME, /etc', async () => {
    const s = sandbox();
    for (const where of ['flag', 'env', 'cwd', 'user', 'system'] as const) s.write(where);
    expect(await usedBy(s, ['--config', s.places.flag], { CACHECTL_CONFIG: s.places.env })).toBe('flag');
    expect(await usedBy(s, [], { CACHECTL_CONFIG: s.places.env })).toBe('env');
    expect(await usedBy(s)).toBe('cwd');
    rmSync(s.places.cwd);
    expect(await usedBy(s)).toBe('user');
    rmSync(s.places.user);
    expect(await usedBy(s)).toBe('system');
  });

  it('XDG_CONFIG_HOME unset (or relative) means ~/.config', async () => {
    const s = sandbox();
    const file = path.join(s.home, '.config', 'cachectl', 'config.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ families: { lk: { template: `${prefix}user:{id}` } } }));
    expect(await usedBy(s, [], { XDG_CONFIG_HOME: 'relative/ignored' })).toBe('user');
  });

  it('config path: the file and where logs go; --verbose lists every place looked at, in order', async () => {
    const s = sandbox();
    s.write('user');
    const plain = await runCli(['config', 'path'], { cwd: s.cwd, env: s.env });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toBe(`${s.places.user} (user config ($XDG_CONFIG_HOME))\nlogs and backups: ${path.join(path.dirname(s.places.user), 'logs')}\n`);
    const verbose = await runCli(['config', 'path', '--verbose'], { cwd: s.cwd, env: s.env });
    const looked = verbose.stdout.split('\n').filter((l) => l.startsWith('  '));
    expect(looked).toEqual([`  missing  ${s.places.cwd} (working directory)`, `  found    ${s.places.user} (user config ($XDG_CONFIG_HOME))`]);
    const json = JSON.parse((await runCli(['config', 'path', '--json'], { cwd: s.cwd, env: s.env })).stdout);
    expect(json.searched.map((c: { source: string; exists: boolean }) => `${c.source}:${c.exists}`)).toEqual(['cwd:false', 'user:true']);

    const none = sandbox();
    const empty = await runCli(['config', 'path', '--json'], { cwd: none.cwd, env: none.env });
    expect(JSON.parse(empty.stdout)).toMatchObject({ file: null, source: null, logsDir: path.join(none.env.XDG_STATE_HOME, 'cachectl') });
    expect(JSON.parse(empty.stdout).searched.map((c: { path: string }) => c.path)).toEqual([none.places.cwd, none.places.user, none.places.system]);
  });

  it('an explicit --config or CACHECTL_CONFIG that does not exist is exit 2, never a fallback', async () => {
    const s = sandbox();
    s.write('cwd');
    const flag = await runCli(['--config', 'nope.json', 'config', 'path'], { cwd: s.cwd, env: s.env });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^error: Config file not found: .*nope\.json\nhint: check the path given to --config/);
    const env = await runCli(['config', 'path'], { cwd: s.cwd, env: { ...s.env, CACHECTL_CONFIG: 'gone.json' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/hint: check the path given to CACHECTL_CONFIG/);
  });
});

describe('paths in a config file mean paths next to it', () => {
  it('logs.dir (audit log) resolves against the config folder, not the working directory', async () => {
    const s = sandbox();
    s.write('flag', { logs: { dir: 'mylogs' } });
    expect(await usedBy(s, ['--config', s.places.flag])).toBe('flag');
    expect(readFileSync(path.join(path.dirname(s.places.flag), 'mylogs', 'audit.log'), 'utf8')).toMatch(/"command":"invalidate"/);
    expect(readdirSync(s.cwd)).toEqual([]);
  });

  it('without logs.dir, state goes to <config folder>/logs (./cachectl.config.json keeps ./logs)', async () => {
    const s = sandbox();
    s.write('system');
    expect(await usedBy(s)).toBe('system');
    expect(existsSync(path.join(path.dirname(s.places.system), 'logs', 'audit.log'))).toBe(true);
    expect(readdirSync(s.cwd)).toEqual([]);
    const here = sandbox();
    here.write('cwd');
    expect(await usedBy(here)).toBe('cwd');
    expect(existsSync(path.join(here.cwd, 'logs', 'audit.log'))).toBe(true);
  });

  it('maintenance.archive.dir and redis.tls.ca resolve against the config folder', () => {
    const s = sandbox();
    s.write('flag', { maintenance: { archive: { dir: 'archive' } }, redis: { tls: { ca: 'certs/ca.pem' } } });
    const config = loadConfig({ file: s.places.flag, cwd: s.cwd, env: s.env });
    const folder = path.dirname(s.places.flag);
    expect(config.maintenance.archive?.dir).toBe(path.join(folder, 'archive'));
    expect(config.redis.tls.ca).toBe(path.join(folder, 'certs', 'ca.pem'));
  });

  it("a context's tls.ca too, and it replaces redis.tls", () => {
    const s = sandbox();
    s.write('user', { redis: { tls: { ca: 'certs/ca.pem' } }, contexts: { staging: { url: 'rediss://127.0.0.1:1', tls: { ca: '../ca2.pem' } } } });
    const config = loadConfig({ cwd: s.cwd, env: s.env, context: 'staging' });
    const folder = path.dirname(s.places.user);
    expect(config.contexts.staging!.tls!.ca).toBe(path.resolve(folder, '../ca2.pem'));
    expect(config.redis.tls.ca).toBe(path.resolve(folder, '../ca2.pem'));
    expect(loadConfig({ cwd: s.cwd, env: s.env }).redis.tls.ca).toBe(path.join(folder, 'certs', 'ca.pem'));
  });
});

describe('no config file: state in $XDG_STATE_HOME/cachectl', () => {
  it('the audit log goes to $XDG_STATE_HOME/cachectl and nothing is written to the working directory', async () => {
    const s = sandbox();
    await connection.client.set(`${prefix}none:1`, 'v');
    const result = await runCli(['invalidate', 'pattern', `${prefix}none:*`, '--yes', '--redis-url', target.url], { cwd: s.cwd, env: s.env });
    expect(result.code, result.stderr).toBe(0);
    expect(await connection.client.exists(`${prefix}none:1`)).toBe(0);
    expect(readFileSync(path.join(s.env.XDG_STATE_HOME, 'cachectl', 'audit.log'), 'utf8')).toContain(`${prefix}none:*`);
    expect(readdirSync(s.cwd)).toEqual([]);
  });

  it('XDG_STATE_HOME unset means ~/.local/state/cachectl', async () => {
    const s = sandbox();
    await connection.client.set(`${prefix}none:2`, 'v');
    const result = await runCli(['invalidate', 'pattern', `${prefix}none:*`, '--yes', '--redis-url', target.url], {
      cwd: s.cwd,
      env: { ...s.env, XDG_STATE_HOME: '' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(path.join(s.home, '.local', 'state', 'cachectl', 'audit.log'))).toBe(true);
    expect(readdirSync(s.cwd)).toEqual([]);
  });
});
