// stats --top N on a server of its own: with --exact the biggest keys per family (and of no
// family) are exactly those MEMORY USAGE ranks first when asked key by key; sampled, every key
// listed is a real key of its group with its real size; the spread is p50 <= p99 <= max; keys
// above a family's ttlSeconds are counted. Also the CLI: tables, --json shape, bad combinations.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/load.js';
import { collectStats } from '../../../src/core/stats/collect.js';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { runCli } from '../../helpers/cli.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';

const config = resolveConfig({});
const TOP = 5;

describe('stats --top', () => {
  let server: ServerHandle;
  let client: Redis;
  let connection: RedisConnection;
  /** key → MEMORY USAGE, per group (family name or "(no family)"). */
  const sizes = new Map<string, Map<string, number>>();

  beforeAll(async () => {
    server = await startServer();
    client = new Redis(server.url);
    const p = client.pipeline();
    // Sizes vary by key so that the biggest are well defined (ties broken by the key name).
    for (let i = 0; i < 3000; i++) p.set(`user:state:+2782${i}`, 'x'.repeat((i * 37) % 500), 'EX', 86_400);
    for (let i = 0; i < 400; i++) p.set(`chats:d-${i % 4}:c-${i}`, 'y'.repeat((i * 13) % 900), 'EX', i % 50 === 0 ? 9000 : 300);
    for (let i = 0; i < 300; i++) p.set(`flags:f-${i}`, 'z'.repeat((i * 7) % 2000));
    p.set('blob', 'b'.repeat(20_000));
    await p.exec();
    for (const key of await client.keys('*')) {
      const group = key.startsWith('user:state:') ? 'userState' : key.startsWith('chats:') ? 'chatList' : '(no family)';
      const bytes = Number(await client.call('MEMORY', 'USAGE', key));
      if (!sizes.has(group)) sizes.set(group, new Map());
      sizes.get(group)!.set(key, bytes);
    }
    connection = await connect({ url: server.url });
  });

  afterAll(async () => {
    await connection?.close();
    client?.disconnect();
    await server?.stop();
  });

  const biggest = (group: string, n: number) =>
    [...sizes.get(group)!.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([, bytes]) => bytes);

  it('--exact: the biggest keys are the real biggest, per family and of no family', async () => {
    const stats = await collectStats(connection, config, { exact: true, sample: 500, top: TOP, skipQueues: true });
    expect(stats.top!.from).toBe('exact');
    for (const group of ['userState', 'chatList']) {
      const listed = stats.top!.families.find((f) => f.family === group)!;
      expect({ group, bytes: listed.keys.map((k) => k.bytes) }).toEqual({ group, bytes: biggest(group, TOP) });
      for (const k of listed.keys) expect(sizes.get(group)!.get(k.key)).toBe(k.bytes);
      expect(listed.spread!.max).toBe(biggest(group, 1)[0]);
      expect(listed.spread!.p50).toBeLessThanOrEqual(listed.spread!.p99);
      expect(listed.spread!.p99).toBeLessThanOrEqual(listed.spread!.max);
      expect(listed.spread!.measured).toBeGreaterThan(0);
    }
    expect(stats.top!.unknown.keys[0]).toMatchObject({ key: 'blob', namespace: '(no namespace)', bytes: sizes.get('(no family)')!.get('blob') });
    expect(stats.top!.unknown.keys.map((k) => k.bytes)).toEqual(biggest('(no family)', TOP));
    expect(stats.top!.unknown.keys[1]!.namespace).toBe('flags:*');
    // Families without keys list none.
    expect(stats.top!.families.find((f) => f.family === 'context')).toEqual({ family: 'context', spread: null, keys: [] });
    // TTL ceilings: 8 chatList keys have 9000 s, above the family's 300 s; userState keys are within 24 h.
    expect(stats.families.find((f) => f.name === 'chatList')!.keysAboveTtl).toBe(8);
    expect(stats.families.find((f) => f.name === 'userState')!.keysAboveTtl).toBe(0);
    expect(stats.families.find((f) => f.name === 'convMapping')!.keysAboveTtl).toBe(0); // 24 h policy by default
  });

  it('sampled: every key listed is a real key of its group with its real size, biggest first', async () => {
    const stats = await collectStats(connection, config, { sample: 1000, top: TOP, skipQueues: true });
    expect(stats.sampling.method).toBe('sample');
    expect(stats.top!.from).toBe('sample');
    for (const f of stats.top!.families.filter((x) => x.keys.length > 0)) {
      const real = sizes.get(f.family)!;
      for (const k of f.keys) expect({ key: k.key, bytes: real.get(k.key) }).toEqual({ key: k.key, bytes: k.bytes });
      expect(f.keys.map((k) => k.bytes)).toEqual([...f.keys.map((k) => k.bytes)].sort((a, b) => b - a));
      expect(new Set(f.keys.map((k) => k.key)).size).toBe(f.keys.length);
    }
    expect(stats.top!.families.find((f) => f.family === 'userState')!.keys).toHaveLength(TOP);
  });

  it('the CLI prints the spread and the biggest keys; --json carries `top`', async () => {
    const text = await runCli(['--redis-url', server.url, 'stats', '--top', '2', '--exact', '--no-queues']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/size \(MEMORY USAGE\)/);
    expect(text.stdout).toMatch(/biggest keys, up to 2 per family \(every key measured\)/);
    expect(text.stdout).toContain('blob');
    const json = await runCli(['--redis-url', server.url, '--json', 'stats', '--top', '2', '--exact', '--no-queues', '--namespaces', '1']);
    expect(json.code, json.stderr).toBe(0);
    const data = JSON.parse(json.stdout);
    expect(data.top.limit).toBe(2);
    expect(data.top.families.find((f: { family: string }) => f.family === 'userState').keys).toHaveLength(2);
    expect(data.unknown.namespaces).toHaveLength(1);
    expect(data.families.find((f: { name: string }) => f.name === 'chatList').keysAboveTtl).toBe(8);
    const without = JSON.parse((await runCli(['--redis-url', server.url, '--json', 'stats', '--no-queues'])).stdout);
    expect(without.top).toBeUndefined();
  });

  it('--top with --prometheus is a usage error (key names are not metrics)', async () => {
    const result = await runCli(['--redis-url', server.url, 'stats', '--top', '3', '--prometheus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--top and --prometheus cannot be combined/);
    expect(result.stdout).toBe('');
    const bad = await runCli(['--redis-url', server.url, 'stats', '--top', '0']);
    expect(bad.code).toBe(2);
  });
});
