import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { runListener, type ListenerLog, type SettledEntry } from '../../../src/core/invalidation/listener.js';
import { publishInvalidation } from '../../../src/core/invalidation/publish.js';
import { collectListenStatus } from '../../../src/core/invalidation/status.js';
import { UsageError } from '../../../src/errors.js';
import { runCli } from '../../helpers/cli.js';
import { randomPrefix, serverTargets } from '../../helpers/targets.js';
import { configInput, countExisting, removeConfigFiles, pendingCount, testConfig, waitUntil, writeConfigFile } from './helpers.js';

afterAll(() => removeConfigFiles());

describe.each(serverTargets())('listen on $name', (target) => {
  let connection: RedisConnection;
  beforeAll(async () => {
    connection = await connect({ url: target.url });
  });
  afterAll(async () => {
    await connection.close();
  });

  it('applies published events, acknowledges them after the keys are gone, and stops cleanly', async () => {
    const p = randomPrefix('listen');
    const config = testConfig(target.url, p, { claimIdleMs: 1000 });
    const stories = Array.from({ length: 10 }, (_, i) => `S-${i}`);
    const contextKeys = stories.flatMap((s) => [`${p}context:${s}`, `${p}context:${s}:summary`]);
    const convKeys = Array.from({ length: 30 }, (_, i) => ['default', 'acme', 'globex'].map((t) => `${p}tenant:${t}:mapping:conv:c-${i}`)).flat();
    const survivors = [`${p}context:T-1`, `${p}tenant:acme:mapping:conv:c-99`];
    await Promise.all([...contextKeys, ...convKeys, ...survivors].map((k) => connection.client.set(k, 'x', 'EX', 300)));

    const settled: SettledEntry[] = [];
    const logs: ListenerLog[] = [];
    const controller = new AbortController();
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const run = runListener(config, {
      connect: () => connect({ url: target.url }),
      consumer: 'worker-1',
      signal: controller.signal,
      log: (record) => logs.push(record),
      onSettled: (entry) => settled.push(entry),
      onReady: () => ready(),
    });
    await isReady;
    for (const story_id of stories) await publishInvalidation(connection, config, 'planning.story.transitioned', { story_id });
    for (let i = 0; i < 30; i++) await publishInvalidation(connection, config, 'conversation.correlated', { conversationId: `c-${i}`, waId: `w-${i}` });
    await publishInvalidation(connection, config, 'nobody.listens', {});
    await waitUntil(() => settled.length === 41, 15_000, '41 settled entries');

    expect(await countExisting(connection.client, [...contextKeys, ...convKeys])).toBe(0);
    expect(await countExisting(connection.client, survivors)).toBe(2);
    expect(await pendingCount(connection.client, config.invalidation.stream)).toBe(0);
    const status = await collectListenStatus(connection, config);
    expect(status).toMatchObject({ exists: true, length: 41, groupExists: true, pending: 0, oldestPending: null, deadLetters: 0 });
    expect(status.lag).toBe(0);
    expect(status.consumers.map((c) => c.name)).toEqual(['worker-1']);

    const stopAsked = Date.now();
    controller.abort();
    const totals = await run;
    expect(Date.now() - stopAsked).toBeLessThan(1500);
    expect(totals).toMatchObject({ entries: 41, handled: 40, unmatched: 1, failed: 0, deadLettered: 0, acked: 41, leftPending: 0, reconnects: 0 });
    expect(totals.passes).toBeGreaterThanOrEqual(1);
    expect(totals.passes).toBeLessThanOrEqual(10);
    const batches = logs.filter((l) => l.event === 'batch');
    expect(batches.length).toBe(totals.batches);
    expect(batches.reduce((n, b) => n + (b.entries as number), 0)).toBe(41);
    expect(logs.at(-1)).toMatchObject({ event: 'stop', handled: 40 });
    await Promise.all(survivors.map((k) => connection.client.unlink(k)));
    await connection.client.unlink(config.invalidation.stream);
  });

  it('the 50-key / 50-event stress case through the stream leaves 0 keys within 2 passes', async () => {
    const p = randomPrefix('listen-stress');
    const config = testConfig(target.url, p);
    const stories = Array.from({ length: 50 }, (_, i) => `STRESS-NEO-${String(i + 1).padStart(4, '0')}`);
    const keys = stories.map((s) => `${p}context:${s}`);
    await Promise.all(keys.map((k) => connection.client.set(k, 'x', 'EX', 300)));
    const controller = new AbortController();
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const run = runListener(config, { connect: () => connect({ url: target.url }), consumer: 'stress', signal: controller.signal, onReady: () => ready() });
    await isReady;
    await Promise.all(stories.map((story_id) => publishInvalidation(connection, config, 'planning.story.transitioned', { story_id })));
    await waitUntil(
      async () => (await pendingCount(connection.client, config.invalidation.stream)) === 0 && (await countExisting(connection.client, keys)) === 0,
      15_000,
      'all 50 applied',
    );
    controller.abort();
    const totals = await run;
    expect(totals).toMatchObject({ handled: 50, acked: 50, keysDeleted: 50 });
    expect(totals.passes).toBeLessThanOrEqual(2);
    await connection.client.unlink(config.invalidation.stream);
  });

  it('moves malformed events to the dead-letter stream at once, with the error', async () => {
    const p = randomPrefix('listen-dead');
    const config = testConfig(target.url, p, { claimIdleMs: 200, maxAttempts: 5 });
    const { stream, deadLetterStream } = config.invalidation;
    await connection.client.set(`${p}chats:d-1:c`, 'x', 'EX', 300);
    await connection.client.xadd(stream, '*', 'type', 'whatsapp.message', 'data', '{not json');
    await connection.client.xadd(stream, '*', 'type', 'whatsapp.message', 'data', '{"device":"d-1"}');
    const controller = new AbortController();
    const run = runListener(config, { connect: () => connect({ url: target.url }), consumer: 'w', signal: controller.signal });
    await waitUntil(async () => (await connection.client.xlen(deadLetterStream)) === 2, 10_000, 'two dead letters');
    controller.abort();
    const totals = await run;
    expect(totals).toMatchObject({ deadLettered: 2, handled: 0, leftPending: 0 });
    const dead = await connection.client.xrange(deadLetterStream, '-', '+');
    const records = dead.map(([, fields]) => Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]])));
    expect(records[0]).toMatchObject({ type: 'whatsapp.message', code: 'CACHECTL_USAGE', attempts: '1', consumer: 'w' });
    expect(records[0]!.error).toMatch(/not valid JSON/);
    expect(records[1]!.error).toMatch(/lacks field "deviceId"/);
    expect(await pendingCount(connection.client, stream)).toBe(0);
    expect(await connection.client.exists(`${p}chats:d-1:c`)).toBe(1); // never a wildcard
    for (const key of [stream, deadLetterStream, `${p}chats:d-1:c`]) await connection.client.unlink(key);
  });
});

