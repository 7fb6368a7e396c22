// The one "is this key protected?" decision: queue prefixes, cachectl's own namespace and the own
// keys configured outside it (custom stream names and the keys the listener keeps beside them),
// and a tenant restriction.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { KeyGuard } from '../../src/core/guard.js';

const key = (text: string) => Buffer.from(text, 'utf8');

describe('KeyGuard', () => {
  it('protects every key under a queue prefix and under the namespace, nothing else', () => {
    const guard = new KeyGuard(resolveConfig({ queues: { prefixes: ['bull', '{bull}'] } }));
    expect(guard.protection(key('bull:mail:wait'))).toBe('queue');
    expect(guard.protection(key('{bull}:mail:1'))).toBe('queue');
    expect(guard.protection(key('cachectl:maintenance:lock'))).toBe('own');
    expect(guard.protection(key('cachectl:invalidations:trimmed{cachectl:invalidations}'))).toBe('own');
    expect(guard.protection(key('bullish:x'))).toBeUndefined();
    expect(guard.protection(key('cachectlx'))).toBeUndefined();
    expect(guard.protection(key('context:S-1'))).toBeUndefined();
  });

  it('follows a custom namespace', () => {
    const guard = new KeyGuard(resolveConfig({ namespace: 'ops' }));
    expect(guard.protection(key('ops:maintenance:runs'))).toBe('own');
    expect(guard.protection(key('ops:invalidations:dead'))).toBe('own');
    expect(guard.protection(key('cachectl:maintenance:lock'))).toBeUndefined();
  });

  it('streams named outside the namespace: the streams and the keys kept beside them are own keys, exactly', () => {
    const guard = new KeyGuard(resolveConfig({ invalidation: { stream: 'events', deadLetterStream: 'events-dead' } }));
    for (const own of ['events', 'events-dead', 'events:trimmed{events}', 'events-dead:sources{events-dead}']) {
      expect(guard.protection(key(own)), own).toBe('own');
    }
    expect(guard.protection(key('events:other'))).toBeUndefined();
    expect(guard.protection(key('eventsx'))).toBeUndefined();
  });

  it('a tenant restriction leaves everything outside the tenant alone', () => {
    const guard = new KeyGuard(resolveConfig({}), { tenant: 'acme' });
    expect(guard.protection(key('tenant:acme:mapping:conv:1'))).toBeUndefined();
    expect(guard.protection(key('tenant:globex:mapping:conv:1'))).toBe('outside');
  });
});
