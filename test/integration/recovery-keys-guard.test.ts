// The keys queue and stream recovery keeps (a drain's record and held jobs, import ledgers, the
// stream's trimmed counters, the dead-letter index) are protected: `clear-all --include-unknown`
// removes every unknown key and leaves them.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterIndexKey, trimmedKey } from '../../src/core/invalidation/keys.js';
import { runCli } from '../helpers/cli.js';
import { tempCwd } from '../helpers/bullmq.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

describe('recovery keys under clear-all --include-unknown', () => {
  let server: ServerHandle;
  let client: Redis;
  beforeAll(async () => {
    server = await startServer();
    client = new Redis(server.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('leaves them all', async () => {
    const own = [
      'bull:orders:cachectl:drain',
      'bull:orders:cachectl:drain-held',
      'bull:orders:cachectl:drain-lock',
      `bull:orders:cachectl:import-${'a'.repeat(64)}`,
      trimmedKey('cachectl:invalidations'),
      deadLetterIndexKey('cachectl:invalidations:dead'),
    ];
    await client.hset('bull:orders:meta', 'opts.maxLenEvents', '10000');
    await client.hset(own[0]!, { file: '/x.jsonl', host: 'h', pid: '1', startedAt: 'now', committed: '0' });
    await client.rpush(own[1]!, 'wait:1');
    await client.set(own[2]!, '{}');
    await client.hset(own[3]!, 'done', '10');
    await client.hset(own[4]!, 'undelivered', '5');
    await client.hset(own[5]!, '1-1', '2-2');
    await client.set('unknown:thing', 'x');
    const result = await runCli(['clear-all', '--include-unknown', '--yes', '--redis-url', server.url], { cwd: await tempCwd() });
    expect(result.code, result.stderr).toBe(0);
    expect(await client.exists('unknown:thing')).toBe(0);
    for (const key of own) expect(await client.exists(key), key).toBe(1);
  });
});
