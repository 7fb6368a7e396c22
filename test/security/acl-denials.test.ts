// ACL denials are exit 7 naming what is missing, on Redis and Valkey: inside scripts (Redis 7.0
// "The user executing the script can't access…", Valkey "ACL failure in script"), inside MULTI,
// and for commands run as a documented user that lacks the rights. Nothing changes (DUMP snapshot).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { hasBinary, startServer, type ServerBinary, type ServerHandle } from '../helpers/servers.js';
import { documentedAclUsers, seedCache, seedQueueJobs, setUser } from './acl-fixture.js';

const PASSWORD = 'acl-test-pw';

/** Every key with its DUMP payload and TTL presence (queue hashes compared by content). */
async function snapshot(admin: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await admin.type(key);
      const value =
        type === 'hash'
          ? JSON.stringify(Object.entries(await admin.hgetall(key)).sort())
          : type === 'set'
            ? JSON.stringify((await admin.smembers(key)).sort())
            : String((await admin.dumpBuffer(key))?.toString('hex'));
      out.set(key, `${type}:${value}`);
    }
  } while (cursor !== '0');
  return out;
}

function expectDenied(result: CliResult, what: RegExp): void {
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(7);
  expect(result.stderr).toMatch(what);
  expect(result.stderr).not.toMatch(/unexpected failure/);
}

function suite(binary: ServerBinary): void {
  let server: ServerHandle;
  let admin: Redis;
  const as = (user: string, args: string[]) => runCli(['--redis-url', `redis://${user}:${PASSWORD}@127.0.0.1:${server.port}`, ...args]);

  beforeAll(async () => {
    server = await startServer({ binary });
    admin = new Redis(server.url);
    await seedCache(admin);
    await seedQueueJobs(() => new Redis(server.url, { maxRetriesPerRequest: null }), 'wa', 'bull', { done: 2, failing: 1, waiting: 2 });
    for (const [user, rules] of documentedAclUsers(PASSWORD)) await setUser(admin, user, rules);
  });

  afterAll(async () => {
    await admin?.quit();
    await server?.stop();
  });

  it('cachectl-queues: script key denials are exit 7 naming a key, the hint names the user', async () => {
    const before = await snapshot(admin);
    const runs: Array<[string[], RegExp]> = [
      [['stats'], /Permission denied .* for a key/],
      [['clear-all', '--yes'], /Permission denied/],
      [['invalidate', 'convMapping', '--conversationId', 'conv-0001', '--yes'], /Permission denied/],
      [['hook', 'deploy'], /Permission denied/],
      [['clear-all', '--queue', '--yes'], /Permission denied/],
    ];
    for (const [args, message] of runs) {
      const result = await as('cachectl-queues', args);
      expectDenied(result, message);
    }
    expect(await snapshot(admin)).toEqual(before);
  });

  it('hook pm2-restart as the read, clear, backup and listen users: exit 7 naming cachectl-queues', async () => {
    const before = await snapshot(admin);
    for (const user of ['cachectl-read', 'cachectl-clear', 'cachectl-backup', 'cachectl-listen']) {
      const result = await as(user, ['hook', 'pm2-restart']);
      expectDenied(result, /Permission denied/);
      expect(result.stderr).toContain('"hook pm2-restart" as cachectl-queues');
    }
    expect(await snapshot(admin)).toEqual(before);
  });

  it('a denial inside MULTI is read from EXECABORT', async () => {
    const { classifyRedisError } = await import('../../src/redis/errors.js');
    await setUser(admin, 'multi-user', ['reset', 'on', `>${PASSWORD}`, '~*', '+multi', '+exec', '+get', '+ping']);
    const client = new Redis(`redis://multi-user:${PASSWORD}@127.0.0.1:${server.port}`);
    try {
      const error = await client
        .multi()
        .get('a')
        .set('a', '1')
        .exec()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const classified = classifyRedisError(error, 'test');
      expect(classified.exitCode).toBe(7);
      expect(classified.message).toMatch(/'set' command/);
    } finally {
      client.disconnect();
    }
  });
}

describe('redis-server', () => suite('redis-server'));
describe.skipIf(!hasBinary('valkey-server'))('valkey-server', () => suite('valkey-server'));
