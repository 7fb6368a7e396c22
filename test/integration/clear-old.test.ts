// clear-old on every server kind: age from a timestamp field (hash / JSON, every accepted
// spelling) or idle time, decided on the server at delete time.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearOld } from '../../src/core/operations/clear-old.js';
import { clearingFixture, setKeys, type ClearingFixture } from '../helpers/clearing-fixture.js';
import { serverTargets } from '../helpers/targets.js';

const HOUR = 3_600_000;

describe.each(serverTargets())('clear-old on $name', (target) => {
  let fx: ClearingFixture;
  const ctx = () => ({ connection: fx.connection, config: fx.config });

  beforeEach(async () => {
    fx = await clearingFixture(target, {}, 'old');
  });
  afterEach(async () => {
    await fx.close();
  });

  it('reads every timestamp spelling (ISO with/without zone or ms, offsets, epoch s/ms, numeric strings, hash fields)', async () => {
    const p = fx.prefix;
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const offset = (ms: number, minutes: number, colon: boolean) => {
      // The same instant written with a zone offset: local wall time = UTC + offset.
      const local = new Date(ms + minutes * 60_000).toISOString().slice(0, 19);
      const abs = Math.abs(minutes);
      const hh = String(Math.floor(abs / 60)).padStart(2, '0');
      const mm = String(abs % 60).padStart(2, '0');
      return `${local}${minutes < 0 ? '-' : '+'}${hh}${colon ? ':' : ''}${mm}`;
    };
    const spellings: Record<string, (ms: number) => unknown> = {
      isoZ: iso,
      isoNoMs: (ms) => `${iso(ms).slice(0, 19)}Z`,
      isoNoZone: (ms) => iso(ms).slice(0, 23),
      plus0200: (ms) => offset(ms, 120, true),
      minus0530: (ms) => offset(ms, -330, false),
      epochMs: (ms) => ms,
      epochS: (ms) => Math.floor(ms / 1000),
      numericString: (ms) => String(ms),
    };
    const old: string[] = [];
    const young: string[] = [];
    for (const [name, spell] of Object.entries(spellings)) {
      const o = `${p}session:old-${name}`;
      const y = `${p}session:young-${name}`;
      await fx.client.set(o, JSON.stringify({ user: 'x', updatedAt: spell(now - 2 * HOUR) }));
      await fx.client.set(y, JSON.stringify({ user: 'x', updatedAt: spell(now - 0.5 * HOUR) }));
      old.push(o);
      young.push(y);
    }
    await fx.client.hset(`${p}session:old-hash`, { updatedAt: iso(now - 3 * HOUR), step: 'menu' });
    await fx.client.hset(`${p}session:young-hash`, { updatedAt: String(now - 60_000) });
    old.push(`${p}session:old-hash`);
    young.push(`${p}session:young-hash`);
    const undated = [`${p}session:no-field`, `${p}session:not-json`, `${p}session:bad-date`];
    await fx.client.set(undated[0]!, JSON.stringify({ user: 'x' }));
    await fx.client.set(undated[1]!, 'plain text');
    await fx.client.set(undated[2]!, JSON.stringify({ updatedAt: 'yesterday' }));

    const dry = await clearOld(ctx(), { families: ['sessions'], hours: 1, dryRun: true, now: () => now });
    expect(dry.matched).toBe(old.length);
    expect(dry.kept).toBe(young.length + undated.length);
    expect(await fx.existing(old)).toHaveLength(old.length);

    const summary = await clearOld(ctx(), { families: ['sessions'], hours: 1, now: () => now });
    expect(summary.deleted).toBe(old.length);
    expect(await fx.existing(old)).toEqual([]);
    expect(await fx.existing([...young, ...undated])).toHaveLength(young.length + undated.length);
    expect(summary.byTarget).toEqual([
      expect.objectContaining({ target: 'sessions', kind: 'conditional', deleted: old.length, kept: young.length + undated.length }),
    ]);
  });

  it('keeps a key written after it was selected (the timestamp is judged on the server, at delete time)', async () => {
    const p = fx.prefix;
    const now = Date.now();
    const keys = Array.from({ length: 6 }, (_, i) => `${p}session:s${i}`);
    for (const key of keys) await fx.client.set(key, JSON.stringify({ updatedAt: new Date(now - 5 * HOUR).toISOString() }));
    const dry = await clearOld(ctx(), { families: ['sessions'], hours: 1, dryRun: true });
    expect(dry.matched).toBe(6);
    // Written again between the selection (the dry run) and the delete: it is young now.
    const touched = keys[2]!;
    await fx.client.set(touched, JSON.stringify({ updatedAt: new Date().toISOString() }));
    const summary = await clearOld(ctx(), { families: ['sessions'], hours: 1 });
    expect(summary.deleted).toBe(5);
    expect(summary.kept).toBe(1);
    expect(await fx.existing(keys)).toEqual([touched]);
  });

  it('ages by idle time; a key read after it was selected survives', async () => {
    const p = fx.prefix;
    const keys = Array.from({ length: 5 }, (_, i) => `${p}chats:d:${i}`);
    await setKeys(fx.client, keys);
    const fresh = `${p}chats:d:fresh`;
    // Idle time has a resolution of one second: let the keys idle for 2+ s.
    await new Promise((resolve) => setTimeout(resolve, 2300));
    await fx.client.set(fresh, 'new');
    const hours = 1.5 / 3600;
    expect((await clearOld(ctx(), { families: ['chatList'], hours, dryRun: true })).matched).toBe(5);
    const read = keys[1]!;
    await fx.client.get(read);
    const summary = await clearOld(ctx(), { families: ['chatList'], hours, batch: 100 });
    expect(summary.deleted).toBe(4);
    expect(summary.kept).toBe(2);
    expect((await fx.existing([...keys, fresh])).sort()).toEqual([fresh, read].sort());
  });

  it('rejects a non-positive or NaN age before touching anything', async () => {
    await fx.client.set(`${fx.prefix}session:x`, JSON.stringify({ updatedAt: 0 }));
    for (const hours of [0, -5, Number.NaN]) {
      await expect(clearOld(ctx(), { hours })).rejects.toThrow(/Invalid age/);
    }
    expect(await fx.existing([`${fx.prefix}session:x`])).toHaveLength(1);
  });
});
