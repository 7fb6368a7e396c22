import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeGlob, globMatch } from '../../../src/core/glob.js';
import { analyse, PatternIndex } from '../../../src/core/invalidation/pattern-index.js';

const b = (s: string): Buffer => Buffer.from(s);

describe('analyse', () => {
  it.each([
    ['context:S1*', 'context:S1', '', 'prefix'],
    ['context:S1**', 'context:S1', '', 'prefix'],
    ['*:mapping:conv:abc', '', ':mapping:conv:abc', 'suffix'],
    ['tenant:*:mapping:conv:abc', 'tenant:', ':mapping:conv:abc', 'glob'],
    ['plain:key', 'plain:key', '', 'exact'],
    ['a\\*b*', 'a*b', '', 'prefix'],
    ['a?c', 'a', 'c', 'glob'],
    ['a[bc]d*', 'a', '', 'glob'],
    ['x*y*', 'x', '', 'glob'],
  ])('%s → prefix %s, suffix %s, %s', (pattern, prefix, suffix, shape) => {
    const result = analyse(b(pattern));
    expect(result.prefix.toString()).toBe(prefix);
    expect(result.suffix.toString()).toBe(suffix);
    expect(result.shape).toBe(shape);
  });
});

describe('PatternIndex', () => {
  it('finds the pattern a key matches, by prefix, suffix or full glob', () => {
    const index = new PatternIndex([b('context:S1*'), b('tenant:*:mapping:conv:abc'), b('chats:dev-1:*'), b('x?z'), b('exact:key')]);
    expect(index.match(b('context:S1'))).toBe(0);
    expect(index.match(b('context:S1:summary'))).toBe(0);
    expect(index.match(b('context:S2'))).toBe(-1);
    expect(index.match(b('tenant:acme:mapping:conv:abc'))).toBe(1);
    expect(index.match(b('tenant:acme:mapping:conv:abcd'))).toBe(-1);
    expect(index.match(b('tenant:acme:mapping:wa:abc'))).toBe(-1);
    expect(index.match(b('chats:dev-1:chat-9'))).toBe(2);
    expect(index.match(b('chats:dev-10:chat-9'))).toBe(-1);
    expect(index.match(b('xyz'))).toBe(3);
    expect(index.match(b('exact:key'))).toBe(4);
    expect(index.match(b('exact:key2'))).toBe(-1);
  });

  it('offers the shared literal prefix as a SCAN MATCH filter', () => {
    expect(new PatternIndex([b('context:S1*'), b('context:S22*')]).commonPrefix.toString()).toBe('context:S');
    expect(new PatternIndex([b('context:S1*'), b('chats:d*')]).commonPrefix.toString()).toBe('c');
    expect(new PatternIndex([b('context:S1*'), b('*:x')]).commonPrefix.length).toBe(0);
  });

  it('treats escaped values literally (a story id of "*" matches only itself)', () => {
    const index = new PatternIndex([Buffer.concat([b('context:'), escapeGlob('*'), b('*')])]);
    expect(index.match(b('context:*'))).toBe(0);
    expect(index.match(b('context:*:x'))).toBe(0);
    expect(index.match(b('context:abc'))).toBe(-1);
  });

  it('agrees with globMatch against every pattern (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', ':', '*', '?', '[', ']', '\\', '-', '^');
    const pattern = fc.array(alphabet, { maxLength: 8 }).map((chars) => chars.join(''));
    const key = fc.array(fc.constantFrom('a', 'b', ':', '*', '-', '['), { maxLength: 8 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 6 }), fc.array(key, { maxLength: 20 }), (patterns, keys) => {
        const buffers = patterns.map(b);
        const index = new PatternIndex(buffers);
        for (const k of keys) {
          const hit = index.match(b(k));
          const any = buffers.some((p) => globMatch(p, k));
          expect(hit >= 0).toBe(any);
          if (hit >= 0) expect(globMatch(buffers[hit]!, k)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('costs the same per key for 10 or 2,000 patterns of one family', () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => b(`tenant:acme:mapping:conv:${(i * 7919).toString(16)}`));
    const time = (n: number): number => {
      const index = new PatternIndex(Array.from({ length: n }, (_, i) => b(`tenant:*:mapping:conv:${(i * 104729).toString(16)}x`)));
      const start = performance.now();
      for (let round = 0; round < 3; round++) for (const k of keys) index.match(k);
      return performance.now() - start;
    };
    time(10); // warm up
    const few = time(10);
    const many = time(2000);
    // A per-pattern loop would be ~200× slower; allow generous noise for a shared machine.
    expect(many).toBeLessThan(few * 10 + 50);
  });
});
