// The listener under faults, each on a server of its own: an entry that keeps failing, a consumer
// killed mid-batch, a server restart, and a stop in the middle of a keyspace pass.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { runListener, type ListenerLog } from '../../../src/core/invalidation/listener.js';
import { publishInvalidation } from '../../../src/core/invalidation/publish.js';
import { BIN, cleanEnv, ROOT } from '../../helpers/cli.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';
import { configInput, countExisting, removeConfigFiles, fill, pendingCount, testConfig, waitUntil, writeConfigFile } from './helpers.js';

afterAll(() => removeConfigFiles());

async function consumerPending(client: RedisConnection['client'], stream: string, consumer: string): Promise<number> {
  try {
    const summary = (await client.call('XPENDING', stream, 'cachectl')) as [number, string, string, Array<[string, string]> | null];
    return Number(summary[3]?.find(([name]) => name === consumer)?.[1] ?? 0);
  } catch {
    return 0; // no group yet
  }
}

/** The built binary's `listen` as its own process (JSON logs), for kill and signal tests. */
function spawnListener(url: string, input: Parameters<typeof writeConfigFile>[0], consumer: string) {
  const child = spawn(
    process.execPath,
    [BIN, 'listen', '--redis-url', url, '--config', writeConfigFile(input), '--consumer', consumer, '--log-format', 'json'],
    {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe('dead letters after repeated failures', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.stop());

  it('retries through XAUTOCLAIM and dead-letters after maxAttempts deliveries', async () => {
    const admin = await connect({ url: server.url });
    try {
      await admin.client.call('ACL', 'SETUSER', 'nounlink', 'on', '>pw-nounlink', '~*', '&*', '+@all', '-unlink');
      const config = testConfig(server.url, 'dl:', { claimIdleMs: 200, maxAttempts: 3 });
      await admin.client.set('dl:user:state:42', 'x');
      await publishInvalidation(admin, config, 'planning.story.transitioned', { story_id: 'S-1' }); // nothing to delete: succeeds
      const failing = await publishInvalidation(admin, config, 'user.changed', { phone: '42' }, { check: false });
      const limitedUrl = `redis://nounlink:pw-nounlink@127.0.0.1:${server.port}`;
      const withRule = testConfig(limitedUrl, 'dl:', {
        claimIdleMs: 200,
        maxAttempts: 3,
        rules: [
          { event: 'user.changed', family: 'userState', map: { phone: 'phone' } },
          { event: 'planning.story.transitioned', family: 'context', map: { storyId: 'story_id' } },
        ],
      });
      const logs: ListenerLog[] = [];
      const controller = new AbortController();
      const run = runListener(withRule, { connect: () => connect({ url: limitedUrl }), consumer: 'w', signal: controller.signal, log: (l) => logs.push(l) });
      await waitUntil(async () => (await admin.client.xlen(config.invalidation.deadLetterStream)) === 1, 10_000, 'the dead letter');
      controller.abort();
      const totals = await run;
      expect(totals).toMatchObject({ handled: 1, failed: 2, deadLettered: 1, leftPending: 0 });
      const fields = (await admin.client.xrange(config.invalidation.deadLetterStream, '-', '+'))[0]![1];
      const record = Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]]));
      expect(record).toMatchObject({ id: failing.id, type: 'user.changed', data: '{"phone":"42"}', attempts: '3', code: 'CACHECTL_NOPERM', consumer: 'w' });
      expect(record.error).toMatch(/unlink/i);
      expect(logs.filter((l) => l.event === 'failure').map((l) => l.attempt)).toEqual([1, 2]);
      expect(await pendingCount(admin.client, config.invalidation.stream)).toBe(0);
      expect(await admin.client.exists('dl:user:state:42')).toBe(1);
    } finally {
      await admin.close();
    }
  });
});