describe.each(serverTargets())('consumer group housekeeping and pub/sub on $name', (target) => {
  it('removes consumers that hold nothing and were idle too long, never one with pending entries', async () => {
    const p = randomPrefix('listen-prune');
    const config = testConfig(target.url, p);
    const { stream } = config.invalidation;
    const connection = await connect({ url: target.url });
    try {
      await connection.client.call('XGROUP', 'CREATE', stream, 'cachectl', '0', 'MKSTREAM');
      await connection.client.call('XGROUP', 'CREATECONSUMER', stream, 'cachectl', 'ghost');
      await connection.client.xadd(stream, '*', 'type', 'nobody.listens', 'data', '{}');
      await connection.client.call('XREADGROUP', 'GROUP', 'cachectl', 'holder', 'COUNT', '1', 'STREAMS', stream, '>');
      await new Promise((resolve) => setTimeout(resolve, 60));
      const logs: ListenerLog[] = [];
      const controller = new AbortController();
      const run = runListener(config, {
        connect: () => connect({ url: target.url }),
        consumer: 'fresh',
        signal: controller.signal,
        pruneIdleMs: 50,
        log: (l) => logs.push(l),
        onReady: () => controller.abort(),
      });
      await run;
      expect(logs.find((l) => l.event === 'pruned')).toMatchObject({ consumers: ['ghost'] });
      const names = ((await connection.client.call('XINFO', 'CONSUMERS', stream, 'cachectl')) as unknown[][]).map((row) => String(row[1]));
      expect(names.sort()).toEqual(['fresh', 'holder']);
    } finally {
      await connection.client.unlink(stream);
      await connection.close();
    }
  });

  it('mirrors events on the pub/sub channel when one is configured', async () => {
    const p = randomPrefix('listen-pubsub');
    const config = testConfig(target.url, p, { channel: `${p}events` });
    const connection = await connect({ url: target.url });
    const subscriber = await connection.duplicate();
    try {
      const received = new Promise<string>((resolve) => subscriber.client.on('message', (_channel: string, message: string) => resolve(message)));
      await subscriber.client.subscribe(`${p}events`);
      const result = await publishInvalidation(connection, config, 'whatsapp.message', { deviceId: 'd-1' });
      expect(result.channel).toBe(`${p}events`);
      // On a cluster PUBLISH counts only the subscribers of the node that took it; delivery is cluster-wide.
      if (!target.cluster) expect(result.receivers).toBe(1);
      expect(JSON.parse(await received)).toMatchObject({ id: result.id, type: 'whatsapp.message', data: { deviceId: 'd-1' } });
      expect((await publishInvalidation(connection, config, 'whatsapp.message', { deviceId: 'd-1' }, { channel: false })).channel).toBeUndefined();
    } finally {
      await subscriber.close();
      await connection.client.unlink(config.invalidation.stream);
      await connection.close();
    }
  });
});

