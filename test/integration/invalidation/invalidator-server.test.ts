// Invalidator behaviour that needs a server of its own: command statistics, ACL users, a big
// enough keyspace for a pass to take a while.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { createInvalidator } from '../../../src/core/invalidation/invalidator.js';
import { ConnectionError, PermissionError, type CachectlError } from '../../../src/errors.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';
import { countExisting, fill, testConfig } from './helpers.js';

let server: ServerHandle;
let connection: RedisConnection;

beforeAll(async () => {
  server = await startServer();
  connection = await connect({ url: server.url });
  await fill(connection.client, 'bulk:', 50_000);
});
afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

async function commandCalls(name: string): Promise<number> {
  const info = await connection.client.info('commandstats');
  return Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe('invalidator on a server of its own', () => {
  it('deletes exact events without any SCAN', async () => {
    const config = testConfig(server.url, 'a:');
    const keys = Array.from({ length: 20 }, (_, i) => ['default', 'acme', 'globex'].map((t) => `a:tenant:${t}:mapping:conv:c-${i}`)).flat();
    await Promise.all(keys.map((k) => connection.client.set(k, 'x')));
    const invalidator = createInvalidator(config, connection);
    await connection.client.config('RESETSTAT');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => invalidator.handle({ type: 'conversation.correlated', data: { conversationId: `c-${i}`, waId: `w-${i}` } })),
    );
    expect(await countExisting(connection.client, keys)).toBe(0);
    expect(await commandCalls('unlink')).toBe(20); // one UNLINK per event, of its 6 keys
    expect(await commandCalls('scan')).toBe(0);
    // The same check notices a pass when there is one.
    await invalidator.handle({ type: 'whatsapp.message', data: { deviceId: 'd-1' } });
    expect(await commandCalls('scan')).toBeGreaterThan(0);
  });

  it('an event arriving as a pass starts joins it from cursor 0 and needs no pass of its own', async () => {
    const config = testConfig(server.url, 'b:');
    await Promise.all(['b:context:S1', 'b:context:S2', 'b:context:S3'].map((k) => connection.client.set(k, 'x')));
    const started: Array<{ pass: number; patterns: number }> = [];
    let late: Promise<unknown> | undefined;
    const invalidator = createInvalidator(config, connection, {
      onPassStart: (pass, patterns) => {
        started.push({ pass, patterns });
        if (pass === 1) {
          // Both arrive before pass 1 made its first step: it covers all of their keyspace.
          late = Promise.all([
            invalidator.handle({ type: 'planning.story.transitioned', data: { story_id: 'S2' } }),
            invalidator.handle({ type: 'planning.story.transitioned', data: { story_id: 'S3' } }),
          ]);
        }
      },
    });
    const first = await invalidator.handle({ type: 'planning.story.transitioned', data: { story_id: 'S1' } });
    expect(first).toMatchObject({ pass: 1, deleted: 1 });
    const [second, third] = (await late) as Array<{ pass: number; deleted: number }>;
    expect(second).toMatchObject({ pass: 1, deleted: 1 });
    expect(third).toMatchObject({ pass: 1, deleted: 1 });
    expect(started).toEqual([{ pass: 1, patterns: 1 }]);
    expect(await countExisting(connection.client, ['b:context:S1', 'b:context:S2', 'b:context:S3'])).toBe(0);
    await invalidator.flush();
    expect(invalidator.stats()).toMatchObject({ passes: 1, pendingPatterns: 0, handled: 3 });
  });

  it('fail-safe mode never throws when the connection is gone, and counts the failures', async () => {
    const config = testConfig(server.url, 'c:');
    const own = await connect({ url: server.url });
    await own.close();
    const errors: CachectlError[] = [];
    const invalidator = createInvalidator(config, own, { failSafe: true, onError: (e) => errors.push(e) });
    const results = await Promise.all([
      invalidator.handle({ type: 'conversation.correlated', data: { conversationId: 'x', waId: 'y' } }),
      invalidator.handle({ type: 'whatsapp.message', data: { deviceId: 'd' } }),
      invalidator.invalidate('userState', { phone: '1' }),
    ]);
    expect(results.map((r) => r.ok)).toEqual([false, false, false]);
    for (const error of errors) expect(error).toBeInstanceOf(ConnectionError);
    expect(errors).toHaveLength(3);
    expect(invalidator.stats()).toMatchObject({ failures: 3, handled: 0 });
    // Not fail-safe: the same failure rejects, classified.
    await expect(createInvalidator(config, own).invalidate('userState', { phone: '1' })).rejects.toBeInstanceOf(ConnectionError);
  });

  it('an ACL user without UNLINK: fail-safe counts a permission failure, strict mode rejects with it', async () => {
    await connection.client.call('ACL', 'SETUSER', 'nounlink', 'on', '>pw-nounlink', '~*', '&*', '+@all', '-unlink');
    const limited = new Redis({ port: server.port, host: server.host, username: 'nounlink', password: 'pw-nounlink', maxRetriesPerRequest: 0 });
    try {
      const config = testConfig(server.url, 'd:');
      await connection.client.set('d:user:state:1', 'x');
      const safe = createInvalidator(config, limited, { failSafe: true });
      const result = await safe.invalidate('userState', { phone: '1' });
      expect(result.ok).toBe(false);
      expect(result.error).toBeInstanceOf(PermissionError);
      expect(result.error?.message).toMatch(/unlink/i);
      await safe.handle({ type: 'whatsapp.message', data: { deviceId: 'd' } }); // a pass with a match-free keyspace still SCANs fine
      expect(safe.stats().failures).toBe(1);
      await connection.client.set('d:chats:d:1', 'x');
      expect((await safe.handle({ type: 'whatsapp.message', data: { deviceId: 'd' } })).error).toBeInstanceOf(PermissionError);
      expect(safe.stats().failures).toBe(2);
      await expect(createInvalidator(config, limited).invalidate('userState', { phone: '1' })).rejects.toBeInstanceOf(PermissionError);
      expect(await connection.client.exists('d:user:state:1', 'd:chats:d:1')).toBe(2);
    } finally {
      limited.disconnect();
    }
  });
});
