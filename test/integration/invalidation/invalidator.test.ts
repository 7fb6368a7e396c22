import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { createInvalidator } from '../../../src/core/invalidation/invalidator.js';
import type { PassReport } from '../../../src/core/invalidation/pattern-pass.js';
import { type CachectlError, UsageError } from '../../../src/errors.js';
import { randomPrefix, serverTargets } from '../../helpers/targets.js';
import { countExisting, testConfig } from './helpers.js';

describe.each(serverTargets())('in-process invalidator on $name', (target) => {
  let connection: RedisConnection;
  beforeAll(async () => {
    connection = await connect({ url: target.url });
  });
  afterAll(async () => {
    await connection.close();
  });

  it('the 50-key / 50-event stress case leaves 0 keys within 2 passes', async () => {
    const p = randomPrefix('inv-stress');
    const config = testConfig(target.url, p);
    const stories = Array.from({ length: 50 }, (_, i) => `STRESS-NEO-${String(i + 1).padStart(4, '0')}`);
    const keys = stories.map((s) => `${p}context:${s}`);
    const survivors = [`${p}context-other:STRESS-NEO-0001`, `${p}contexts:STRESS-NEO-0001`, `${p}chats:d:c`];
    await Promise.all([...keys, ...survivors].map((k) => connection.client.set(k, 'x', 'EX', 300)));
    const passes: PassReport[] = [];
    const invalidator = createInvalidator(config, connection, { onPass: (r) => passes.push(r) });
    const results = await Promise.all(stories.map((story_id) => invalidator.handle({ type: 'planning.story.transitioned', data: { story_id } })));
    expect(await countExisting(connection.client, keys)).toBe(0);
    expect(await countExisting(connection.client, survivors)).toBe(survivors.length);
    expect(results.every((r) => r.ok && r.matched)).toBe(true);
    expect(passes.length).toBeGreaterThanOrEqual(1);
    expect(passes.length).toBeLessThanOrEqual(2);
    expect(invalidator.stats()).toMatchObject({ handled: 50, failures: 0, unmatched: 0, keysDeleted: 50, pendingPatterns: 0, passes: passes.length });
    // The shared prefix goes to the server as a MATCH filter: only matching keys come back.
    expect(passes[0]!.match).toBe(`${p}context:STRESS-NEO-00*`);
    await Promise.all(survivors.map((k) => connection.client.unlink(k)));
  });

  it('conversation.correlated removes both mappings in every tenant (exact, no pass)', async () => {
    const p = randomPrefix('inv-conv');
    const config = testConfig(target.url, p);
    const doomed = ['default', 'acme', 'globex'].flatMap((t) => [`${p}tenant:${t}:mapping:conv:abc-123`, `${p}tenant:${t}:mapping:wa:+27821234567`]);
    const others = [`${p}tenant:default:mapping:conv:abc-1234`, `${p}tenant:acme:mapping:wa:+27829999999`];
    await Promise.all([...doomed, ...others].map((k) => connection.client.set(k, '{"communication_id":null}', 'EX', 300)));
    const invalidator = createInvalidator(config, connection);
    const result = await invalidator.handle({ type: 'conversation.correlated', data: { conversationId: 'abc-123', waId: '+27821234567' } });
    expect(result).toMatchObject({ ok: true, matched: true, exactKeys: 6, patterns: 0, deleted: 6 });
    expect(await countExisting(connection.client, doomed)).toBe(0);
    expect(await countExisting(connection.client, others)).toBe(2);
    expect(invalidator.stats().passes).toBe(0);
    await Promise.all(others.map((k) => connection.client.unlink(k)));
  });

  it('whatsapp.message invalidates that device’s chat list only', async () => {
    const p = randomPrefix('inv-chat');
    const config = testConfig(target.url, p);
    const device = Array.from({ length: 20 }, (_, i) => `${p}chats:device-1:chat-${i}`);
    const others = [`${p}chats:device-10:chat-1`, `${p}chats:device-2:chat-1`];
    await Promise.all([...device, ...others].map((k) => connection.client.set(k, '{"unreadCount":0}', 'EX', 300)));
    const invalidator = createInvalidator(config, connection);
    const result = await invalidator.handle({ type: 'whatsapp.message', data: { deviceId: 'device-1' } });
    expect(result).toMatchObject({ ok: true, patterns: 1, deleted: 20, pass: 1 });
    expect(await countExisting(connection.client, device)).toBe(0);
    expect(await countExisting(connection.client, others)).toBe(2);
    await Promise.all(others.map((k) => connection.client.unlink(k)));
  });

  it('never deletes queue keys, even when a rule’s pattern covers them', async () => {
    const p = randomPrefix('inv-queue');
    // A family under a queue prefix is refused outright…
    expect(() => testConfig(target.url, p, {}, { families: { jobs: { template: `${p}bull:{queue}*` } } })).toThrow(/lies under queue prefix/);
    // …but a broader one can still reach queue keys through its values: the guard stops them.
    const config = testConfig(
      target.url,
      p,
      { rules: [{ event: 'queue.reset', family: 'jobs', map: { kind: 'kind', queue: 'queue' } }] },
      {
        families: { jobs: { template: `${p}{kind}:{queue}*` } },
      },
    );
    const queueKeys = [`${p}bull:sends:wait`, `${p}bull:sends:meta`];
    await Promise.all(queueKeys.map((k) => connection.client.set(k, 'x', 'EX', 300)));
    const invalidator = createInvalidator(config, connection);
    const result = await invalidator.handle({ type: 'queue.reset', data: { kind: 'bull', queue: 'sends' } });
    expect(result).toMatchObject({ ok: true, deleted: 0 });
    expect(await countExisting(connection.client, queueKeys)).toBe(2);
    await Promise.all(queueKeys.map((k) => connection.client.unlink(k)));
  });

  it('a missing field fails loudly and deletes nothing (never a wildcard)', async () => {
    const p = randomPrefix('inv-missing');
    const config = testConfig(target.url, p);
    const keys = [`${p}chats:device-1:chat-1`, `${p}chats:device-2:chat-1`];
    await Promise.all(keys.map((k) => connection.client.set(k, 'x', 'EX', 300)));
    const strict = createInvalidator(config, connection);
    await expect(strict.handle({ type: 'whatsapp.message', data: { device: 'device-1' } })).rejects.toThrow(UsageError);
    expect(strict.stats()).toMatchObject({ failures: 1, handled: 0, passes: 0 });

    const errors: CachectlError[] = [];
    const logged: string[] = [];
    const safe = createInvalidator(config, connection, {
      failSafe: true,
      onError: (error) => errors.push(error),
      logger: { error: (message) => logged.push(message) },
    });
    const result = await safe.handle({ type: 'whatsapp.message', data: {} });
    expect(result.ok).toBe(false);
    expect(result.error?.message).toMatch(/lacks field "deviceId"/);
    expect(errors).toHaveLength(1);
    expect(logged[0]).toMatch(/invalidation of event whatsapp\.message failed/);
    expect(safe.stats()).toMatchObject({ failures: 1, handled: 0 });
    expect(await countExisting(connection.client, keys)).toBe(2);
    await Promise.all(keys.map((k) => connection.client.unlink(k)));
  });

  it('counts events no rule names as unmatched, and invalidates families directly', async () => {
    const p = randomPrefix('inv-direct');
    const config = testConfig(target.url, p);
    const invalidator = createInvalidator(config, connection.client); // a plain ioredis client works too;
    expect(await invalidator.handle({ type: 'nobody.listens', data: { x: 1 } })).toMatchObject({ ok: true, matched: false });
    expect(invalidator.stats().unmatched).toBe(1);

    await connection.client.set(`${p}user:state:+27821234567`, 'x', 'EX', 300);
    expect(await invalidator.invalidate('userState', { phone: '+27821234567' })).toMatchObject({ ok: true, exactKeys: 1, deleted: 1 });
    await expect(invalidator.invalidate('userState', { phone: undefined })).rejects.toThrow(/value of "phone" is undefined/);
    await expect(invalidator.invalidate('nope', { a: 'b' })).rejects.toThrow(/Unknown family "nope"/);
    expect(invalidator.stats()).toMatchObject({ handled: 1, failures: 2, unmatched: 1 });
    await invalidator.close();
    await expect(invalidator.handle({ type: 'whatsapp.message', data: { deviceId: 'd' } })).rejects.toThrow(/closed/);
  });
});
