// Pure parts of the clearing engine and commands: breadth and safety, placeholder flags, phone
// normalization, slot hashing, COUNT tuning, budget and rate pacing.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { CountTuner } from '../../src/core/keyspace/count-tuner.js';
import { Budget, Pacer } from '../../src/core/keyspace/pacing.js';
import { clearAllSpec } from '../../src/core/operations/clear-all.js';
import { clearOldSpec } from '../../src/core/operations/clear-old.js';
import { plan, type Plan } from '../../src/core/plan.js';
import { assessPlan, patternBreadth } from '../../src/core/safety/assess.js';
import type { Condition } from '../../src/core/selection.js';
import type { Estimate } from '../../src/core/safety/estimate.js';
import { normalizeUser, userForms } from '../../src/core/phone.js';
import { keySlot } from '../../src/redis/topology.js';
import { parsePlaceholderArgs } from '../../src/cli/placeholder-args.js';

const config = resolveConfig({ tenants: ['acme', 'globex'], safety: { confirmAbove: 5 } });

describe('pattern breadth and the safety assessment', () => {
  it('classifies patterns', () => {
    for (const p of ['*', '**', '?', '?*', '[a-z]*', '*?*']) expect(patternBreadth(p), p).toBe('everything');
    for (const p of ['a*', '*:x', 'ab*', '?user:*', '[ab]c*']) expect(patternBreadth(p), p).toBe('broad');
    for (const p of ['user:*', 'abc*', 'context:STORY-1*', 'tenant:*:mapping:conv:x', '\\*\\*\\**']) expect(patternBreadth(p), p).toBe('narrow');
  });

  it('asks for broad patterns and large selections, insists on --yes for everything-patterns', () => {
    const pattern = (glob: string): Plan => plan(config, [{ kind: 'pattern', pattern: glob }]);
    const counted = (keys: number): Estimate => ({ keys, method: 'counted', sampled: 100, total: 100, upper: keys });
    expect(assessPlan(pattern('user:state:*'), counted(3), { confirmAbove: 5 })).toMatchObject({ confirm: false, requireYes: false, reasons: [] });
    expect(assessPlan(pattern('u*'), counted(0), { confirmAbove: 5 })).toMatchObject({ confirm: true, requireYes: false });
    expect(assessPlan(pattern('*'), counted(0), { confirmAbove: 5 })).toMatchObject({ confirm: true, requireYes: true });
    // Patterns are judged by their estimated size too, not only exact keys.
    expect(assessPlan(pattern('user:state:*'), counted(6), { confirmAbove: 5 }).reasons).toEqual([
      '6 matching key(s) (counted), more than safety.confirmAbove (5)',
    ]);
    const sampled: Estimate = { keys: 111_000, method: 'sampled', sampled: 20_000, total: 1_000_000, upper: 112_000 };
    expect(assessPlan(pattern('sess:1*'), sampled, { confirmAbove: 5 }).reasons[0]).toMatch(
      /^about 111,000 matching key\(s\) \(estimated from 20,000 of 1,000,000 keys sampled\)/,
    );
    const many = plan(config, [{ kind: 'family', family: 'convMapping', values: { conversationId: ['a', 'b'] } }]);
    expect(many.selections[0]!.kind === 'exact' && many.selections[0]!.keys.length).toBe(6);
    expect(assessPlan(many, { keys: 6, method: 'named', sampled: 0, total: 0, upper: 6 }, { confirmAbove: 5 }).reasons).toEqual([
      '6 key(s) named exactly, more than safety.confirmAbove (5)',
    ]);
    expect(assessPlan(clearAllSpec(config).plan, counted(0), { confirmAbove: 5 })).toMatchObject({ confirm: true, reasons: ['every cache family'] });
    // Policy runs (age-conditional) are not judged by size.
    expect(assessPlan(clearOldSpec(config).plan, counted(1e6), { confirmAbove: 5, policy: true }).confirm).toBe(false);
  });
});

