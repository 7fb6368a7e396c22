import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { createInvalidator } from '../../../src/core/invalidation/invalidator.js';
import { randomPrefix, serverTargets } from '../../helpers/targets.js';
import { testConfig } from './helpers.js';

describe.each(serverTargets())('exact keys of events handled in one tick on $name', (target) => {
  let connection: RedisConnection;
  beforeAll(async () => {
    connection = await connect({ url: target.url });
  });
  afterAll(async () => {
    await connection.close();
  });

  it('deletes ASCII and non-ASCII keys by their exact bytes, each counted once, for the first event naming it', async () => {
    const p = randomPrefix('inv-bytes');
    const config = testConfig(target.url, p, {
      rules: [
        { event: 'user.updated', family: 'userState', map: { phone: 'phone' } },
        { event: 'chat.read', family: 'chatList', map: { deviceId: 'deviceId', chatId: 'chatId' } },
      ],
    });
    const utf8 = (s: string) => Buffer.from(s, 'utf8');
    const doomed = [`${p}user:state:+27820000001`, `${p}user:state:josé`, `${p}user:state:☃`, `${p}chats:d1:c1`].map(utf8);
    // Same text read as Latin-1 bytes, and a neighbour: must survive.
    const survivors = [Buffer.concat([utf8(`${p}user:state:jos`), Buffer.from([0xe9])]), utf8(`${p}user:state:+278200000011`)];
    await Promise.all([...doomed, ...survivors].map((k) => connection.client.set(k, 'x', 'EX', 300)));
    const invalidator = createInvalidator(config, connection);
    const results = await Promise.all([
      invalidator.handle({ type: 'user.updated', data: { phone: '+27820000001' } }),
      invalidator.handle({ type: 'user.updated', data: { phone: 'josé' } }),
      invalidator.handle({ type: 'user.updated', data: { phone: ['☃', '+27820000001'] } }),
      invalidator.handle({ type: 'chat.read', data: { deviceId: 'd1', chatId: 'c1' } }),
    ]);
    expect(results.map((r) => (r.ok ? r.deleted : -1))).toEqual([1, 1, 1, 1]);
    const exists = async (keys: Buffer[]) => (await Promise.all(keys.map((k) => connection.client.exists(k)))).reduce((a, b) => a + b, 0);
    expect(await exists(doomed)).toBe(0);
    expect(await exists(survivors)).toBe(survivors.length);
    await Promise.all(survivors.map((k) => connection.client.unlink(k)));
  });
});
