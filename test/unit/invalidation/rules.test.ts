import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/load.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import { ConfigError, UsageError } from '../../../src/errors.js';
import { checkEvent, decodeEntry, encodeEvent } from '../../../src/core/invalidation/event.js';
import { checkDirectValues, compileRules, resolveEvent } from '../../../src/core/invalidation/rules.js';
import { parseFields } from '../../../src/cli/commands/publish.js';

const keysOf = (selections: ReturnType<typeof resolveEvent>): string[] =>
  selections.flatMap((s) => (s.kind === 'exact' ? s.keys.map((k) => k.toString()) : [`pattern ${s.pattern.toString()}`]));

function resolve(config: ReturnType<typeof resolveConfig>, type: string, data: Record<string, unknown>) {
  return resolveEvent(compileRules(config).get(type) ?? [], data, config);
}

describe('invalidation config', () => {
  it('has the documented defaults', () => {
    const { invalidation } = resolveConfig({});
    expect(invalidation).toMatchObject({
      stream: 'cachectl:invalidations',
      maxLen: 100000,
      group: 'cachectl',
      claimIdleMs: 30000,
      maxAttempts: 5,
      deadLetterStream: 'cachectl:invalidations:dead',
      batch: 100,
      blockMs: 2000,
    });
    expect(invalidation.channel).toBeUndefined();
    expect([...compileRules(resolveConfig({})).keys()]).toEqual(['planning.story.transitioned', 'whatsapp.message', 'conversation.correlated']);
  });

  it.each<[string, ConfigInput, RegExp]>([
    [
      'an unknown family',
      { invalidation: { rules: [{ event: 'a.b', family: 'contxt', map: { storyId: 'id' } }] } },
      /invalidation\.rules\.0\.family: rule 1 \(a\.b\): family "contxt" does not exist/,
    ],
    [
      'an unknown placeholder',
      { invalidation: { rules: [{ event: 'a.b', family: 'context', map: { story: 'id' } }] } },
      /rule 1 \(a\.b\): "\{story\}" is not a placeholder of context/,
    ],
    [
      'a family left unbound',
      { invalidation: { rules: [{ event: 'x.y', family: ['convMapping', 'context'], map: { conversationId: 'c' } }] } },
      /rule 1 \(x\.y\): maps no placeholder of family "context"/,
    ],
    ['an empty map', { invalidation: { rules: [{ event: 'x.y', family: 'context', map: {} }] } }, /invalidation\.rules\.0\.map/],
    [
      'a removed family',
      { families: { context: false }, invalidation: { rules: [{ event: 'x.y', family: 'context', map: { storyId: 's' } }] } },
      /family "context" does not exist/,
    ],
    ['the same stream twice', { invalidation: { stream: 's', deadLetterStream: 's' } }, /deadLetterStream must differ/],
    ['a bad batch', { invalidation: { batch: 0 } }, /invalidation\.batch/],
  ])('rejects %s with an error naming the rule or field', (_name, input, message) => {
    expect(() => resolveConfig(input)).toThrow(ConfigError);
    expect(() => resolveConfig(input)).toThrow(message);
  });

  it('drops a default rule whose family the config removed, keeps the others', () => {
    const config = resolveConfig({ families: { context: false } });
    expect([...compileRules(config).keys()]).toEqual(['whatsapp.message', 'conversation.correlated']);
  });
});

