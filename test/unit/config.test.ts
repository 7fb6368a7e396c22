import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  return file;
}

describe('loadConfig', () => {
  it('uses defaults with no file', () => {
    const config = loadConfig({ cwd: dir, env: {} });
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(Object.keys(config.families)).toEqual(['userState', 'convMapping', 'waMapping', 'chatList', 'context']);
    expect(config.tenants).toEqual(['default']);
    expect(config.queues.prefixes).toEqual(['bull']);
  });

  it('applies flags > env > file', () => {
    const file = write('prec.json', JSON.stringify({ redis: { url: 'redis://file:1' } }));
    expect(loadConfig({ file, env: {} }).redis.url).toBe('redis://file:1');
    expect(loadConfig({ file, env: { REDIS_URL: 'redis://env:2' } }).redis.url).toBe('redis://env:2');
    expect(loadConfig({ file, env: { REDIS_URL: 'redis://env:2' }, overrides: { redis: { url: 'redis://flag:3' } } }).redis.url).toBe('redis://flag:3');
  });

  it('merges families by name and removes one with false', () => {
    const file = write('fam.json', JSON.stringify({ families: { chatList: false, sessions: { template: 'session:{id}' } } }));
    const config = loadConfig({ file, env: {} });
    expect(config.families.chatList).toBeUndefined();
    expect(config.families.sessions?.parsed.placeholders).toEqual(['id']);
  });

  it.each([
    ['{ not json', /not valid JSON/],
    ['[]', /must hold a JSON object/],
    [JSON.stringify({ redis: { connectTimeoutMs: -5 } }), /redis\.connectTimeoutMs/],
    [JSON.stringify({ familes: {} }), /Unrecognized key/],
    [JSON.stringify({ families: { x: { template: 'x:{a' } } }), /families\.x\.template: unclosed/],
    [JSON.stringify({ families: { x: { template: 'x:{a}', user: 'b' } } }), /families\.x\.user/],
    [JSON.stringify({ tenants: ['a*'] }), /tenants\.0/],
  ])('rejects %s naming the field', (body, message) => {
    const file = write('bad.json', body);
    let caught: unknown;
    try {
      loadConfig({ file, env: {} });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toMatch(message);
  });

  it('the shipped example config is valid and names every section', () => {
    const config = loadConfig({ file: path.resolve(__dirname, '../../cachectl.config.example.json'), env: {} });
    expect(Object.keys(config.families)).toContain('sessions');
    expect(config.tenants).toEqual(['acme', 'globex', 'default']);
    expect(config.invalidation.rules?.length).toBeGreaterThan(0);
  });

  it('a missing explicit file is an error, a missing default file is not', () => {
    expect(() => loadConfig({ file: path.join(dir, 'nope.json'), env: {} })).toThrow(/not found/);
    expect(() => loadConfig({ cwd: dir, env: {} })).not.toThrow();
  });
});
