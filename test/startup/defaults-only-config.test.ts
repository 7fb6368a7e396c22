// A run without a config file takes the defaults validated at build time instead of loading the
// schema: the result must be exactly what the schema gives for the same flags and environment.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type * as DefaultsOnly from '../../src/config/defaults-only.js';
import type * as Load from '../../src/config/load.js';
import type { LoadConfigOptions } from '../../src/config/load.js';
import { ROOT } from '../helpers/cli.js';

// The built modules: the build writes the validated defaults next to them (npm test builds first).
const built = (file: string): Promise<unknown> => import(path.join(ROOT, 'dist/config', file));
const { canSkipSchema, defaultsOnlyConfig } = (await built('defaults-only.js')) as typeof DefaultsOnly;
const { loadConfig } = (await built('load.js')) as typeof Load;

const cwd = mkdtempSync(path.join(tmpdir(), 'cachectl-defaults-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

// Every place the lookup goes is inside the temporary folder (never the real ~/.config or /etc).
const home = path.join(cwd, 'home');
const systemFile = path.join(cwd, 'etc', 'config.json');
const lookup = { HOME: home, CACHECTL_SYSTEM_CONFIG: systemFile };

const CASES: Array<[string, LoadConfigOptions]> = [
  ['nothing set', { cwd, env: { ...lookup } }],
  ['REDIS_URL and REDIS_PASSWORD', { cwd, env: { ...lookup, REDIS_URL: 'redis://10.1.2.3:6380/2', REDIS_PASSWORD: 'pw' } }],
  [
    'flags over the environment',
    { cwd, env: { ...lookup, REDIS_URL: 'redis://a:1' }, overrides: { redis: { url: 'rediss://b:2', cluster: true, sentinelName: 'm' } } },
  ],
  ['TLS flags', { cwd, env: { ...lookup }, overrides: { redis: { tls: { ca: 'ca.pem', insecure: false } } } }],
  ['--tls-insecure alone', { cwd, env: { ...lookup }, overrides: { redis: { tls: { insecure: true } } } }],
  ['USER_STATE_TTL', { cwd, env: { ...lookup, USER_STATE_TTL: '3600' } }],
  ['CACHE_TTL', { cwd, env: { ...lookup, CACHE_TTL: '60' } }],
  ['XDG_STATE_HOME (logs and backups go there)', { cwd, env: { ...lookup, XDG_STATE_HOME: path.join(cwd, 'state') } }],
  ['a relative XDG_STATE_HOME (ignored, as the spec says)', { cwd, env: { ...lookup, XDG_STATE_HOME: 'state' } }],
  ['XDG_CONFIG_HOME without a cachectl file in it', { cwd, env: { ...lookup, XDG_CONFIG_HOME: path.join(cwd, 'empty-config') } }],
  ['an empty CACHECTL_CONFIG and CACHECTL_CONTEXT (unset)', { cwd, env: { ...lookup, CACHECTL_CONFIG: '', CACHECTL_CONTEXT: '' } }],
];

describe('configuration without a config file', () => {
  it.each(CASES)('%s: same as the schema gives', (_name, options) => {
    expect(canSkipSchema(options)).toBe(true);
    expect(defaultsOnlyConfig(options)).toEqual(loadConfig(options));
  });

  it('state goes to $XDG_STATE_HOME/cachectl, else ~/.local/state/cachectl — never the working folder', () => {
    const state = path.join(cwd, 'state');
    expect(defaultsOnlyConfig({ cwd, env: { ...lookup, XDG_STATE_HOME: state } })?.logs.dir).toBe(path.join(state, 'cachectl'));
    expect(defaultsOnlyConfig({ cwd, env: { ...lookup } })?.logs.dir).toBe(path.join(home, '.local', 'state', 'cachectl'));
    expect(defaultsOnlyConfig({ cwd, env: { ...lookup } })?.location?.searched.map((c) => c.source)).toEqual(['cwd', 'user', 'system']);
  });

  it('a bad TTL variable is the same error', () => {
    const options = { cwd, env: { USER_STATE_TTL: '-5' } };
    expect(() => defaultsOnlyConfig(options)).toThrow(/USER_STATE_TTL must be a whole number/);
    expect(() => loadConfig(options)).toThrow(/USER_STATE_TTL must be a whole number/);
  });

  it.each<[string, LoadConfigOptions]>([
    ['a sentinel list', { cwd, env: { ...lookup }, overrides: { redis: { sentinels: ['127.0.0.1:26379'] } } }],
    ['a connect timeout', { cwd, env: { ...lookup }, overrides: { redis: { connectTimeoutMs: 0 } } }],
    ['a command timeout', { cwd, env: { ...lookup }, overrides: { redis: { commandTimeoutMs: 5 } } }],
    ['tenants', { cwd, env: { ...lookup }, overrides: { tenants: ['acme'] } }],
    ['an explicit file', { cwd, env: { ...lookup }, file: 'missing.json' }],
    ['CACHECTL_CONFIG naming a missing file', { cwd, env: { ...lookup, CACHECTL_CONFIG: 'missing.json' } }],
    ['--context (a context needs a file)', { cwd, env: { ...lookup }, context: 'staging' }],
    ['CACHECTL_CONTEXT', { cwd, env: { ...lookup, CACHECTL_CONTEXT: 'staging' } }],
  ])('%s goes through the schema', (_name, options) => {
    expect(canSkipSchema(options)).toBe(false);
    expect(defaultsOnlyConfig(options)).toBeUndefined();
  });

  it('a cachectl.config.json in the folder goes through the schema', () => {
    const folder = mkdtempSync(path.join(cwd, 'with-file-'));
    writeFileSync(path.join(folder, 'cachectl.config.json'), JSON.stringify({ namespace: 'x' }));
    expect(canSkipSchema({ cwd: folder, env: { ...lookup } })).toBe(false);
    expect(loadConfig({ cwd: folder, env: { ...lookup } }).namespace).toBe('x');
  });

  it.each<[string, (dir: string) => { file: string; env: NodeJS.ProcessEnv }]>([
    ['$XDG_CONFIG_HOME/cachectl/config.json', (dir) => ({ file: path.join(dir, 'cachectl', 'config.json'), env: { ...lookup, XDG_CONFIG_HOME: dir } })],
    ['~/.config/cachectl/config.json', (dir) => ({ file: path.join(dir, '.config', 'cachectl', 'config.json'), env: { ...lookup, HOME: dir } })],
    [
      'the system file (CACHECTL_SYSTEM_CONFIG)',
      (dir) => ({ file: path.join(dir, 'system.json'), env: { ...lookup, CACHECTL_SYSTEM_CONFIG: path.join(dir, 'system.json') } }),
    ],
  ])('a file found at %s goes through the schema, its paths next to it', (_name, place) => {
    const dir = mkdtempSync(path.join(cwd, 'found-'));
    const { file, env } = place(dir);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ namespace: 'found', logs: { dir: 'my-logs' } }));
    expect(canSkipSchema({ cwd, env })).toBe(false);
    expect(defaultsOnlyConfig({ cwd, env })).toBeUndefined();
    const loaded = loadConfig({ cwd, env });
    expect([loaded.namespace, loaded.source, loaded.logs.dir]).toEqual(['found', file, path.join(path.dirname(file), 'my-logs')]);
  });
});
