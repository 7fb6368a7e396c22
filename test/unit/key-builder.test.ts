import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { compileRules, resolveEvent } from '../../src/core/invalidation/rules.js';
import { exactKeys } from '../../src/core/key-builder.js';
import { plan, type Target } from '../../src/core/plan.js';

const config = resolveConfig({
  tenants: ['acme', 'globex', 'acme'],
  families: {
    pair: { template: 'p:{a}:{b}' },
    twice: { template: '{a}|{a}:x' },
    braces: { template: 'h:{{{id}}}:é' },
    scanned: { template: 'tenant:{tenant}:s:{id}', scanTenants: true },
    context: { template: 'context:{storyId}*' },
    open: { template: 'o:{a}:{b}' },
    halves: { template: 's\uD83D{a}\uDE00' },
  },
  invalidation: {
    rules: [
      { event: 'e.pair', family: 'pair', map: { a: 'a', b: 'b' } },
      { event: 'conversation.correlated', family: ['convMapping', 'waMapping'], map: { conversationId: 'conversationId', waId: 'waId' } },
      { event: 'e.twice', family: 'twice', map: { a: 'a' } },
      { event: 'e.mix', family: ['braces', 'convMapping', 'scanned', 'context', 'open'], map: { id: 'id', conversationId: 'id', storyId: 'id', a: 'a' } },
    ],
  },
});

/** The keys as the planner built them before key builders: one Buffer per piece, concatenated, first occurrence kept. */
function reference(template: { parsed: { parts: Array<{ kind: string; text?: string; name?: string }> } }, bound: Record<string, string[]>): string[] {
  let keys: string[][] = [[]];
  for (const part of template.parsed.parts) {
    const options = part.kind === 'literal' ? [part.text!] : bound[part.name!]!;
    keys = keys.flatMap((prefix) => options.map((option) => [...prefix, option]));
  }
  return [...new Set(keys.map((chunks) => Buffer.concat(chunks.map((c) => Buffer.from(c, 'utf8'))).toString('latin1')))];
}

describe('exactKeys', () => {
  it.each<[string, Record<string, string[]>]>([
    ['pair', { a: ['1'], b: ['2'] }],
    ['pair', { a: ['x', 'y', 'z'], b: ['1', '2'] }],
    ['pair', { a: ['a:b', 'a'], b: ['c', 'b:c'] }],
    ['pair', { a: ['é☃', '\u{1F600}', '\uD800'], b: ['日本'] }],
    ['twice', { a: ['1', '2'] }],
    ['halves', { a: ['\uDE00', '\uD83D', 'x', '\uD83D\uDE00'] }],
    ['halves', { a: ['\uD83D'] }],
    ['pair', { a: ['\uD83D'], b: ['\uDE00x'] }],
    ['braces', { id: ['42', '43'] }],
    ['convMapping', { tenant: ['acme', 'globex', 'acme'], conversationId: ['c1'] }],
  ])('%s %j: the bytes, order and repeats of building piece by piece', (name, bound) => {
    const family = config.families[name]!;
    expect(exactKeys(family, bound).map((k) => k.toString('latin1'))).toEqual(reference(family, bound));
  });

  it('writes each key into its own bytes (no key shares or overwrites another)', () => {
    const keys = exactKeys(config.families.pair!, { a: ['1', '22'], b: ['333'] });
    keys[0]![0] = 0x58;
    expect(keys.map(String)).toEqual(['X:1:333', 'p:22:333']);
  });
});

describe('resolveEvent', () => {
  const events: Array<[string, Record<string, unknown>]> = [
    ['e.pair', { a: 'x', b: 7 }],
    ['e.pair', { a: ['x', 'y', 'x'], b: ['1', '2'] }],
    ['e.twice', { a: ['1', '2'] }],
    ['e.mix', { id: ['s1', 's2'], a: 'q' }],
    ['e.mix', { id: 'é', a: ['1', '2'] }],
    ['conversation.correlated', { conversationId: 'c1', waId: '+27820000001' }],
  ];

  it.each(events)('%s %j: the selections the planner makes of the same families and values', (type, data) => {
    const rules = compileRules(config).get(type)!;
    const targets: Target[] = rules.flatMap((rule) =>
      rule.targets.map((t) => ({
        kind: 'family' as const,
        family: t.family.name,
        values: Object.fromEntries(
          t.map.map(([placeholder, field]) => [placeholder, Array.isArray(data[field]) ? (data[field] as unknown[]).map(String) : String(data[field])]),
        ),
      })),
    );
    expect(resolveEvent(rules, data, config)).toEqual(plan(config, targets).selections);
  });

  it('builds exact families from the compiled template, and plans the others', () => {
    const shapes = compileRules(config)
      .get('e.mix')![0]!
      .targets.map((t) => [t.family.name, t.exact ?? null]);
    expect(shapes).toEqual([
      ['braces', { label: 'braces(id)', tenants: false }],
      ['convMapping', { label: 'convMapping(conversationId)', tenants: true }],
      ['scanned', null],
      ['context', null],
      ['open', null],
    ]);
  });
});
