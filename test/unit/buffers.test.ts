// Byte-string helpers shared by the clearing, backup and invalidation passes: binary-safe.
import { describe, expect, it } from 'vitest';
import { commonPrefix, uniqueBuffers } from '../../src/core/buffers.js';

const b = (text: string) => Buffer.from(text, 'latin1');

describe('uniqueBuffers', () => {
  it('keeps the first of each distinct byte string, in order', () => {
    const out = uniqueBuffers([b('a'), b('b'), b('a'), b('\xff\x00'), b('\xff\x00'), b('c')]);
    expect(out.map((x) => x.toString('latin1'))).toEqual(['a', 'b', '\xff\x00', 'c']);
  });

  it('tells apart byte strings that decode to the same UTF-8 text', () => {
    // Two different invalid UTF-8 sequences both decode to U+FFFD: they are different keys.
    expect(uniqueBuffers([Buffer.from([0xc3]), Buffer.from([0xff])])).toHaveLength(2);
  });
});

describe('commonPrefix', () => {
  it('is the longest byte string all values start with', () => {
    expect(commonPrefix([b('user:1'), b('user:22'), b('user:')]).toString()).toBe('user:');
    expect(commonPrefix([b('abc'), b('xyz')]).length).toBe(0);
    expect(commonPrefix([b('same')]).toString()).toBe('same');
    expect(commonPrefix([]).length).toBe(0);
  });
});
