// `ttl apply` and `cachectl ttl` on every shared server (standalone, cluster, Valkey): exactly the
// TTL-less keys of a family get its policy TTL; keys given a TTL or written during the run are left
// as they are (decided on the server when the TTL is set); --cap lowers only TTLs above the policy;
// jitter stays within the policy; the report counts per family and master.
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { ttlApply } from '../../src/core/operations/ttl.js';
import { CacheManager } from '../../src/index.js';
import { ttlReport } from '../../src/core/ttl/report.js';
import { clearingFixture, familiesFor, setKeys, type ClearingFixture } from '../helpers/clearing-fixture.js';
import { startCluster, startServer } from '../helpers/servers.js';
import { serverTargets } from '../helpers/targets.js';

const POLICY = 3600;

/** PTTL of every key (ms; -1 none, -2 missing), in chunks. */
async function pttls(client: Redis | Cluster, keys: string[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < keys.length; i += 1000) out.push(...(await Promise.all(keys.slice(i, i + 1000).map((k) => client.pttl(k)))));
  return out;
}

// 100k keys and more: on servers of their own, so that no other test file sharing a server sees a
// keyspace this size (their estimates and first steps depend on it).
describe.each(serverTargets())('ttl apply on $name', (shared) => {
  let fx: ClearingFixture;
  let own: { url: string; stop(): Promise<void> };
  const target = shared;
  const family = (p: string) => ({
    ...familiesFor(p),
    sess: { template: `${p}sess:{id}`, ttlSeconds: POLICY },
    cache: { template: `${p}cache:{id}`, ttlSeconds: 60 },
  });

  beforeAll(async () => {
    own = shared.cluster ? await startCluster() : await startServer(shared.name === 'valkey' ? { binary: 'valkey-server' } : {});
    fx = await clearingFixture({ url: own.url }, {}, 'ttl');
    fx.input = { ...fx.input, families: family(fx.prefix) };
    fx.config = resolveConfig(fx.input);
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
    await own?.stop();
  });

  const ctx = () => ({ connection: fx.connection, config: fx.config });
  const key = (name: string, i: number) => `${fx.prefix}${name}:${i}`;

  it('100k keys without a TTL get exactly the policy; keys with one, and other families, are left alone', async () => {
    const bare = Array.from({ length: 100_000 }, (_, i) => key('sess', i));
    const timed = Array.from({ length: 2_000 }, (_, i) => key('sess', 200_000 + i));
    const other = Array.from({ length: 1_000 }, (_, i) => `${fx.prefix}chats:d:${i}`);
    await setKeys(fx.client, bare);
    await setKeys(fx.client, timed, 'v', 600);
    await setKeys(fx.client, other);

    const dry = await ttlApply(ctx(), { families: ['sess'], dryRun: true });
    expect(dry.applied).toBe(bare.length);
    expect((await pttls(fx.client, bare.slice(0, 100))).every((t) => t === -1)).toBe(true);

    const report = await ttlReport(fx.connection, fx.config, { families: ['sess'] });
    expect(report.families[0]).toMatchObject({ family: 'sess', keys: bare.length + timed.length, noTtl: bare.length, aboveTtl: 0 });
    if (target.cluster) expect(report.families[0]!.nodes.length).toBeGreaterThan(1);
    expect(report.families[0]!.nodes.reduce((n, node) => n + node.noTtl, 0)).toBe(bare.length);

    const result = await ttlApply(ctx(), { families: ['sess'], force: true });
    expect(result.applied).toBe(bare.length);
    expect(result.deleted).toBe(bare.length);
    // Keys that already have a TTL are passed over with one PTTL (not counted per family without --cap).
    expect(result.families).toEqual([{ family: 'sess', ttlSeconds: POLICY, applied: bare.length, kept: 0 }]);
    const after = await pttls(fx.client, bare);
    expect(after.filter((t) => t > (POLICY - 60) * 1000 && t <= POLICY * 1000).length).toBe(bare.length);
    expect((await pttls(fx.client, timed)).every((t) => t > 0 && t <= 600_000)).toBe(true);
    expect((await pttls(fx.client, other)).every((t) => t === -1)).toBe(true);
    expect((await fx.existing(bare.slice(0, 50))).length).toBe(50);
    // The audit line says what it did.
    expect(fx.audit().at(-1)).toMatchObject({ command: 'ttl apply', targets: ['sess'], result: { applied: bare.length } });
  }, 120_000);

  it('keys given a TTL or rewritten while the run goes are left as they are', async () => {
    const keys = Array.from({ length: 40_000 }, (_, i) => key('cache', i));
    await setKeys(fx.client, keys);
    const touched = keys.filter((_, i) => i % 10 === 3);
    const written = Array.from({ length: 2_000 }, (_, i) => key('cache', 100_000 + i));
    let stop = false;
    const appTouched: string[] = [];
    const appWritten: string[] = [];
    // Meanwhile the application gives some keys a long TTL, and writes new keys with one.
    const app = (async () => {
      for (let i = 0; i < touched.length && !stop; i += 200) {
        const batch = touched.slice(i, i + 200);
        const fresh = written.slice(i / 2, i / 2 + 100);
        await Promise.all([...batch.map((k) => fx.client.expire(k, 99_999)), ...fresh.map((k) => fx.client.set(k, 'new', 'EX', 99_999))]);
        appTouched.push(...batch);
        appWritten.push(...fresh);
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const result = await ttlApply(ctx(), { families: ['cache'], force: true, rate: 20_000, batch: 500 });
    stop = true;
    await app;
    expect(appTouched.length).toBeGreaterThan(400);
    // What the application did while the run went is what stands: never lowered to the 60 s policy.
    expect((await pttls(fx.client, appTouched)).every((t) => t > 99_000_000)).toBe(true);
    expect((await pttls(fx.client, appWritten)).every((t) => t > 99_000_000)).toBe(true);
    const untouched = touched.filter((k) => !appTouched.includes(k));
    expect((await pttls(fx.client, untouched)).every((t) => t > 0 && t <= 60_000)).toBe(true);
    // Every other key got the policy; the run counted exactly the keys it changed.
    const rest = keys.filter((_, i) => i % 10 !== 3);
    expect((await pttls(fx.client, rest)).every((t) => t > 0 && t <= 60_000)).toBe(true);
    expect(result.applied).toBeGreaterThanOrEqual(rest.length);
    expect(result.applied).toBeLessThanOrEqual(keys.length);
  }, 120_000);

  it('--cap lowers only TTLs above the policy; jitter keeps TTLs within it and is the same per key', async () => {
    const above = Array.from({ length: 3_000 }, (_, i) => key('sess', 300_000 + i));
    const below = Array.from({ length: 1_000 }, (_, i) => key('sess', 400_000 + i));
    const none = Array.from({ length: 1_000 }, (_, i) => key('sess', 500_000 + i));
    await setKeys(fx.client, above, 'v', 30 * 86_400);
    await setKeys(fx.client, below, 'v', 100);
    await setKeys(fx.client, none);
    const capped = await ttlApply(ctx(), { families: ['sess'], missing: false, cap: true, jitter: 0.1, force: true });
    expect(capped.applied).toBe(above.length);
    const aboveTtl = await pttls(fx.client, above);
    expect(aboveTtl.every((t) => t > 0.9 * POLICY * 1000 - 60_000 && t <= POLICY * 1000)).toBe(true);
    // The jitter spreads them: not all in the same second.
    expect(new Set(aboveTtl.map((t) => Math.floor(t / 1000))).size).toBeGreaterThan(100);
    expect((await pttls(fx.client, below)).every((t) => t > 0 && t <= 100_000)).toBe(true);
    expect((await pttls(fx.client, none)).every((t) => t === -1)).toBe(true);
  }, 120_000);
});

describe('cachectl ttl / ttl apply (CLI)', () => {
  let fx: ClearingFixture;
  beforeAll(async () => {
    const base = await clearingFixture(serverTargets()[0]!, {}, 'ttlcli');
    await base.close();
    fx = await clearingFixture(
      serverTargets()[0]!,
      { families: { ...familiesFor(base.prefix), sess: { template: `${base.prefix}sess:{id}`, ttlSeconds: 3600 } } },
      'ttlcli',
    );
    await setKeys(
      fx.client,
      Array.from({ length: 1_500 }, (_, i) => `${base.prefix}sess:${i}`),
    );
    await setKeys(fx.client, [`${base.prefix}sess:long`], 'v', 90 * 86_400);
  });
  afterAll(async () => fx?.close());

  it('reports, refuses a large run without a terminal, applies with --yes, and audits', async () => {
    const report = await fx.cli(['ttl', 'sess', '--json']);
    expect(report.code, report.stderr).toBe(0);
    const family = JSON.parse(report.stdout).families[0];
    expect(family).toMatchObject({ family: 'sess', ttlSeconds: 3600, keys: 1_501, noTtl: 1_500, aboveTtl: 1, spread: [0, 0, 0, 0, 0, 1] });
    const human = await fx.cli(['ttl', 'sess']);
    expect(human.stdout).toMatch(/sess\s+│\s+1h 0m\s+│\s+1,501\s+│\s+1,500\s+│\s+1\s/);
    expect(human.stderr).toMatch(/cachectl ttl apply --dry-run/);

    const dry = await fx.cli(['ttl', 'apply', 'sess', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/dry run: 1,500 key\(s\) without a TTL would get the policy TTL/);

    const refused = await fx.cli(['ttl', 'apply', 'sess']);
    expect(refused.code).toBe(4);
    const done = await fx.cli(['ttl', 'apply', 'sess', '--cap', '--jitter', '10%', '--yes', '--json']);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ applied: 1_501, apply: 'both', jitter: 0.1 });
    const again = await fx.cli(['ttl', 'sess', '--json']);
    expect(JSON.parse(again.stdout).families[0]).toMatchObject({ noTtl: 0, aboveTtl: 0 });
    expect(fx.audit().filter((a) => a.command === 'ttl apply').length).toBe(2);
    expect((await fx.cli(['ttl', 'apply', 'sess', '--jitter', '80%'])).code).toBe(2);
  });
});

describe('maintenance step ttl-policy', () => {
  let fx: ClearingFixture;
  beforeAll(async () => {
    fx = await clearingFixture(serverTargets()[0]!, {}, 'ttlmaint');
  });
  afterAll(async () => fx?.close());

  it('gives TTL-less keys of families with ttlSeconds their policy; maintenance.ttlPolicy: false leaves them', async () => {
    const namespace = `m${fx.prefix.replace(/[^a-z0-9]/gi, '')}`;
    const families = { ...familiesFor(fx.prefix), sess: { template: `${fx.prefix}sess:{id}`, ttlSeconds: 7200 } };
    const keys = Array.from({ length: 300 }, (_, i) => `${fx.prefix}sess:${i}`);
    await setKeys(fx.client, keys);
    const off = new CacheManager({ redis: fx.client, config: { ...fx.input, namespace, families, maintenance: { ttlPolicy: false } } });
    const skipped = await off.performMaintenance({ audit: false });
    expect(skipped.run.steps?.find((s) => s.name === 'ttl-policy')?.status).toBe('ok');
    expect((await pttls(fx.client, keys)).every((t) => t === -1)).toBe(true);
    const on = new CacheManager({ redis: fx.client, config: { ...fx.input, namespace, families } });
    const dry = await on.performMaintenance({ audit: false, dryRun: true });
    expect(dry.run.status).toBe('ok');
    expect((await pttls(fx.client, keys)).every((t) => t === -1)).toBe(true);
    const done = await on.performMaintenance({ audit: false });
    expect(done.run.status).toBe('ok');
    expect((await pttls(fx.client, keys)).every((t) => t > 7_100_000 && t <= 7_200_000)).toBe(true);
    const report = await on.ttlReport({ families: ['sess'] });
    expect(report.families[0]).toMatchObject({ keys: 300, noTtl: 0, aboveTtl: 0 });
  }, 60_000);
});
