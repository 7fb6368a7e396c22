// A run without a config file takes the defaults validated at build time instead of loading the
// schema: the result must be exactly what the schema gives for the same flags and environment.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

const CASES: Array<[string, LoadConfigOptions]> = [
  ['nothing set', { cwd, env: {} }],
  ['REDIS_URL and REDIS_PASSWORD', { cwd, env: { REDIS_URL: 'redis://10.1.2.3:6380/2', REDIS_PASSWORD: 'pw' } }],
  ['flags over the environment', { cwd, env: { REDIS_URL: 'redis://a:1' }, overrides: { redis: { url: 'rediss://b:2', cluster: true, sentinelName: 'm' } } }],
  ['TLS flags', { cwd, env: {}, overrides: { redis: { tls: { ca: 'ca.pem', insecure: false } } } }],
  ['--tls-insecure alone', { cwd, env: {}, overrides: { redis: { tls: { insecure: true } } } }],
  ['USER_STATE_TTL', { cwd, env: { USER_STATE_TTL: '3600' } }],
  ['CACHE_TTL', { cwd, env: { CACHE_TTL: '60' } }],
];

describe('configuration without a config file', () => {
  it.each(CASES)('%s: same as the schema gives', (_name, options) => {
    expect(canSkipSchema(options)).toBe(true);
    expect(defaultsOnlyConfig(options)).toEqual(loadConfig(options));
  });

  it('a bad TTL variable is the same error', () => {
    const options = { cwd, env: { USER_STATE_TTL: '-5' } };
    expect(() => defaultsOnlyConfig(options)).toThrow(/USER_STATE_TTL must be a whole number/);
    expect(() => loadConfig(options)).toThrow(/USER_STATE_TTL must be a whole number/);
  });

  it.each<[string, LoadConfigOptions]>([
    ['a sentinel list', { cwd, env: {}, overrides: { redis: { sentinels: ['127.0.0.1:26379'] } } }],
    ['a connect timeout', { cwd, env: {}, overrides: { redis: { connectTimeoutMs: 0 } } }],
    ['a command timeout', { cwd, env: {}, overrides: { redis: { commandTimeoutMs: 5 } } }],
    ['tenants', { cwd, env: {}, overrides: { tenants: ['acme'] } }],
    ['an explicit file', { cwd, env: {}, file: 'missing.json' }],
  ])('%s goes through the schema', (_name, options) => {
    expect(canSkipSchema(options)).toBe(false);
    expect(defaultsOnlyConfig(options)).toBeUndefined();
  });

  it('a cachectl.config.json in the folder goes through the schema', () => {
    const folder = mkdtempSync(path.join(cwd, 'with-file-'));
    writeFileSync(path.join(folder, 'cachectl.config.json'), JSON.stringify({ namespace: 'x' }));
    expect(canSkipSchema({ cwd: folder, env: {} })).toBe(false);
    expect(loadConfig({ cwd: folder, env: {} }).namespace).toBe('x');
  });
});
