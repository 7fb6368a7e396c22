// Faults: `cachectl listen` (the CLI, in-process) while its server is SIGKILLed with an event in
// hand and started again (AOF, fsync always). The existing listener-faults test restarts the
// server gracefully (SIGTERM) under the library API; this one is a hard crash mid-pass under the
// CLI: every event published before, during and after the crash must be applied and acknowledged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishInvalidation } from '../../src/core/invalidation/publish.js';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { runCli } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import {
  configInput,
  countExisting,
  fill,
  pendingCount,
  removeConfigFiles,
  testConfig,
  waitUntil,
  writeConfigFile,
} from '../integration/invalidation/helpers.js';
import { countMatching, figures } from './faults-support.js';

describe('listen through a server crash (SIGKILL + restart)', () => {
  let server: ServerHandle;

  beforeAll(async () => {
    server = await startServer({ persistence: true });
  });
  afterAll(async () => {
    await server?.stop();
    removeConfigFiles();
    console.log(`[faults-listen] faults injected ${figures.injected}, survived ${figures.survived}`);
  });

  it('loses no event: the entry in hand is re-read from its own pending list after the restart, later ones follow', async () => {
    const prefix = 'crash:';
    const config = testConfig(server.url, prefix);
    const file = writeConfigFile(configInput(server.url, prefix));
    const keysFor = (tag: string): string[] => [
      ...['default', 'acme', 'globex'].map((t) => `${prefix}tenant:${t}:mapping:conv:${tag}`),
      `${prefix}context:${tag}`,
      `${prefix}context:${tag}:summary`,
    ];
    const publish = async (connection: RedisConnection, tag: string): Promise<void> => {
      await Promise.all(keysFor(tag).map((k) => connection.client.set(k, 'x')));
      await publishInvalidation(connection, config, 'conversation.correlated', { conversationId: tag, waId: `w-${tag}` });
      // A pattern event: one keyspace pass over the filler, long enough to be caught mid-way.
      await publishInvalidation(connection, config, 'planning.story.transitioned', { story_id: tag });
    };

    let admin = await connect({ url: server.url });
    await fill(admin.client, `${prefix}bulk:`, 300_000);
    const controller = new AbortController();
    const listening = runCli(
      ['--redis-url', server.url, '--config', file, '--connect-timeout', '1s', 'listen', '--consumer', 'crash-test', '--log-format', 'json'],
      {
        signal: controller.signal,
      },
    );
    const tags = ['before-1', 'before-2', 'before-3', 'after-1', 'after-2'];
    let result: Awaited<typeof listening> | undefined;
    try {
      for (const tag of tags.slice(0, 3)) await publish(admin, tag);
      // An entry read but not yet acknowledged: a pass is running. Crash the server now.
      await waitUntil(async () => (await pendingCount(admin.client, config.invalidation.stream)) > 0, 10_000, 'an entry in hand');
      await admin.close();
      await server.kill();
      figures.injected++;
      await server.restart();
      admin = await connect({ url: server.url });
      for (const tag of tags.slice(3)) await publish(admin, tag);
      await waitUntil(async () => (await countExisting(admin.client, tags.flatMap(keysFor))) === 0, 20_000, 'every key of every event gone');
      await waitUntil(async () => (await pendingCount(admin.client, config.invalidation.stream)) === 0, 10_000, 'every entry acknowledged');
    } finally {
      controller.abort();
      result = await listening;
    }
    try {
      expect(result.code, result.stderr).toBe(0);
      const logs = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(logs.some((l) => l.event === 'reconnect')).toBe(true);
      expect(logs.some((l) => l.event === 'reconnected')).toBe(true);
      // Every event is in the stream once (10 published), none dead-lettered, none pending.
      expect(await admin.client.xlen(config.invalidation.stream)).toBe(tags.length * 2);
      expect(await admin.client.exists(config.invalidation.deadLetterStream)).toBe(0);
      expect(await pendingCount(admin.client, config.invalidation.stream)).toBe(0);
      // The filler is no event's selection: all of it is still there.
      expect(await countMatching(admin, `${prefix}bulk:*`)).toBe(300_000);
      figures.survived++;
    } finally {
      await admin.close();
    }
  });
});
