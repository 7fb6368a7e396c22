import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { FamilyMatcher, familyPattern, selectFamily } from '../../src/core/families.js';
import { globMatch } from '../../src/core/glob.js';

const config = resolveConfig({ tenants: ['acme', 'globex'] });
const fam = (name: string) => config.families[name]!;
const opts = { tenants: config.tenants };

describe('selectFamily', () => {
  it('gives exact keys in every configured tenant (default included) when only the id is bound', () => {
    const [sel] = selectFamily(fam('convMapping'), { conversationId: 'abc-123' }, opts);
    expect(sel!.kind).toBe('exact');
    const keys = sel!.kind === 'exact' ? sel!.keys.map(String) : [];
    expect(keys.sort()).toEqual(['tenant:acme:mapping:conv:abc-123', 'tenant:default:mapping:conv:abc-123', 'tenant:globex:mapping:conv:abc-123']);
  });

  it('falls back to a tenant wildcard pattern when no tenants are configured or scanning is asked', () => {
    const bare = resolveConfig({});
    const [a] = selectFamily(bare.families.convMapping!, { conversationId: 'abc' }, { tenants: bare.tenants });
    expect(a!.kind === 'pattern' && a!.pattern.toString()).toBe('tenant:*:mapping:conv:abc');
    const [b] = selectFamily(fam('convMapping'), { conversationId: 'abc' }, { ...opts, scanTenants: true });
    expect(b!.kind === 'pattern' && b!.pattern.toString()).toBe('tenant:*:mapping:conv:abc');
  });

  it('escapes user values: "*" selects the literal key only', () => {
    const [sel] = selectFamily(fam('context'), { storyId: '*' }, opts);
    expect(sel!.kind).toBe('pattern');
    const pattern = sel!.kind === 'pattern' ? sel!.pattern : Buffer.alloc(0);
    expect(pattern.toString()).toBe('context:\\**');
    expect(globMatch(pattern, 'context:*')).toBe(true);
    expect(globMatch(pattern, 'context:*:v2')).toBe(true);
    expect(globMatch(pattern, 'context:STORY-1')).toBe(false);
  });

  it('makes one pattern per combination of several values', () => {
    const sels = selectFamily(fam('context'), { storyId: ['a', 'b'] }, opts);
    expect(sels.map((s) => (s.kind === 'pattern' ? s.pattern.toString() : ''))).toEqual(['context:a*', 'context:b*']);
  });

  it('rejects unknown placeholders and empty values', () => {
    expect(() => selectFamily(fam('userState'), { nope: 'x' }, opts)).toThrow(/no placeholder "nope"/);
    expect(() => selectFamily(fam('userState'), { phone: '' }, opts)).toThrow(/Empty value/);
  });

  it('whole-family pattern has every placeholder open', () => {
    expect(familyPattern(fam('chatList')).toString()).toBe('chats:*:*');
    expect(familyPattern(fam('context')).toString()).toBe('context:*');
  });
});

describe('FamilyMatcher', () => {
  const matcher = new FamilyMatcher(Object.values(config.families));

  it('names the family of a key, or none', () => {
    expect(matcher.familyOf(Buffer.from('user:state:27821234567'))).toBe('userState');
    expect(matcher.familyOf(Buffer.from('tenant:acme:mapping:wa:+2782'))).toBe('waMapping');
    expect(matcher.familyOf(Buffer.from('context:STORY-1:summary'))).toBe('context');
    expect(matcher.familyOf(Buffer.from('random:key'))).toBeUndefined();
  });
});
