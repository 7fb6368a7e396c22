import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../../src/config/template.js';

describe('parseTemplate', () => {
  it('splits literals and placeholders', () => {
    const t = parseTemplate('tenant:{tenant}:mapping:conv:{conversationId}');
    expect(t.placeholders).toEqual(['tenant', 'conversationId']);
    expect(t.prefix).toBe(false);
    expect(t.parts[0]).toEqual({ kind: 'literal', text: 'tenant:' });
  });

  it('reads a trailing * as a prefix family', () => {
    const t = parseTemplate('context:{storyId}*');
    expect(t.prefix).toBe(true);
    expect(t.placeholders).toEqual(['storyId']);
  });

  it('allows literal braces for hash tags', () => {
    const t = parseTemplate('{{app}}:session:{id}');
    expect(t.parts[0]).toEqual({ kind: 'literal', text: '{app}:session:' });
  });

  it.each([
    ['', /empty/],
    ['user:{phone', /unclosed/],
    ['user:{ph one}', /invalid placeholder/],
    ['user:*:x', /trailing/],
    ['a}b', /unmatched/],
    ['{a}{b}', /separated/],
    ['{only}', /literal text/],
  ])('rejects %j', (source, message) => {
    expect(() => parseTemplate(source)).toThrow(message);
  });
});
