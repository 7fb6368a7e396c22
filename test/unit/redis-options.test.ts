import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { displayUrl, redact, registerSecret } from '../../src/redact.js';
import { parseHostList, parseRedisUrl } from '../../src/redis/options.js';

describe('parseRedisUrl', () => {
  it('reads TLS, credentials and db', () => {
    expect(parseRedisUrl('rediss://app:p%40ss@cache.internal:6380/2')).toEqual({
      tls: true,
      host: 'cache.internal',
      port: 6380,
      username: 'app',
      password: 'p@ss',
      db: 2,
    });
    expect(parseRedisUrl('redis://localhost').port).toBe(6379);
  });

  it.each(['not a url', 'http://host:6379', 'redis://host:99999', 'redis://host:6379/abc', 'redis://:6379'])('rejects %s without echoing secrets', (url) => {
    expect(() => parseRedisUrl(url)).toThrow(UsageError);
  });

  it('never puts the password in the error', () => {
    try {
      parseRedisUrl('redis://u:topsecret@host:6379/x');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('topsecret');
    }
  });
});

describe('parseHostList', () => {
  it('parses sentinel lists', () => {
    expect(parseHostList('10.0.0.1:26379, [::1]:26380')).toEqual([
      { host: '10.0.0.1', port: 26379 },
      { host: '::1', port: 26380 },
    ]);
  });
  it('rejects bad entries', () => {
    expect(() => parseHostList('a:b')).toThrow(UsageError);
    expect(() => parseHostList('')).toThrow(UsageError);
  });
});

describe('redaction', () => {
  it('masks URL passwords and registered secrets', () => {
    expect(displayUrl('redis://u:pw123@h:1/0')).toBe('redis://u:***@h:1/0');
    registerSecret('s3cr3t-value');
    expect(redact('auth s3cr3t-value failed; url redis://x:y@z')).toBe('auth *** failed; url redis://x:***@z');
  });
});
