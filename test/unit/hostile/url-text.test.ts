// The server-URL reader: unencoded reserved characters in passwords, lenient %XX, masked display.
import { describe, expect, it } from 'vitest';
import { redact, registerSecret } from '../../../src/redact.js';
import { parseRedisUrl } from '../../../src/redis/options.js';
import { displayServerUrl, readUrl } from '../../../src/url-text.js';

describe('readUrl', () => {
  it('reads a password holding an unencoded / ? # @', () => {
    expect(parseRedisUrl('redis://app:Sl4sh/Secret-91@127.0.0.1:6390')).toMatchObject({
      host: '127.0.0.1',
      port: 6390,
      username: 'app',
      password: 'Sl4sh/Secret-91',
    });
    expect(parseRedisUrl('redis://u:1234/abcd@h')).toMatchObject({ host: 'h', port: 6379, password: '1234/abcd', db: 0 });
    expect(parseRedisUrl('redis://u:x?y#z@h:7/3')).toMatchObject({ host: 'h', port: 7, password: 'x?y#z', db: 3 });
    expect(parseRedisUrl('redis://:p@ss@[::1]:6379/3')).toMatchObject({ host: '::1', password: 'p@ss', db: 3 });
  });

  it('keeps the standard reading when it is valid', () => {
    expect(parseRedisUrl('rediss://user:p%40ss@cache.internal:6380/2')).toEqual({
      tls: true,
      host: 'cache.internal',
      port: 6380,
      username: 'user',
      password: 'p@ss',
      db: 2,
    });
  });

  it('decodes %XX leniently and keeps a stray %', () => {
    expect(readUrl('redis://u:50%25-%zz@h').parts.password).toBe('50%-%zz');
    expect(parseRedisUrl('redis://u:100%@h').password).toBe('100%');
  });
});

describe('messages never hold the URL as given', () => {
  const cases: Array<[string, RegExp]> = [
    ['redis://u:pa/ssw0rd', /port .* not a number/],
    ['redis://u:s3cr3t@h/notadb', /Invalid database/],
    ['redis://u:s3cr3t@h:99999', /Invalid port 99999/],
    ['redis://u:s3cr3t@', /no host/],
    ['redis://u:s3cr3t@h!st', /Invalid host/],
  ];
  for (const [url, message] of cases) {
    it(url, () => {
      let error: Error | undefined;
      try {
        parseRedisUrl(url);
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).toMatch(message);
      expect(error?.message).not.toMatch(/s3cr3t|ssw0rd/);
    });
  }

  it('drops the query and masks the password when displaying', () => {
    expect(displayServerUrl('redis://h:6379/1?password=X&user=y')).toBe('redis://h:6379/1');
    expect(displayServerUrl('redis://app:Sl4sh/Secret-91@h:1')).toBe('redis://app:***@h:1');
  });
});

describe('redact', () => {
  it('masks up to the last @ and stops at quotes', () => {
    expect(redact('url redis://a:b/c@d@h:1 ok')).toBe('url redis://a:***@h:1 ok');
    expect(redact('{"url":"redis://a:pw@h","mail":"x@y"}')).toBe('{"url":"redis://a:***@h","mail":"x@y"}');
  });

  it('survives a secret with a lone surrogate', () => {
    registerSecret('ab\ud800cd');
    expect(redact('x ab\ud800cd y')).toBe('x *** y');
    expect(redact('plain line')).toBe('plain line');
  });
});
