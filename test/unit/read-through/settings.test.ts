// The per-family read-through settings: validated with the config, defaults applied by the reader,
// and lease markers told apart from values.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/load.js';
import { readThroughSchema } from '../../../src/config/schema.js';
import { isLease, LEASE_MARKER, LEASE_PREFIX, leaseSource, looksLikeLease } from '../../../src/core/read-through/lease.js';
import { jsonCodec } from '../../../src/core/read-through/codec.js';

const withReadThrough = (readThrough: unknown) =>
  resolveConfig({ families: { convMapping: { template: 'tenant:{tenant}:mapping:conv:{conversationId}', readThrough } } as never });

describe('readThrough settings', () => {
  it('accepts the documented fields and fills in defaults', () => {
    expect(withReadThrough({ leaseMs: 5000 }).families.convMapping!.readThrough).toEqual({ leases: true, leaseMs: 5000, waitMs: 1000 });
    expect(readThroughSchema.parse({})).toEqual({ leases: true, leaseMs: 10_000, waitMs: 1000 });
    expect(withReadThrough(undefined).families.convMapping!.readThrough).toBeUndefined();
  });

  it('rejects unknown fields and bad numbers, naming the field', () => {
    expect(() => withReadThrough({ lease: true })).toThrow(/readThrough/);
    expect(() => withReadThrough({ leaseMs: 0 })).toThrow(/leaseMs/);
    expect(() => withReadThrough({ waitMs: -1 })).toThrow(/waitMs/);
  });
});

describe('lease markers', () => {
  it('are unique, recognised, and never confused with text or JSON values', () => {
    const next = leaseSource();
    const a = next();
    const b = next();
    expect(a).not.toBe(b);
    expect(isLease(Buffer.from(a))).toBe(true);
    expect(isLease(Buffer.from(leaseSource()()))).toBe(true);
    expect(leaseSource()()).not.toBe(a);
    expect(isLease(Buffer.from(JSON.stringify(jsonCodec().encode({ x: 1 }))))).toBe(false);
    expect(isLease(Buffer.from('cachectl-lease:abc'))).toBe(false);
    expect(isLease(Buffer.alloc(0))).toBe(false);
  });

  it('are the marker text, stored as its UTF-8 bytes, and loaded values that would read back as one are caught', () => {
    expect(LEASE_PREFIX).toEqual(Buffer.from([0x00, 0xef, 0xbf, 0xbf, ...Buffer.from('cachectl-lease:')]));
    expect(leaseSource()().startsWith(LEASE_MARKER)).toBe(true);
    expect(looksLikeLease(`${LEASE_MARKER}x`)).toBe(true);
    expect(looksLikeLease(Buffer.from(`${LEASE_MARKER}x`))).toBe(true);
    expect(looksLikeLease(LEASE_MARKER.slice(0, -1))).toBe(false);
    expect(looksLikeLease('\u0000text')).toBe(false);
    expect(looksLikeLease(Buffer.from([0x00, 0xef, 0xbf]))).toBe(false);
    expect(isLease(Buffer.from([0x00, 0xef, 0xbf, 0xbe, ...Buffer.from('cachectl-lease:x')]))).toBe(false);
  });
});
