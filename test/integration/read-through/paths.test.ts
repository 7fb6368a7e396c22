// The incident: a slow reader loaded `communication_id = null` before the correlation updated the
// database, and wrote it into tenant:default after the invalidation, where it stayed for the whole
// TTL. With read-through leases it does not survive the in-process invalidator, CacheManager,
// the CLI `invalidate` or a running `listen`; with plain fills (leases: false) it does, which is
// what these tests would catch.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.js';
import { CacheManager } from '../../../src/core/cache-manager.js';
import { createInvalidator } from '../../../src/core/invalidation/invalidator.js';
import { runListener, type SettledEntry } from '../../../src/core/invalidation/listener.js';
import { publishInvalidation } from '../../../src/core/invalidation/publish.js';
import { jsonCodec } from '../../../src/core/read-through/codec.js';
import { createReader } from '../../../src/core/read-through/reader.js';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { runCli } from '../../helpers/cli.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';
import { configInput, removeConfigFiles, testConfig, writeConfigFile } from '../invalidation/helpers.js';
import { interleave, type CaseKey, type Invalidate } from './interleave.js';

let server: ServerHandle;
const logDirs: string[] = [];
const logsDir = () => {
  logDirs.push(mkdtempSync(path.join(tmpdir(), 'cachectl-rt-logs-')));
  return logDirs.at(-1)!;
};
let connection: RedisConnection;

beforeAll(async () => {
  server = await startServer();
  connection = await connect({ url: server.url });
});
afterAll(async () => {
  removeConfigFiles();
  for (const dir of logDirs) rmSync(dir, { recursive: true, force: true });
  await connection?.close();
  await server?.stop();
});

type Mapping = { conversation_id: string; wa_id: string; communication_id: string | null };
const codec = jsonCodec<Mapping>();

function families(p: string, leases: boolean): ConfigInput {
  return {
    families: {
      convMapping: { template: `${p}tenant:{tenant}:mapping:conv:{conversationId}`, ttlSeconds: 86_400, readThrough: { leases, waitMs: 5 } },
      waMapping: { template: `${p}tenant:{tenant}:mapping:wa:{waId}`, ttlSeconds: 86_400, readThrough: { leases, waitMs: 5 } },
    },
  };
}

/**
 * The incident's order of events: the widget's read of tenant:default loads the mapping before the
 * correlation, the correlation updates the database and invalidates, then the slow read fills.
 */
