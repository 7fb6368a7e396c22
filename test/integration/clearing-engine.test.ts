// The keyspace engine on every server kind: patterns kept on the server, exact keys, binary keys,
// glob metacharacters, queue exclusion, limits, rate, abort, capture == deleted, no CROSSSLOT.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearAll } from '../../src/core/operations/clear-all.js';
import { executeSelections } from '../helpers/plan.js';
import { invalidateFamily, invalidatePattern } from '../../src/core/operations/invalidate.js';
import { clearUser } from '../../src/core/operations/clear-user.js';
import type { CaptureEntry } from '../../src/core/keyspace/run.js';
import { clearingFixture, countMatching, setKeys, type ClearingFixture } from '../helpers/clearing-fixture.js';
import { serverTargets } from '../helpers/targets.js';

describe.each(serverTargets())('keyspace engine on $name', (target) => {
  let fx: ClearingFixture;
  const ctx = () => ({ connection: fx.connection, config: fx.config });

  beforeEach(async () => {
    fx = await clearingFixture(target, {}, 'engine');
  });
  afterEach(async () => {
    await fx.close();
  });

  it('deletes a pattern on every master, keeps non-matching and queue keys, counts per node', async () => {
    const p = fx.prefix;
    const matching = Array.from({ length: 300 }, (_, i) => `${p}context:S${i}:summary`);
    const others = Array.from({ length: 100 }, (_, i) => `${p}chats:d:${i}`);
    const queue = [`${p}bull:q:wait`, `${p}bull:q:1`, `{${p}bull}:q:meta`];
    await setKeys(fx.client, [...matching, ...others, ...queue]);
    const summary = await invalidatePattern(ctx(), `${p}*`, {});
    expect(summary.deleted).toBe(400);
    expect(summary.matched).toBe(400);
    expect(summary.failed).toBe(0);
    // The pattern reaches the two "<prefix>bull:" keys (skipped); "{<prefix>bull}:" does not match it.
    expect(summary.skippedQueueKeys).toBe(2);
    expect(summary.errors).toBeUndefined();
    expect(summary.nodes.length).toBe(target.cluster ? 3 : 1);
    expect(summary.nodes.reduce((n, x) => n + x.deleted, 0)).toBe(400);
    if (target.cluster) expect(summary.nodes.every((n) => n.deleted > 0)).toBe(true);
    expect(summary.scanned).toBeGreaterThanOrEqual(403);
    expect(await fx.existing(queue)).toEqual(queue);
    expect(await countMatching(fx.connection, `${p}*`)).toBe(2);
  });

  it('never sends a cross-slot command: thousands of keys in every slot range, exact and pattern', async () => {
    const p = fx.prefix;
    const keys = Array.from({ length: 3000 }, (_, i) => `${p}chats:dev-${i % 37}:c${i}`);
    await setKeys(fx.client, keys);
    const summary = await invalidateFamily(ctx(), 'chatList', {}, { batch: 1000, force: true });
    expect(summary.errors).toBeUndefined();
    expect(summary.failed).toBe(0);
    expect(summary.deleted).toBe(3000);
    // Exact keys across slots: 60 tenants × one conversation, deleted directly.
    const tenants = Array.from({ length: 60 }, (_, i) => `t${i}`);
    const config = { ...fx.config, tenants: [...tenants, 'default'] };
    const exact = [...tenants, 'default'].map((t) => `${p}tenant:${t}:mapping:conv:c-1`);
    await setKeys(fx.client, exact);
    const result = await invalidateFamily({ connection: fx.connection, config }, 'convMapping', { conversationId: 'c-1' }, { capture: async () => undefined });
    expect(result.byTarget[0]!.kind).toBe('exact');
    expect(result.deleted).toBe(61);
    expect(result.failed).toBe(0);
    expect(await fx.existing(exact)).toEqual([]);
  });

  it('finds, shows escaped and deletes binary keys (invalid UTF-8, NUL)', async () => {
    const p = fx.prefix;
    const binary = [
      Buffer.concat([Buffer.from(`${p}context:`), Buffer.from([0x00, 0xff, 0xfe, 0x0a])]),
      Buffer.concat([Buffer.from(`${p}context:`), Buffer.from([0xc3, 0x28])]),
    ];
    const plain = `${p}context:plain`;
    await setKeys(fx.client, [...binary, plain]);
    const dry = await invalidatePattern(ctx(), `${p}context:*`, { dryRun: true });
    expect(dry.matched).toBe(3);
    expect(dry.sample).toContain(`"${p}context:\\x00\\xff\\xfe\\n"`);
    expect(dry.sample).toContain(`"${p}context:\\xc3("`);
    expect(dry.sample).toContain(plain);
    const done = await invalidatePattern(ctx(), `${p}context:*`);
    expect(done.deleted).toBe(3);
    expect(await fx.existing([...binary, plain])).toEqual([]);
  });

  it('treats glob metacharacters in values literally: only the literal key goes', async () => {
    const p = fx.prefix;
    const specials = ['*', '?', '[', '\\', '[a]'];
    const bystanders = ['a', 'abc', 'x?', ']'];
    await setKeys(
      fx.client,
      [...specials, ...bystanders].map((v) => `${p}user:state:${v}`),
    );
    await setKeys(fx.client, [`${p}context:*`, `${p}context:*:v2`, `${p}context:STORY-1`]);
    for (const value of specials) {
      const summary = await clearUser(ctx(), value);
      expect(summary.user.kind).toBe('id');
      expect(summary.erasure.find((e) => e.family === 'userState')!.keysRemoved).toBe(1);
    }
    expect(await fx.existing(specials.map((v) => `${p}user:state:${v}`))).toEqual([]);
    expect(await fx.existing(bystanders.map((v) => `${p}user:state:${v}`))).toHaveLength(bystanders.length);
    // A prefix family goes through an escaped pattern: "*" matches the literal star only.
    const summary = await invalidateFamily(ctx(), 'context', { storyId: '*' });
    expect(summary.byTarget[0]!.kind).toBe('pattern');
    expect(summary.deleted).toBe(2);
    expect(await fx.existing([`${p}context:STORY-1`])).toHaveLength(1);
  });

  it('dry run deletes nothing and counts what the real run then deletes', async () => {
    const p = fx.prefix;
    await setKeys(
      fx.client,
      Array.from({ length: 120 }, (_, i) => `${p}chats:d${i % 3}:${i}`),
    );
    await setKeys(fx.client, [`${p}user:state:+27821234567`, `${p}user:state:27821234567`]);
    const dry = await clearAll(ctx(), { dryRun: true, sampleSize: 5 });
    expect(dry.dryRun).toBe(true);
    expect(dry.deleted).toBe(0);
    expect(dry.matched).toBe(122);
    expect(dry.sample).toHaveLength(5);
    expect(await countMatching(fx.connection, `${p}*`)).toBe(122);
    const real = await clearAll(ctx(), { force: true });
    expect(real.deleted).toBe(dry.matched);
    expect(real.byTarget.map((t) => [t.target, t.deleted])).toEqual(dry.byTarget.map((t) => [t.target, t.matched]));
  });

  it('--limit stops at exactly N deletions (pattern and exact), over parallel masters', async () => {
    const p = fx.prefix;
    await setKeys(
      fx.client,
      Array.from({ length: 90 }, (_, i) => `${p}context:L${i}`),
    );
    const summary = await invalidatePattern(ctx(), `${p}context:*`, { limit: 7, batch: 3 });
    expect(summary.deleted).toBe(7);
    expect(summary.limitReached).toBe(true);
    expect(await countMatching(fx.connection, `${p}context:*`)).toBe(83);
    await setKeys(
      fx.client,
      ['acme', 'globex', 'default'].map((t) => `${p}tenant:${t}:mapping:conv:lim`),
    );
    const exact = await invalidateFamily(ctx(), 'convMapping', { conversationId: 'lim' }, { limit: 2 });
    expect(exact.deleted).toBe(2);
    expect(exact.limitReached).toBe(true);
  });

  it('--rate caps the deletion rate (approximately)', async () => {
    const p = fx.prefix;
    await setKeys(
      fx.client,
      Array.from({ length: 150 }, (_, i) => `${p}context:R${i}`),
    );
    const began = performance.now();
    const summary = await invalidatePattern(ctx(), `${p}context:*`, { rate: 300 });
    const seconds = (performance.now() - began) / 1000;
    expect(summary.deleted).toBe(150);
    // 150 keys at 300/s: about half a second, never much faster.
    expect(seconds).toBeGreaterThan(0.35);
    expect(seconds).toBeLessThan(5);
  });

  it('abort stops after the call in flight: partial counts, interrupted', async () => {
    const p = fx.prefix;
    await setKeys(
      fx.client,
      Array.from({ length: 400 }, (_, i) => `${p}context:A${i}`),
    );
    const controller = new AbortController();
    const summary = await invalidatePattern(ctx(), `${p}context:*`, { batch: 20, count: 50, signal: controller.signal, onProgress: () => controller.abort() });
    expect(summary.interrupted).toBe(true);
    expect(summary.deleted).toBeGreaterThan(0);
    expect(summary.deleted).toBeLessThan(400);
    expect(await countMatching(fx.connection, `${p}context:*`)).toBe(400 - summary.deleted);
  });

  it('a dry run stops on abort too, even while its pattern matches nothing', async () => {
    const p = fx.prefix;
    await setKeys(
      fx.client,
      Array.from({ length: 300 }, (_, i) => `${p}chats:d:${i}`),
    );
    const controller = new AbortController();
    const summary = await invalidatePattern(ctx(), `${p}nothing-matches:*`, {
      dryRun: true,
      count: 10,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect(summary.interrupted).toBe(true);
    expect(summary.matched).toBe(0);
  });

  it('capture receives exactly the deleted keys, RESTORE-able with their TTLs (pattern and exact)', async () => {
    const p = fx.prefix;
    const withTtl = Array.from({ length: 40 }, (_, i) => `${p}context:T${i}`);
    const noTtl = Array.from({ length: 40 }, (_, i) => `${p}context:N${i}`);
    await setKeys(fx.client, withTtl, 'with-ttl', 3600);
    await setKeys(fx.client, noTtl, 'no-ttl');
    await fx.client.hset(`${p}context:H`, { a: '1', b: '2' });
    const captured: CaptureEntry[] = [];
    const summary = await invalidatePattern(ctx(), `${p}context:*`, { batch: 25, capture: async (entries) => void captured.push(...entries) });
    expect(summary.deleted).toBe(81);
    expect(captured).toHaveLength(81);
    expect(new Set(captured.map((e) => e.key.toString())).size).toBe(81);
    expect(captured.map((e) => e.key.toString()).sort()).toEqual([...withTtl, ...noTtl, `${p}context:H`].sort());
    for (const entry of captured) await fx.client.callBuffer('RESTORE', entry.key, entry.ttlMs, entry.dump);
    expect(await fx.client.get(withTtl[0]!)).toBe('with-ttl');
    expect(await fx.client.ttl(withTtl[0]!)).toBeGreaterThan(3500);
    expect(await fx.client.ttl(noTtl[0]!)).toBe(-1);
    expect(await fx.client.hgetall(`${p}context:H`)).toEqual({ a: '1', b: '2' });
    // Exact keys go through the same capture step.
    await setKeys(
      fx.client,
      ['acme', 'default'].map((t) => `${p}tenant:${t}:mapping:conv:cap`),
      'mapping',
    );
    const exactCaptured: CaptureEntry[] = [];
    const exact = await invalidateFamily(ctx(), 'convMapping', { conversationId: 'cap' }, { capture: async (e) => void exactCaptured.push(...e) });
    expect(exact.deleted).toBe(2);
    expect(exactCaptured.map((e) => e.key.toString()).sort()).toEqual([`${p}tenant:acme:mapping:conv:cap`, `${p}tenant:default:mapping:conv:cap`]);
  });

  it('a failing capture sink puts the batch back and fails the run', async () => {
    const p = fx.prefix;
    const keys = Array.from({ length: 10 }, (_, i) => `${p}context:F${i}`);
    await setKeys(fx.client, keys, 'keep-me');
    await expect(
      invalidatePattern(ctx(), `${p}context:*`, {
        capture: async () => {
          throw new Error('disk full');
        },
      }),
    ).rejects.toThrow(/Backup capture failed \(disk full\); (\d+) of \1 keys of the last batch were restored/);
    expect(await fx.existing(keys)).toHaveLength(10);
    expect(await fx.client.get(keys[0]!)).toBe('keep-me');
  });

  it('executes several selections under one budget, with a per-target breakdown', async () => {
    const p = fx.prefix;
    await setKeys(fx.client, [`${p}context:a1`, `${p}context:a2`, `${p}context:b1`]);
    const summary = await executeSelections(
      ctx(),
      'invalidate',
      [
        { kind: 'pattern', label: 'A', pattern: Buffer.from(`${p}context:a*`) },
        { kind: 'pattern', label: 'B', pattern: Buffer.from(`${p}context:b*`) },
      ],
      {},
    );
    expect(summary.targets).toEqual(['A', 'B']);
    expect(summary.byTarget.map((t) => [t.target, t.deleted])).toEqual([
      ['A', 2],
      ['B', 1],
    ]);
  });
});
