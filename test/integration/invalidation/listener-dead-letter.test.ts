// A poison entry is dead-lettered once: a listener killed between dead-lettering and acknowledging
// it (here: its user may not XACK, then SIGKILL) does not make the next listener add it again —
// also on a cluster, where the dead-letter stream and its index sit in another slot.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendDeadLetter } from '../../../src/core/invalidation/dead-letter.js';
import { runListener } from '../../../src/core/invalidation/listener.js';
import { publishInvalidation } from '../../../src/core/invalidation/publish.js';
import { UsageError } from '../../../src/errors.js';
import { connect } from '../../../src/redis/connect.js';
import { BIN, cleanEnv, ROOT } from '../../helpers/cli.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';
import { randomPrefix, serverTargets } from '../../helpers/targets.js';
import { configInput, pendingCount, removeConfigFiles, testConfig, waitUntil, writeConfigFile } from './helpers.js';

afterAll(() => removeConfigFiles());

const RULES = [{ event: 'user.changed', family: 'userState', map: { phone: 'phone' } }];

describe('dead letter, then killed before the ack', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.stop());

  it('the next listener acknowledges the entry without a second dead letter', async () => {
    const admin = await connect({ url: server.url });
    try {
      // Both users fail the entry (no UNLINK); the first may not acknowledge it either.
      await admin.client.call('ACL', 'SETUSER', 'noack', 'on', '>pw-noack', '~*', '&*', '+@all', '-unlink', '-xack');
      await admin.client.call('ACL', 'SETUSER', 'nounlink', 'on', '>pw-nounlink', '~*', '&*', '+@all', '-unlink');
      const settings = { claimIdleMs: 200, maxAttempts: 1, rules: RULES };
      const config = testConfig(server.url, 'dk:', settings);
      await admin.client.set('dk:user:state:42', 'x');
      await publishInvalidation(admin, config, 'user.changed', { phone: '42' }, { check: false });

      const url = `redis://noack:pw-noack@127.0.0.1:${server.port}`;
      const child = spawn(
        process.execPath,
        [BIN, 'listen', '--redis-url', url, '--config', writeConfigFile(configInput(url, 'dk:', settings)), '--consumer', 'w', '--log-format', 'json'],
        { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await waitUntil(async () => (await admin.client.xlen(config.invalidation.deadLetterStream)) === 1, 15_000, 'the dead letter');
      await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGKILL');
      await exited;
      expect(await pendingCount(admin.client, config.invalidation.stream)).toBe(1);

      const limited = `redis://nounlink:pw-nounlink@127.0.0.1:${server.port}`;
      const controller = new AbortController();
      const run = runListener(testConfig(limited, 'dk:', settings), { connect: () => connect({ url: limited }), consumer: 'w', signal: controller.signal });
      await waitUntil(async () => (await pendingCount(admin.client, config.invalidation.stream)) === 0, 10_000, 'the ack');
      controller.abort();
      await run;
      expect(await admin.client.xlen(config.invalidation.deadLetterStream)).toBe(1);
    } finally {
      await admin.close();
    }
  }, 30_000);
});

describe.each(serverTargets())('dead letters are added once per entry on $name', (target) => {
  it('a second append of the same entry returns the first dead letter', async () => {
    const connection = await connect({ url: target.url });
    try {
      const prefix = randomPrefix('dead');
      const dead = `${prefix}dead`;
      const letter = { entry: { id: '1-1', fields: ['type', 'x', 'data', '{}'] }, type: 'x', error: new UsageError('bad'), attempts: 1, consumer: 'c' };
      const first = await appendDeadLetter(connection.client, dead, 100, letter);
      const second = await appendDeadLetter(connection.client, dead, 100, letter);
      expect(first.added).toBe(true);
      expect(second).toEqual({ id: first.id, added: false });
      expect(await connection.client.xlen(dead)).toBe(1);
      await connection.client.del(dead);
      await connection.client.del(`${dead}:sources{${dead}}`);
    } finally {
      await connection.close();
    }
  });
});
