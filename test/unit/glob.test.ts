import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeGlob, globMatch, hasWildcard, literalPrefix } from '../../src/core/glob.js';

describe('globMatch follows Redis stringmatchlen', () => {
  it.each([
    ['user:*', 'user:state:1', true],
    ['user:*', 'users:1', false],
    ['h?llo', 'hello', true],
    ['h?llo', 'hllo', false],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-c]llo', 'hbllo', true],
    ['h[a-c]llo', 'hdllo', false],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['*', '', true],
    ['', '', true],
    ['x', '', false],
    ['**x', 'abx', true],
  ])('%s ~ %s → %s', (pattern, key, expected) => {
    expect(globMatch(pattern, key)).toBe(expected);
  });
});

describe('escapeGlob', () => {
  it('escapes every metacharacter so a value of "*" is the literal star', () => {
    expect(escapeGlob('*').toString()).toBe('\\*');
    expect(escapeGlob('a[b]?\\c').toString()).toBe('a\\[b\\]\\?\\\\c');
    expect(globMatch(escapeGlob('*'), '*')).toBe(true);
    expect(globMatch(escapeGlob('*'), 'anything')).toBe(false);
  });

  it('keeps binary bytes as they are', () => {
    const value = Buffer.from([0x00, 0xff, 0x2a, 0x80]);
    expect([...escapeGlob(value)]).toEqual([0x00, 0xff, 0x5c, 0x2a, 0x80]);
  });

  it('an escaped value matches itself and only itself (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), fc.uint8Array({ maxLength: 24 }), (a, b) => {
        const value = Buffer.from(a);
        const other = Buffer.from(b);
        const pattern = escapeGlob(value);
        expect(globMatch(pattern, value)).toBe(true);
        expect(globMatch(pattern, other)).toBe(value.equals(other));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('pattern helpers', () => {
  it('hasWildcard ignores escaped characters', () => {
    expect(hasWildcard('a:*')).toBe(true);
    expect(hasWildcard('a:\\*')).toBe(false);
    expect(hasWildcard('a:[bc]')).toBe(true);
  });

  it('literalPrefix stops at the first real wildcard', () => {
    expect(literalPrefix('context:abc*').toString()).toBe('context:abc');
    expect(literalPrefix('a\\*b*').toString()).toBe('a*b');
    expect(literalPrefix('*x').toString()).toBe('');
  });
});