describe('a consumer killed mid-batch', () => {
  let server: ServerHandle;
  let admin: RedisConnection;
  beforeAll(async () => {
    server = await startServer();
    admin = await connect({ url: server.url });
    await fill(admin.client, 'bulk:', 400_000); // a keyspace pass now takes a few hundred ms
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
  });

  it('loses no event: another consumer reclaims its pending entries with XAUTOCLAIM', async () => {
    if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run "npm run build" (npm test does it)');
    const input = configInput(server.url, 'k:', { claimIdleMs: 500 });
    const config = testConfig(server.url, 'k:', { claimIdleMs: 500 });
    const stories = Array.from({ length: 10 }, (_, i) => `S-${i}`);
    const keys = stories.map((s) => `k:context:${s}`);
    await Promise.all(keys.map((k) => admin.client.set(k, 'x')));

    const { child, output, exited } = spawnListener(server.url, input, 'victim');
    try {
      await waitUntil(() => output().includes('"event":"start"'), 10_000, 'the listener to start');
      for (const story_id of stories) await publishInvalidation(admin, config, 'planning.story.transitioned', { story_id });
      // Read but not acknowledged: the pattern pass is still running. Kill it now.
      await waitUntil(async () => (await consumerPending(admin.client, config.invalidation.stream, 'victim')) > 0, 10_000, 'entries pending at the victim');
      child.kill('SIGKILL');
      await exited;
    } finally {
      child.kill('SIGKILL');
    }
    const orphaned = await consumerPending(admin.client, config.invalidation.stream, 'victim');
    expect(orphaned).toBeGreaterThan(0);
    expect(output()).not.toMatch(/"event":"stop"/);

    const controller = new AbortController();
    const run = runListener(config, { connect: () => connect({ url: server.url }), consumer: 'rescuer', signal: controller.signal });
    await waitUntil(async () => (await pendingCount(admin.client, config.invalidation.stream)) === 0, 20_000, 'every entry acknowledged');
    controller.abort();
    const totals = await run;
    expect(totals.claimed).toBe(orphaned);
    expect(await countExisting(admin.client, keys)).toBe(0);
    expect(await consumerPending(admin.client, config.invalidation.stream, 'victim')).toBe(0);
  });

  it('the built binary stops on SIGTERM within PM2’s default kill_timeout (1600 ms) and exits 0', async () => {
    const input = configInput(server.url, 'g:', { claimIdleMs: 60_000 });
    const config = testConfig(server.url, 'g:', { claimIdleMs: 60_000 });
    await admin.client.set('g:context:A', 'x');
    const { child, output, exited } = spawnListener(server.url, input, 'graceful');
    try {
      await waitUntil(() => output().includes('"event":"start"'), 10_000, 'the listener to start');
      await publishInvalidation(admin, config, 'planning.story.transitioned', { story_id: 'A' });
      await waitUntil(async () => (await consumerPending(admin.client, config.invalidation.stream, 'graceful')) === 1, 10_000, 'the entry in hand');
      const asked = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - asked).toBeLessThan(1600);
    } finally {
      child.kill('SIGKILL');
    }
    const stop = output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ListenerLog)
      .find((l) => l.event === 'stop');
    expect(stop).toBeDefined();
    // Finished and acknowledged, or given back: never lost.
    const pending = await pendingCount(admin.client, config.invalidation.stream);
    expect((stop!.handled as number) + pending).toBe(1);
    expect(stop!.leftPending).toBe(pending);
  });

  it('a stop finishes the pass in hand and acknowledges it; past the stop timeout it leaves the entry pending for redelivery', async () => {
    const config = testConfig(server.url, 's:', { claimIdleMs: 60_000 });
    await admin.client.set('s:context:A', 'x');
    const controller = new AbortController();
    const run = runListener(config, { connect: () => connect({ url: server.url }), consumer: 'stopper', signal: controller.signal, stopTimeoutMs: 10_000 });
    await publishInvalidation(admin, config, 'planning.story.transitioned', { story_id: 'A' });
    await waitUntil(async () => (await consumerPending(admin.client, config.invalidation.stream, 'stopper')) === 1, 10_000, 'the entry in hand');
    controller.abort();
    expect(await run).toMatchObject({ handled: 1, leftPending: 0, acked: 1 });
    expect(await admin.client.exists('s:context:A')).toBe(0);
    expect(await pendingCount(admin.client, config.invalidation.stream)).toBe(0);

    // Same again with a stop timeout far shorter than a pass: the entry is given back.
    await admin.client.set('s:context:B', 'x');
    const hurried = new AbortController();
    const second = runListener(config, { connect: () => connect({ url: server.url }), consumer: 'stopper', signal: hurried.signal, stopTimeoutMs: 20 });
    await publishInvalidation(admin, config, 'planning.story.transitioned', { story_id: 'B' });
    await waitUntil(async () => (await consumerPending(admin.client, config.invalidation.stream, 'stopper')) === 1, 10_000, 'the entry in hand');
    const asked = Date.now();
    hurried.abort();
    expect(await second).toMatchObject({ handled: 0, leftPending: 1, acked: 0 });
    expect(Date.now() - asked).toBeLessThan(1000);
    expect(await pendingCount(admin.client, config.invalidation.stream)).toBe(1);

    // A restart under the same consumer name re-reads its own pending entry first.
    const logs: ListenerLog[] = [];
    const again = new AbortController();
    const third = runListener(config, { connect: () => connect({ url: server.url }), consumer: 'stopper', signal: again.signal, log: (l) => logs.push(l) });
    await waitUntil(async () => (await pendingCount(admin.client, config.invalidation.stream)) === 0, 10_000, 'the redelivery');
    again.abort();
    expect(await third).toMatchObject({ handled: 1, claimed: 0 });
    expect(logs.find((l) => l.event === 'batch')).toMatchObject({ source: 'pending', applied: 1 });
    expect(await admin.client.exists('s:context:B')).toBe(0);
  });
});