describe('plans', () => {
  it('a conversation is exact in every configured tenant, default included', () => {
    const [conv, wa] = plan(config, [{ kind: 'conversation', conversationId: 'c-1', waId: '+27821234567' }]).selections;
    expect(conv!.kind === 'exact' && conv!.keys.map(String).sort()).toEqual([
      'tenant:acme:mapping:conv:c-1',
      'tenant:default:mapping:conv:c-1',
      'tenant:globex:mapping:conv:c-1',
    ]);
    expect(wa!.label).toBe('waMapping(waId)');
  });

  it('one "unknown family" error, with the configured families as the hint', () => {
    for (const name of ['nope', 'toString', 'constructor', '__proto__']) {
      let caught: unknown;
      try {
        plan(config, [{ kind: 'family', family: name }]);
      } catch (error) {
        caught = error;
      }
      expect(caught, name).toMatchObject({
        code: 'CACHECTL_USAGE',
        message: `Unknown family "${name}"`,
        hint: expect.stringContaining('userState, convMapping'),
      });
    }
  });

  it('clear-all: one pattern per family; compatibility options', () => {
    expect(clearAllSpec(config).plan.selections.map((s) => s.kind === 'pattern' && s.pattern.toString())).toEqual([
      'user:state:*',
      'tenant:*:mapping:conv:*',
      'tenant:*:mapping:wa:*',
      'chats:*:*',
      'context:*',
    ]);
    expect(clearAllSpec(config, { clearUserStates: false }).plan.labels).toEqual(['convMapping', 'chatList', 'context']);
    expect(clearAllSpec(config, { includeUnknown: true }).plan.selections).toHaveLength(1);
    expect(() => clearAllSpec(config, { includeUnknown: true, families: ['context'] })).toThrow(/cannot be combined/);
  });

  it('clear-old: per-family thresholds, ageField means timestamp mode, bad hours rejected', () => {
    const c = resolveConfig({ families: { sessions: { template: 'session:{id}', maxAgeHours: 12, ageField: 'updatedAt' } }, maintenance: { hours: 36 } });
    const conditions = (options: Parameters<typeof clearOldSpec>[1]): Record<string, Condition | undefined> =>
      Object.fromEntries(clearOldSpec(c, options).plan.selections.map((s) => [s.family, s.kind === 'pattern' ? s.condition : undefined]));
    expect(conditions({ now: () => 1000 })).toMatchObject({
      sessions: { mode: 'field', field: 'updatedAt', maxAgeMs: 12 * 3_600_000, now: 1000 },
      chatList: { mode: 'idle', seconds: 36 * 3600 },
    });
    expect(
      Object.values(conditions({ olderThanHours: 48 })).every((cond) =>
        cond?.mode === 'idle' ? cond.seconds === 48 * 3600 : cond?.mode === 'field' && cond.maxAgeMs === 48 * 3_600_000,
      ),
    ).toBe(true);
    for (const hours of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => clearOldSpec(c, { hours })).toThrow(/Invalid age/);
  });

  it('clear-user: each family under the spellings it uses', () => {
    const c = resolveConfig({
      tenants: ['acme'],
      families: {
        userState: { template: 'user:state:{phone}', user: 'phone', userFormat: 'digits' },
        waMapping: { template: 'tenant:{tenant}:mapping:wa:{waId}', user: 'waId', userFormat: 'e164' },
      },
    });
    const planned = plan(c, [{ kind: 'user', user: '+27 82 123 4567' }]);
    const keys = planned.selections.flatMap((s) => (s.kind === 'exact' ? s.keys.map(String) : []));
    expect(keys.sort()).toEqual(['tenant:acme:mapping:wa:+27821234567', 'tenant:default:mapping:wa:+27821234567', 'user:state:27821234567']);
  });
});