describe('publish and listen from the command line', () => {
  const [redis] = serverTargets();

  it('publish validates key=value and the rule’s fields before anything is written (exit 2)', async () => {
    const p = randomPrefix('cli-pub');
    const file = writeConfigFile(configInput(redis!.url, p));
    const base = ['--redis-url', redis!.url, '--config', file];
    const connection = await connect({ url: redis!.url });
    try {
      for (const args of [
        ['whatsapp.message', 'deviceId'],
        ['whatsapp.message', 'a=1', 'a=2'],
        ['whatsapp.message', 'device=d-1'],
        ['bad type'],
        ['x.y', '--data', '[1]'],
      ]) {
        const result = await runCli(['publish', ...args, ...base]);
        expect(result.code, args.join(' ')).toBe(2);
        expect(result.stderr).toMatch(/error: /);
      }
      expect(await connection.client.exists(`${p}inv`)).toBe(0);

      const ok = await runCli(['publish', 'whatsapp.message', 'deviceId=d-1', '--json', ...base]);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ type: 'whatsapp.message', stream: `${p}inv`, rules: 1, id: expect.stringMatching(/^\d+-\d+$/) });
      const unmatched = await runCli(['publish', 'nobody.listens', ...base]);
      expect(unmatched.code).toBe(0);
      expect(unmatched.stderr).toMatch(/no rule in this config handles "nobody\.listens"/);
      const entries = await connection.client.xrange(`${p}inv`, '-', '+');
      expect(entries.map(([, f]) => f.slice(0, 4))).toEqual([
        ['type', 'whatsapp.message', 'data', '{"deviceId":"d-1"}'],
        ['type', 'nobody.listens', 'data', '{}'],
      ]);
    } finally {
      await connection.client.unlink(`${p}inv`);
      await connection.close();
    }
  });

  it('listen --log-format json prints one JSON object per line and stops on the signal; --status reports', async () => {
    const p = randomPrefix('cli-listen');
    const file = writeConfigFile(configInput(redis!.url, p));
    const base = ['--redis-url', redis!.url, '--config', file];
    const connection = await connect({ url: redis!.url });
    try {
      const missing = await runCli(['listen', '--status', '--json', ...base]);
      expect(missing.code).toBe(0);
      expect(JSON.parse(missing.stdout)).toMatchObject({ exists: false, groupExists: false, pending: 0 });

      await connection.client.set(`${p}chats:dev-7:c1`, 'x', 'EX', 300);
      expect((await runCli(['publish', 'whatsapp.message', 'deviceId=dev-7', ...base])).code).toBe(0);
      const controller = new AbortController();
      const listening = runCli(['listen', '--log-format', 'json', '--consumer', 'cli-1', ...base], { signal: controller.signal });
      await waitUntil(async () => (await connection.client.exists(`${p}chats:dev-7:c1`)) === 0, 10_000, 'the chat list to go');
      await waitUntil(async () => (await pendingCount(connection.client, `${p}inv`)) === 0, 5_000, 'the ack');
      controller.abort();
      const result = await listening;
      expect(result.code).toBe(0);
      const lines = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as ListenerLog);
      expect(lines[0]).toMatchObject({ event: 'start', consumer: 'cli-1', stream: `${p}inv` });
      expect(lines.find((l) => l.event === 'batch')).toMatchObject({ entries: 1, applied: 1, deleted: 1, source: 'new' });
      expect(lines.at(-1)).toMatchObject({ event: 'stop', handled: 1 });
      for (const line of lines) expect(typeof line.time).toBe('string');

      const status = await runCli(['listen', '--status', ...base]);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(new RegExp(`stream ${p}inv: 1 entries`));
      expect(status.stdout).toMatch(/group cachectl: lag 0, 0 pending/);
      expect(status.stdout).toMatch(/cli-1/);
      expect(status.stdout).toMatch(/dead letters: 0/);
    } finally {
      await connection.client.unlink(`${p}inv`);
      await connection.close();
    }
  });

  it('an unreachable server ends listen and publish at once with exit 3 (no reconnect loop on the first connect)', async () => {
    const started = Date.now();
    const listen = await runCli(['listen', '--redis-url', 'redis://127.0.0.1:1', '--connect-timeout', '1s']);
    expect(listen.code).toBe(3);
    expect(listen.stderr).toMatch(/Cannot connect/);
    const publish = await runCli(['publish', 'whatsapp.message', 'deviceId=d', '--redis-url', 'redis://127.0.0.1:1', '--connect-timeout', '1s']);
    expect(publish.code).toBe(3);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a config whose blockMs is not below the command timeout is refused', async () => {
    const config = testConfig(redis!.url, randomPrefix('cli-block'), { blockMs: 20_000 });
    await expect(runListener(config, { connect: () => connect({ url: redis!.url }), consumer: 'x' })).rejects.toBeInstanceOf(UsageError);
  });
});
