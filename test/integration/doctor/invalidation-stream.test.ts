// The doctor's invalidation-stream check on real streams: a lag near the cap, events lost to the
// cap in the last 7 days, events no listener ever read — each a warning naming the fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidationStreamCheck } from '../../../src/core/doctor/checks-stream.js';
import { trimmedKey } from '../../../src/core/invalidation/keys.js';
import { publishInvalidation } from '../../../src/core/invalidation/publish.js';
import { collectListenStatus } from '../../../src/core/invalidation/status.js';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { randomPrefix, serverTargets } from '../../helpers/targets.js';
import { testConfig } from '../invalidation/helpers.js';

describe.each(serverTargets())('doctor invalidation-stream on $name', (target) => {
  let connection: RedisConnection;
  beforeAll(async () => {
    connection = await connect({ url: target.url });
  });
  afterAll(() => connection?.close());

  async function judge(config: ReturnType<typeof testConfig>, now = new Date()) {
    return invalidationStreamCheck(await collectListenStatus(connection, config), config, now);
  }

  it('passes with nothing published; warns when no listener ever read what was published', async () => {
    const config = testConfig(target.url, randomPrefix('doc'), { maxLen: 1000 });
    expect((await judge(config)).status).toBe('pass');
    await publishInvalidation(connection, config, 'planning.story.transitioned', { story_id: 'S-1' });
    const check = await judge(config);
    expect(check).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/no listener ever read/),
      hint: expect.stringMatching(/invalidation\.maxLen/),
    });
  });

  it('warns when the lag reaches 80% of maxLen', async () => {
    const config = testConfig(target.url, randomPrefix('doc'), { maxLen: 100 });
    const { stream, group } = config.invalidation;
    await connection.client.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM', 'ENTRIESREAD', '0');
    for (let i = 0; i < 70; i++) await publishInvalidation(connection, config, 'planning.story.transitioned', { story_id: `S-${i}` });
    expect((await judge(config)).status).toBe('pass');
    for (let i = 0; i < 15; i++) await publishInvalidation(connection, config, 'planning.story.transitioned', { story_id: `T-${i}` });
    expect(await judge(config)).toMatchObject({ status: 'warn', message: expect.stringMatching(/lag 85 is 85% of invalidation\.maxLen \(100\)/) });
  });

  it('warns for 7 days after events were lost to the cap', async () => {
    const config = testConfig(target.url, randomPrefix('doc'), { maxLen: 1000 });
    const { stream, group } = config.invalidation;
    await connection.client.call('XGROUP', 'CREATE', stream, group, '$', 'MKSTREAM', 'ENTRIESREAD', '0');
    const at = Date.now();
    await connection.client.hset(trimmedKey(stream), { pending: '3', undelivered: '40', lastAt: String(at) });
    expect(await judge(config)).toMatchObject({ status: 'warn', message: expect.stringMatching(/43 event\(s\) trimmed by the cap/) });
    expect((await judge(config, new Date(at + 8 * 86_400_000))).status).toBe('pass');
  });
});
