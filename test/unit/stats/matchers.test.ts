import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/load.js';
import { buildMatchers, escapeLuaPattern, familyLuaPattern, matcherArgs } from '../../../src/core/stats/matchers.js';

const config = resolveConfig({
  families: {
    magic: { template: 'a.b%c-{x}(y)+^$' },
    braces: { template: 'x:{{tag}}:{id}' },
    open: { template: '{tenant}:profile' },
  },
});
const fam = (name: string) => config.families[name]!;
const text = (b: Buffer) => b.toString('latin1');

describe('Lua patterns of families', () => {
  it('turn a template with a trailing placeholder into an anchored prefix', () => {
    const p = familyLuaPattern(fam('userState'));
    expect(text(p.pattern)).toBe('^user:state:');
    expect(text(p.first)).toBe('u');
  });

  it('keep inner placeholders as lazy .- and anchor the end when the template ends in a literal', () => {
    expect(text(familyLuaPattern(fam('convMapping')).pattern)).toBe('^tenant:.-:mapping:conv:');
    expect(text(familyLuaPattern(fam('open')).pattern)).toBe('^.-:profile$');
    expect(text(familyLuaPattern(fam('open')).first)).toBe('');
  });

  it('treat a prefix family (trailing *) as open-ended', () => {
    expect(text(familyLuaPattern(fam('context')).pattern)).toBe('^context:');
  });

  it('escape every Lua magic character and literal braces', () => {
    expect(text(familyLuaPattern(fam('magic')).pattern)).toBe('^a%.b%%c%-.-%(y%)%+%^%$$');
    expect(text(familyLuaPattern(fam('braces')).pattern)).toBe('^x:{tag}:');
  });

  it('escape NUL as %z and leave other bytes alone', () => {
    expect([...escapeLuaPattern(Buffer.from([0x61, 0x00, 0xff]))]).toEqual([0x61, 0x25, 0x7a, 0xff]);
  });
});

describe('matcher list', () => {
  it('puts queue prefixes first (group 0) and numbers families in config order', () => {
    const families = Object.values(config.families);
    const matchers = buildMatchers(families, ['bull', '{bull}', 'bull']);
    expect(matchers.slice(0, 2).map((m) => [m.group, text(m.pattern)])).toEqual([
      [0, '^bull:'],
      [0, '^{bull}:'],
    ]);
    expect(matchers.slice(2).map((m) => m.group)).toEqual(families.map((_, i) => i + 1));
    const args = matcherArgs(matchers);
    expect(args[0]).toBe(String(matchers.length));
    expect(args).toHaveLength(1 + 3 * matchers.length);
  });
});
