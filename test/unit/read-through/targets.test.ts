// How a reader resolves keys to profiles (family, settings, expiries, counters): one profile per
// family and TTL, keys remembered only when kept (after a hit), apart per `{ family }`, never for
// `{ ttlSeconds }` or Buffer keys, bounded, and never remembering a refusal.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/load.js';
import { ReadCounters } from '../../../src/core/read-through/counters.js';
import { TARGET_CACHE, Targets } from '../../../src/core/read-through/target.js';
import { UsageError } from '../../../src/errors.js';

const config = resolveConfig({
  families: {
    convMapping: { template: 'tenant:{tenant}:mapping:conv:{conversationId}', ttlSeconds: 600, readThrough: { leaseMs: 2500 } },
    anyMapping: { template: 'tenant:{tenant}:mapping:{rest}' },
  },
});
const targetsOf = (tenant?: string) => new Targets(config, new ReadCounters(), tenant);
const KEY = 'tenant:acme:mapping:conv:c1';

describe('read-through targets', () => {
  it('resolve keys of a family (and TTL) to one shared profile, with expiries as command text', () => {
    const targets = targetsOf();
    const p = targets.resolve(KEY, undefined);
    expect(p).toMatchObject({ family: 'convMapping', leaseMs: '2500', ttlMs: '600000' });
    expect(targets.resolve('tenant:acme:mapping:conv:c2', undefined)).toBe(p);
    expect(targets.resolve(Buffer.from(KEY), undefined)).toBe(p);
    const short = targets.resolve(KEY, { ttlSeconds: 1.5 });
    expect(short).toMatchObject({ family: 'convMapping', ttlMs: '1500' });
    expect(short.counts).toBe(p.counts);
    expect(targets.resolve(KEY, { family: 'anyMapping' })).toMatchObject({ family: 'anyMapping', ttlMs: '0', leaseMs: '10000' });
  });

  it('remember a key only once kept, apart per { family }, never with ttlSeconds or for Buffer keys', () => {
    const targets = targetsOf();
    expect(targets.cached(KEY, undefined)).toBeUndefined();
    const p = targets.resolve(KEY, undefined);
    expect(targets.cached(KEY, undefined)).toBeUndefined();
    targets.keep(KEY, undefined, p);
    expect(targets.cached(KEY, undefined)).toBe(p);
    expect(targets.cached(KEY, {})).toBe(p);
    expect(targets.cached(KEY, { family: 'anyMapping' })).toBeUndefined();
    const other = targets.resolve(KEY, { family: 'anyMapping' });
    targets.keep(KEY, { family: 'anyMapping' }, other);
    expect(targets.cached(KEY, { family: 'anyMapping' })).toBe(other);
    expect(targets.cached(KEY, undefined)).toBe(p);
    targets.keep(KEY, { ttlSeconds: 5 }, p);
    expect(targets.cached(KEY, { ttlSeconds: 5 })).toBeUndefined();
    targets.keep(Buffer.from('tenant:acme:mapping:conv:c9'), undefined, p);
    expect(targets.cached(Buffer.from('tenant:acme:mapping:conv:c9'), undefined)).toBeUndefined();
    targets.keep(KEY, undefined, p);
    expect(targets.size).toBe(2);
  });

  it('forget everything at once when full', () => {
    const targets = targetsOf();
    const p = targets.resolve(KEY, undefined);
    for (let i = 0; i < TARGET_CACHE; i++) targets.keep(`tenant:acme:mapping:conv:c${i}`, undefined, p);
    expect(targets.size).toBe(TARGET_CACHE);
    expect(targets.cached('tenant:acme:mapping:conv:c0', undefined)).toBe(p);
    targets.keep('tenant:acme:mapping:conv:one-more', undefined, p);
    expect(targets.size).toBe(1);
    expect(targets.cached('tenant:acme:mapping:conv:c0', undefined)).toBeUndefined();
  });

  it('refuse keys a reader may not read, every time', () => {
    const targets = targetsOf('acme');
    for (let i = 0; i < 2; i++) {
      expect(() => targets.resolve('tenant:globex:mapping:conv:c1', undefined)).toThrow(UsageError);
      expect(() => targets.resolve('tenant:acme:nothing:here', undefined)).toThrow(/belongs to no family/);
      expect(() => targets.resolve(KEY, { family: 'nope' })).toThrow(/does not exist/);
      expect(() => targets.resolve(KEY, { ttlSeconds: 0 })).toThrow(/ttlSeconds/);
    }
    expect(targets.size).toBe(0);
    expect(targets.resolve(KEY, undefined).family).toBe('convMapping');
  });
});