describe('phone numbers', () => {
  it('normalizes the spellings of one number', () => {
    for (const [input, country] of [['+27 82 123 4567'], ['27821234567'], ['+27821234567'], ['082 123 4567', 'ZA'], ['(082) 123-4567', 'za']] as Array<
      [string, string?]
    >) {
      expect(normalizeUser(input, country ? { country } : {}), input).toMatchObject({ kind: 'phone', e164: '+27821234567', digits: '27821234567' });
    }
  });

  it('uses anything else as a literal id, with a note when it looked like a number', () => {
    expect(normalizeUser('customer-42')).toEqual({ input: 'customer-42', kind: 'id' });
    expect(normalizeUser('*')).toEqual({ input: '*', kind: 'id' });
    expect(normalizeUser('0821234567')).toMatchObject({ kind: 'id', note: expect.stringMatching(/--country/) });
    expect(() => normalizeUser('  ')).toThrow(/Empty user id/);
    expect(() => normalizeUser('082', { country: 'ZA' })).toThrow(/not a valid ZA phone number/);
    expect(() => normalizeUser('0821234567', { country: 'XX' })).toThrow(/Unknown country/);
  });

  it('gives the forms per userFormat', () => {
    const phone = normalizeUser('+27821234567');
    expect(userForms(phone, 'e164')).toEqual(['+27821234567']);
    expect(userForms(phone, 'digits')).toEqual(['27821234567']);
    expect(userForms(phone, 'any')).toEqual(['+27821234567', '27821234567']);
    expect(userForms(normalizeUser('abc'), 'e164')).toEqual(['abc']);
  });
});

describe('--<placeholder> value pairs', () => {
  const family = config.families.convMapping!;
  it('parses pairs, = form, kebab-case and repeats', () => {
    expect(parsePlaceholderArgs(['--conversationId', 'a', '--tenant=acme'], family)).toEqual({ conversationId: 'a', tenant: 'acme' });
    expect(parsePlaceholderArgs(['--conversation-id', 'a', '--conversation-id', 'b'], family)).toEqual({ conversationId: ['a', 'b'] });
    expect(parsePlaceholderArgs(['--conversationId=--odd'], family)).toEqual({ conversationId: '--odd' });
  });
  it('rejects unknown names (naming the valid ones), missing and empty values, stray operands', () => {
    expect(() => parsePlaceholderArgs(['--id', 'a'], family)).toThrow(/no placeholder "id"/);
    expect(() => parsePlaceholderArgs(['--conversationId'], family)).toThrow(/needs a value/);
    expect(() => parsePlaceholderArgs(['--conversationId', ''], family)).toThrow(/Empty value/);
    expect(() => parsePlaceholderArgs(['abc'], family)).toThrow(/Unexpected argument "abc"/);
    try {
      parsePlaceholderArgs(['--nope', 'x'], family);
    } catch (error) {
      expect((error as { hint: string }).hint).toContain('--tenant, --conversationId');
    }
  });
});

describe('engine arithmetic', () => {
  it('computes cluster slots like the server (hash tags included)', () => {
    expect(keySlot(Buffer.from('somekey'))).toBe(11058);
    expect(keySlot(Buffer.from('foo{hash_tag}'))).toBe(2515);
    expect(keySlot(Buffer.from('{user1000}.following'))).toBe(keySlot(Buffer.from('user1000')));
    expect(keySlot(Buffer.from('123456789'))).toBe(0x31c3);
  });

  it('tunes COUNT toward the call-time target and below the batch', () => {
    const tuner = new CountTuner(1000, { targetMs: 8 });
    tuner.update(2, 10, false, 500);
    expect(tuner.count).toBe(2000);
    tuner.update(32, 10, false, 500);
    expect(tuner.count).toBe(1000);
    tuner.update(8, 500, false, 500);
    expect(tuner.count).toBe(800);
    tuner.update(8, 1000, true, 500);
    expect(tuner.count).toBe(320);
  });

  it('shares a budget among parallel loops without overshooting', () => {
    const budget = new Budget(10);
    expect(budget.take(4)).toBe(4);
    expect(budget.take(4)).toBe(4);
    expect(budget.take(4)).toBe(2);
    expect(budget.exhausted).toBe(true);
    budget.giveBack(3);
    expect(budget.take(10)).toBe(3);
    expect(new Budget(undefined).take(1e9)).toBe(1e9);
  });

  it('spaces reservations to the rate', async () => {
    const pacer = new Pacer(100);
    expect(pacer.cap(500)).toBe(10);
    const began = performance.now();
    for (let i = 0; i < 3; i++) await pacer.reserve(10);
    // 3 × 10 keys at 100/s: the third call may start at 0.2 s.
    expect(performance.now() - began).toBeGreaterThanOrEqual(190);
    expect(new Pacer(undefined).cap(500)).toBe(500);
  });
});