describe('resolving events', () => {
  const config = resolveConfig({ tenants: ['acme', 'globex'] });

  it('planning.story.transitioned → the story context prefix (a pattern)', () => {
    expect(keysOf(resolve(config, 'planning.story.transitioned', { story_id: 'STRESS-NEO-0001' }))).toEqual(['pattern context:STRESS-NEO-0001*']);
  });

  it('conversation.correlated → both mappings in every tenant, exact keys', () => {
    const keys = keysOf(resolve(config, 'conversation.correlated', { conversationId: 'abc', waId: '+27821234567' }));
    expect(keys.sort()).toEqual(['acme', 'globex', 'default'].flatMap((t) => [`tenant:${t}:mapping:conv:abc`, `tenant:${t}:mapping:wa:+27821234567`]).sort());
  });

  it('whatsapp.message → that device only', () => {
    expect(keysOf(resolve(config, 'whatsapp.message', { deviceId: 'dev*1' }))).toEqual(['pattern chats:dev\\*1:*']);
  });

  it.each([
    [{}, /lacks field "deviceId" needed by rule 2 \(whatsapp\.message → chatList\.deviceId\)/],
    [{ deviceId: null }, /lacks field "deviceId"/],
    [{ deviceId: '' }, /empty "deviceId"/],
    [{ deviceId: [] }, /empty "deviceId"/],
    [{ deviceId: { a: 1 } }, /must be a string or number/],
  ])('a missing or unusable field is an error, never a wildcard: %j', (data, message) => {
    expect(() => resolve(config, 'whatsapp.message', data)).toThrow(UsageError);
    expect(() => resolve(config, 'whatsapp.message', data)).toThrow(message);
  });

  it('takes numbers, lists and dotted paths', () => {
    const custom = resolveConfig({ invalidation: { rules: [{ event: 'story.moved', family: 'context', map: { storyId: 'story.id' } }] } });
    expect(keysOf(resolve(custom, 'story.moved', { story: { id: 42 } }))).toEqual(['pattern context:42*']);
    expect(keysOf(resolve(config, 'planning.story.transitioned', { story_id: ['A', 'B'] }))).toEqual(['pattern context:A*', 'pattern context:B*']);
  });

  it('an unknown type resolves to no rule', () => {
    expect(compileRules(config).get('nobody.listens')).toBeUndefined();
  });
});

describe('direct invalidate() values', () => {
  const config = resolveConfig({});
  it('refuses undefined values and calls that bind nothing', () => {
    expect(() => checkDirectValues(config.families.chatList!, { deviceId: undefined })).toThrow(/value of "deviceId" is undefined/);
    expect(() => checkDirectValues(config.families.chatList!, {})).toThrow(/binds no placeholder/);
    expect(checkDirectValues(config.families.chatList!, { deviceId: 'd' })).toEqual({ deviceId: 'd' });
  });
});

describe('event encoding', () => {
  it('round-trips through stream fields', () => {
    const fields = encodeEvent('whatsapp.message', { deviceId: 'd-1', n: 3 }, 1700000000000);
    expect(decodeEntry('1-0', fields)).toEqual({ id: '1-0', type: 'whatsapp.message', data: { deviceId: 'd-1', n: 3 }, at: 1700000000000 });
  });

  it.each([
    [null, /no fields/],
    [['data', '{}'], /no "type" field/],
    [['type', 'a b'], /Invalid event type/],
    [['type', 'x', 'data', '{nope'], /not valid JSON/],
    [['type', 'x', 'data', '[1]'], /must be a JSON object/],
  ])('a malformed entry is a usage error: %j', (fields, message) => {
    expect(() => decodeEntry('1-0', fields as string[] | null)).toThrow(message);
  });

  it('checks events handed to handle()', () => {
    expect(() => checkEvent('whatsapp.message')).toThrow(/must be an object/);
    expect(() => checkEvent({ type: '' })).toThrow(/Invalid event type/);
    expect(() => checkEvent({ type: 'a', data: [] })).toThrow(/"data" must be an object/);
    expect(checkEvent({ type: 'a' }).data).toEqual({});
  });
});

describe('publish key=value parsing', () => {
  it('parses fields and keeps "=" inside values', () => {
    expect(parseFields(['deviceId=d-1', 'q=a=b', 'empty='])).toEqual({ deviceId: 'd-1', q: 'a=b', empty: '' });
  });
  it.each([['deviceId'], ['=x'], ['bad key=x']])('rejects %s', (arg) => {
    expect(() => parseFields([arg])).toThrow(/Expected key=value/);
  });
  it('rejects a repeated key', () => {
    expect(() => parseFields(['a=1', 'a=2'])).toThrow(/given twice/);
  });
});