describe('a server restart', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startServer({ persistence: true });
  });
  afterAll(async () => server?.stop());

  it('reconnects with backoff and applies every event published before and after the restart', async () => {
    const config = testConfig(server.url, 'r:', { claimIdleMs: 5000 });
    const keysFor = (tag: string): string[] => [
      ...['default', 'acme', 'globex'].map((t) => `r:tenant:${t}:mapping:conv:${tag}`),
      `r:context:${tag}`,
      `r:context:${tag}:summary`,
    ];
    const publishAll = async (connection: RedisConnection, tag: string): Promise<void> => {
      await Promise.all(keysFor(tag).map((k) => connection.client.set(k, 'x')));
      await publishInvalidation(connection, config, 'conversation.correlated', { conversationId: tag, waId: `w-${tag}` });
      await publishInvalidation(connection, config, 'planning.story.transitioned', { story_id: tag });
    };
    const logs: ListenerLog[] = [];
    const controller = new AbortController();
    const run = runListener(config, {
      connect: () => connect({ url: server.url, connectTimeoutMs: 1000 }),
      consumer: 'survivor',
      signal: controller.signal,
      reconnectInitialMs: 100,
      reconnectMaxMs: 400,
      log: (l) => logs.push(l),
    });
    let admin = await connect({ url: server.url });
    const before = ['before-1', 'before-2', 'before-3'];
    for (const tag of before) await publishAll(admin, tag);
    await waitUntil(async () => (await countExisting(admin.client, keysFor('before-1'))) === 0, 10_000, 'the first events');
    const racing = ['racing-1', 'racing-2']; // published just before the restart: maybe applied, maybe not
    for (const tag of racing) await publishAll(admin, tag);
    await admin.close();
    await server.restart();
    admin = await connect({ url: server.url });
    try {
      const after = ['after-1', 'after-2'];
      for (const tag of after) await publishAll(admin, tag);
      const all = [...before, ...racing, ...after].flatMap(keysFor);
      await waitUntil(async () => (await countExisting(admin.client, all)) === 0, 20_000, 'every key gone');
      await waitUntil(async () => (await pendingCount(admin.client, config.invalidation.stream)) === 0, 10_000, 'every entry acknowledged');
      controller.abort();
      const totals = await run;
      expect(totals.reconnects).toBeGreaterThanOrEqual(1);
      expect(totals.handled).toBeGreaterThanOrEqual(14);
      expect(logs.some((l) => l.event === 'reconnect' && l.level === 'warn')).toBe(true);
      expect(logs.some((l) => l.event === 'reconnected')).toBe(true);
      expect(await admin.client.xlen(config.invalidation.stream)).toBe(14);
    } finally {
      controller.abort();
      await admin.close();
    }
  });
});
