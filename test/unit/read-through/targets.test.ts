// The reader's per-key memory of targets (family, settings, expiries, counters): resolved once per
// key, kept apart per `{ family }`, bypassed for `{ ttlSeconds }` and Buffer keys, bounded, and
// never remembering a refusal.
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

describe('read-through targets', () => {
  it('resolve a key once: family, settings, expiries as command text, the family counters', () => {
    const targets = targetsOf();
    const t = targets.of('tenant:acme:mapping:conv:c1', undefined);
    expect(t).toMatchObject({ family: 'convMapping', leaseMs: '2500', ttlMs: '600000', key: 'tenant:acme:mapping:conv:c1' });
    expect(t.bytes).toEqual(Buffer.from('tenant:acme:mapping:conv:c1'));
    expect(targets.of('tenant:acme:mapping:conv:c1', undefined)).toBe(t);
    expect(targets.of('tenant:acme:mapping:conv:c1', {})).toBe(t);
    expect(targets.size).toBe(1);
    t.counts.hits++;
    expect(targets.of('tenant:acme:mapping:conv:c2', undefined).counts).toBe(t.counts);
  });

  it('keep a key read as another family apart, and resolve per call with ttlSeconds or Buffer keys', () => {
    const targets = targetsOf();
    const own = targets.of('tenant:acme:mapping:conv:c1', undefined);
    const other = targets.of('tenant:acme:mapping:conv:c1', { family: 'anyMapping' });
    expect(other.family).toBe('anyMapping');
    expect(other.ttlMs).toBe('0');
    expect(targets.of('tenant:acme:mapping:conv:c1', { family: 'anyMapping' })).toBe(other);
    expect(targets.of('tenant:acme:mapping:conv:c1', undefined)).toBe(own);
    const short = targets.of('tenant:acme:mapping:conv:c1', { ttlSeconds: 1.5 });
    expect(short.ttlMs).toBe('1500');
    expect(targets.of('tenant:acme:mapping:conv:c1', { ttlSeconds: 1.5 })).not.toBe(short);
    const bytes = Buffer.from('tenant:acme:mapping:conv:c1');
    expect(targets.of(bytes, undefined).key).toBe(bytes);
    expect(targets.of(bytes, undefined).id).toBe(own.id);
    expect(targets.size).toBe(2);
  });

  it('forget everything at once when full', () => {
    const targets = targetsOf();
    for (let i = 0; i < TARGET_CACHE; i++) targets.of(`tenant:acme:mapping:conv:c${i}`, undefined);
    expect(targets.size).toBe(TARGET_CACHE);
    targets.of('tenant:acme:mapping:conv:one-more', undefined);
    expect(targets.size).toBe(1);
  });

  it('refuse the same key every time (a refusal is not remembered)', () => {
    const targets = targetsOf('acme');
    for (let i = 0; i < 2; i++) {
      expect(() => targets.of('tenant:globex:mapping:conv:c1', undefined)).toThrow(UsageError);
      expect(() => targets.of('tenant:acme:nothing:here', undefined)).toThrow(/belongs to no family/);
      expect(() => targets.of('tenant:acme:mapping:conv:c1', { family: 'nope' })).toThrow(/does not exist/);
      expect(() => targets.of('tenant:acme:mapping:conv:c1', { ttlSeconds: 0 })).toThrow(/ttlSeconds/);
    }
    expect(targets.size).toBe(0);
    expect(targets.of('tenant:acme:mapping:conv:c1', undefined).family).toBe('convMapping');
  });
});