async function incident(leases: boolean, invalidate: (config: ReturnType<typeof testConfig>, id: string) => Promise<void>) {
  const p = `inc${randomBytes(3).toString('hex')}:`;
  const config = testConfig(server.url, p, {}, families(p, leases));
  const reader = createReader(config, connection);
  const db: Mapping = { conversation_id: 'conv-1', wa_id: '27821234567', communication_id: null };
  const key = `${p}tenant:default:mapping:conv:conv-1`;
  let loaded!: () => void;
  const hasLoaded = new Promise<void>((resolve) => (loaded = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const slowRead = reader.read(
    key,
    async () => {
      const row = { ...db };
      loaded();
      await released;
      return row;
    },
    { codec },
  );
  await hasLoaded;
  db.communication_id = 'participant-7';
  await invalidate(config, 'conv-1');
  release();
  expect((await slowRead).communication_id).toBeNull();
  const after = await reader.read(key, async () => ({ ...db }), { codec });
  return { after, ttl: await connection.client.ttl(key), counts: reader.counts().convMapping };
}

const viaHandle = async (config: ReturnType<typeof testConfig>, id: string) =>
  void (await createInvalidator(config, connection).handle({ type: 'conversation.correlated', data: { conversationId: id, waId: '27821234567' } }));
const viaManager = async (config: ReturnType<typeof testConfig>, id: string) =>
  void (await new CacheManager({ connection, config }).invalidateConversation(id, { audit: false }));

describe('incident: a slow reader after the correlation', () => {
  it.each([
    ['handle(conversation.correlated)', viaHandle],
    ['invalidateConversation', viaManager],
  ])('%s: the slow read no longer puts communication_id = null back', async (_name, invalidate) => {
    const result = await incident(true, invalidate);
    expect(result.after.communication_id).toBe('participant-7');
    expect(result.counts).toMatchObject({ staleFillsRefused: 1, fills: 1 });
  });

  it.each([
    ['handle(conversation.correlated)', viaHandle],
    ['invalidateConversation', viaManager],
  ])('%s with plain fills: the stale mapping stays for the whole TTL', async (_name, invalidate) => {
    const result = await incident(false, invalidate);
    expect(result.after.communication_id).toBeNull();
    expect(result.ttl).toBeGreaterThan(86_000);
  });
});

describe('interleavings through the CLI and a running listen', () => {
  const keyOf =
    (p: string) =>
    (i: number, random: () => number): CaseKey => {
      const tenant = ['default', 'acme'][Math.floor(random() * 2)]!;
      return { key: `${p}tenant:${tenant}:mapping:conv:k${i}`, tenant, conversationId: `k${i}` };
    };

  async function throughCli(leases: boolean) {
    const p = `cli${randomBytes(3).toString('hex')}:`;
    const input = configInput(server.url, p, {}, { ...families(p, leases), logs: { dir: logsDir() } });
    const file = writeConfigFile(input);
    const config = testConfig(server.url, p, {}, families(p, leases));
    const base = ['--config', file, '--redis-url', server.url, '--yes'];
    const paths: Invalidate[] = [
      async (t) => void expect((await runCli(['invalidate', 'convMapping', '--conversationId', t.conversationId, ...base])).code).toBe(0),
      async (t) => void expect((await runCli(['invalidate', 'conversation', t.conversationId, ...base])).code).toBe(0),
      async (t) => void expect((await runCli(['invalidate', 'pattern', `${p}tenant:*:mapping:conv:${t.conversationId}`, ...base])).code).toBe(0),
    ];
    const readers = Array.from({ length: 3 }, () => createReader(config, connection));
    return interleave({ seed: 7, cases: 150, concurrency: 8, keyOf: keyOf(p), readers, invalidations: paths, client: connection.client });
  }

  async function throughListen(leases: boolean) {
    const p = `lis${randomBytes(3).toString('hex')}:`;
    const config = testConfig(server.url, p, {}, families(p, leases));
    const settled = new Map<string, () => void>();
    const done = new Set<string>();
    const controller = new AbortController();
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const listening = runListener(config, {
      connect: () => connect({ url: server.url }),
      consumer: 'rt-1',
      signal: controller.signal,
      onReady: () => ready(),
      onSettled: (entry: SettledEntry) => {
        done.add(entry.id);
        settled.get(entry.id)?.();
      },
    });
    await isReady;
    try {
      const viaListen: Invalidate = async (t) => {
        const { id } = await publishInvalidation(connection, config, 'conversation.correlated', {
          conversationId: t.conversationId,
          waId: `w${t.conversationId}`,
        });
        if (!done.has(id)) await new Promise<void>((resolve) => settled.set(id, resolve));
      };
      const readers = Array.from({ length: 3 }, () => createReader(config, connection));
      return await interleave({ seed: 11, cases: 300, concurrency: 16, keyOf: keyOf(p), readers, invalidations: [viaListen], client: connection.client });
    } finally {
      controller.abort();
      await listening;
    }
  }

  it('CLI invalidate (family, conversation, pattern): no stale fill with leases, stale fills without', async () => {
    const safe = await throughCli(true);
    expect(safe.cases).toBe(150);
    expect(safe.stale).toBe(0);
    const plain = await throughCli(false);
    expect(plain.stale).toBeGreaterThan(0);
  }, 120_000);

  it('a running listen: no stale fill with leases, stale fills without', async () => {
    const safe = await throughListen(true);
    expect(safe.cases).toBe(300);
    expect(safe.stale).toBe(0);
    const plain = await throughListen(false);
    expect(plain.stale).toBeGreaterThan(0);
  }, 120_000);
});
