// A pattern event that arrives while a pass runs joins it for the rest of each master's cursor
// range and gets one partial pass for the part it missed; keys of that part, created before the
// event, are deleted too. Standalone Redis, a Redis cluster and a Valkey cluster (whose SCAN
// cursors carry the slot in their low bits).
import { Cluster, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvalidator } from '../../../src/core/invalidation/invalidator.js';
import type { PassReport } from '../../../src/core/invalidation/pattern-pass.js';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { keySlot } from '../../../src/redis/topology.js';
import { hasBinary, startCluster, startServer } from '../../helpers/servers.js';
import { randomPrefix } from '../../helpers/targets.js';
import { countExisting, testConfig } from './helpers.js';

interface Target {
  name: string;
  start(): Promise<{ url: string; stop(): Promise<void> }>;
}

const targets: Target[] = [
  { name: 'redis', start: () => startServer() },
  { name: 'redis cluster', start: () => startCluster() },
];
if (hasBinary('valkey-server')) targets.push({ name: 'valkey cluster', start: () => startCluster({ binary: 'valkey-server' }) });

/** SET every key on the master that serves it (one script call per chunk of keys of one master). */
async function seed(connection: RedisConnection, keys: string[]): Promise<void> {
  const client = connection.client;
  if (!(client instanceof Cluster)) {
    for (let i = 0; i < keys.length; i += 1000) await client.mset(...keys.slice(i, i + 1000).flatMap((k) => [k, 'x']));
    return;
  }
  const owners = new Map<number, Redis>();
  for (const node of connection.masters()) {
    const slots = (await node.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
    for (const [from, to, [, port]] of slots) if (port === node.options.port) for (let s = from; s <= to; s++) owners.set(s, node);
  }
  const byNode = new Map<Redis, string[]>();
  for (const key of keys) {
    const node = owners.get(keySlot(Buffer.from(key)))!;
    byNode.set(node, [...(byNode.get(node) ?? []), key]);
  }
  const script = "#!lua flags=allow-cross-slot-keys\nfor _, k in ipairs(ARGV) do redis.call('SET', k, 'x') end return #ARGV";
  for (const [node, list] of byNode) for (let i = 0; i < list.length; i += 1000) await node.eval(script, 0, ...list.slice(i, i + 1000));
}

/** Calls of a command over every master, from INFO commandstats. */
async function calls(connection: RedisConnection, command: string): Promise<number> {
  let total = 0;
  for (const node of connection.masters()) {
    const info = await node.info('commandstats');
    total += Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  }
  return total;
}

describe.each(targets)('a pattern event joins the running pass on $name', (target) => {
  let server: { url: string; stop(): Promise<void> };
  let connection: RedisConnection;
  beforeAll(async () => {
    server = await target.start();
    connection = await connect({ url: server.url });
  }, 60_000);
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  it('is applied by the running pass for the rest of the range plus one partial pass, and misses no key', async () => {
    const p = randomPrefix('join');
    // Small delete steps make the first pass long (its 20,000 keys go 50 per step).
    const config = testConfig(server.url, p, {}, { scan: { serverBatch: 50 } });
    const first = Array.from({ length: 20_000 }, (_, i) => `${p}context:A:${i}`);
    const joined = Array.from({ length: 300 }, (_, i) => `${p}context:B:${i}`);
    const filler = Array.from({ length: 20_000 }, (_, i) => `${p}filler:${i}`);
    await seed(connection, [...first, ...joined, ...filler]);

    const reports: PassReport[] = [];
    let late: Promise<{ pass?: number; deleted: number }> | undefined;
    let steps = 0;
    const invalidator = createInvalidator(config, connection, {
      onPass: (report) => reports.push(report),
      onPassStart: (pass) => {
        if (pass !== 1) return;
        // Once pass 1 has done some steps, the second event arrives.
        late = (async () => {
          const base = await calls(connection, 'evalsha');
          while ((steps = (await calls(connection, 'evalsha')) - base) < 15) await new Promise((resolve) => setTimeout(resolve, 2));
          return invalidator.handle({ type: 'planning.story.transitioned', data: { story_id: 'B' } });
        })();
      },
    });
    const a = await invalidator.handle({ type: 'planning.story.transitioned', data: { story_id: 'A' } });
    const b = await late!;
    expect(steps).toBeGreaterThanOrEqual(15);
    expect(a).toMatchObject({ ok: true, pass: 1, deleted: first.length });
    // B was served by pass 1 from where it joined, and by pass 2 for what pass 1 had scanned before.
    expect(b).toMatchObject({ ok: true, pass: 2, deleted: joined.length });
    await invalidator.flush(); // the pass reports come at the end of each pass
    expect(reports).toHaveLength(2);
    const [one, two] = reports as [PassReport, PassReport];
    // Pass 1 deleted B's keys in the rest of its range, pass 2 those of the part B missed.
    expect(one.deleted).toBeGreaterThan(first.length);
    expect(two.deleted).toBeGreaterThan(0);
    expect(two.deleted).toBeLessThan(joined.length);
    expect(one.deleted + two.deleted).toBe(first.length + joined.length);
    expect(reports.map((r) => ({ pass: r.pass, joined: r.joined, partial: r.partial }))).toEqual([
      { pass: 1, joined: 1, partial: false },
      { pass: 2, joined: 0, partial: true },
    ]);
    expect(await countExisting(connection.client, [...joined, ...first.slice(0, 500)])).toBe(0);
    expect(await countExisting(connection.client, filler.slice(0, 500))).toBe(500);
    expect(invalidator.stats()).toMatchObject({ passes: 2, pendingPatterns: 0, handled: 2, failures: 0 });
  }, 60_000);
});
