// CacheManager in-process: with an existing ioredis client (left open), and the earlier static
// API (connects from REDIS_URL / CACHECTL_CONFIG, runs, closes).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheManager } from '../../src/index.js';
import { keySlot } from '../../src/redis/topology.js';
import { clearingFixture, countMatching, setKeys, type ClearingFixture } from '../helpers/clearing-fixture.js';
import { serverTargets } from '../helpers/targets.js';

describe.each(serverTargets())('CacheManager on $name', (target) => {
  let fx: ClearingFixture;
  let app: Redis | Cluster;

  beforeEach(async () => {
    fx = await clearingFixture(target, {}, 'lib');
    const port = Number(new URL(target.url).port);
    // The service's own client, configured the way an application would.
    app = target.cluster ? new Cluster([{ host: '127.0.0.1', port }]) : new Redis(port, '127.0.0.1');
  });
  afterEach(async () => {
    app.disconnect();
    await fx.close();
  });

  it('works with an existing client and leaves it open', async () => {
    const p = fx.prefix;
    const manager = new CacheManager({ redis: app, config: fx.input });
    await setKeys(app, [`${p}tenant:acme:mapping:conv:c1`, `${p}tenant:default:mapping:conv:c1`, `${p}tenant:acme:mapping:conv:c2`]);
    const conv = await manager.invalidateConversation('c1');
    expect(conv).toMatchObject({ command: 'invalidate conversation', deleted: 2, failed: 0 });

    await setKeys(app, [`${p}context:S1`, `${p}context:S1:summary`, `${p}context:S2`]);
    const listed: string[] = [];
    for await (const { key } of manager.keys({ family: 'context', values: { storyId: 'S1' } })) listed.push(key.toString());
    expect(listed.sort()).toEqual([`${p}context:S1`, `${p}context:S1:summary`]);
    expect((await manager.countKeys({ pattern: `${p}context:*` })).matched).toBe(3);
    expect(await manager.invalidate('context', { storyId: 'S1' })).toMatchObject({ deleted: 2 });
    expect(await manager.invalidatePattern(`${p}context:*`, { dryRun: true })).toMatchObject({ matched: 1, deleted: 0 });

    await setKeys(app, [`${p}user:state:+27821234567`, `${p}chats:d:1`]);
    const user = await manager.clearUserCache('27821234567');
    expect(user.erasure.find((e) => e.family === 'userState')).toMatchObject({ keysRemoved: 1 });

    await app.set(`${p}session:s`, JSON.stringify({ updatedAt: Date.now() - 50 * 3_600_000 }));
    expect(await manager.clearOldData({ olderThanHours: 48, families: ['sessions'] })).toMatchObject({ deleted: 1 });

    await setKeys(app, [`${p}user:state:keep`]);
    // Every cache family is what the CLI always asks about: the library wants force (or maxKeys).
    const before = await countMatching(fx.connection, `${p}*`);
    await expect(manager.clearAllCaches({ clearUserStates: false })).rejects.toMatchObject({ code: 'CACHECTL_REFUSED' });
    expect(await countMatching(fx.connection, `${p}*`)).toBe(before);
    const all = await manager.clearAllCaches({ clearUserStates: false, maxKeys: 100 });
    expect(all.targets).not.toContain('userState');
    expect(await countMatching(fx.connection, `${p}*`)).toBe(1);
    // clearQueueJobs: families first, then the queues under the fixture's prefixes (none here).
    await setKeys(app, [`${p}chats:d:2`]);
    const withQueues = await manager.clearAllCaches({ clearQueueJobs: true, clearUserStates: false, queueOptions: { logsDir: fx.dir }, force: true });
    expect(withQueues).toMatchObject({ deleted: 1, queues: { queues: [], totals: { drained: 0 } } });
    expect(await countMatching(fx.connection, `${p}*`)).toBe(1);

    await manager.close();
    expect(await app.ping()).toBe('PONG');
  });

  it('waits for a client that has not connected yet instead of scanning nothing', async () => {
    const p = fx.prefix;
    await setKeys(fx.client, [`${p}context:W1`, `${p}context:W2`]);
    const port = Number(new URL(target.url).port);
    const lazy = target.cluster ? new Cluster([{ host: '127.0.0.1', port }], { lazyConnect: true }) : new Redis(port, '127.0.0.1', { lazyConnect: true });
    try {
      const manager = new CacheManager({ redis: lazy, config: fx.input });
      expect((await manager.countKeys({ pattern: `${p}context:*` })).matched).toBe(2);
      expect((await manager.invalidatePattern(`${p}context:*`)).deleted).toBe(2);
    } finally {
      lazy.disconnect();
    }
  });

  it('keeps the earlier static API: CacheManager.clearAllCaches / clearOldData / clearUserCache', async () => {
    const p = fx.prefix;
    const file = path.join(fx.dir, 'cachectl.config.json');
    writeFileSync(file, JSON.stringify(fx.input));
    const saved = { url: process.env.REDIS_URL, config: process.env.CACHECTL_CONFIG };
    process.env.REDIS_URL = target.url;
    process.env.CACHECTL_CONFIG = file;
    try {
      await setKeys(app, [`${p}user:state:27821234567`, `${p}tenant:default:mapping:wa:+27821234567`, `${p}user:state:other`]);
      const user = await CacheManager.clearUserCache('+27 82 123 4567');
      expect(user.deleted).toBe(2);
      await app.set(`${p}session:s`, JSON.stringify({ updatedAt: new Date(Date.now() - 30 * 3_600_000).toISOString() }));
      expect(await CacheManager.clearOldData({ olderThanHours: 24, families: ['sessions'] })).toMatchObject({ deleted: 1 });
      await setKeys(app, [`${p}chats:d:1`, `${p}context:x`]);
      // The earlier API with the safety of the CLI's `all`: an explicit force.
      const all = await CacheManager.clearAllCaches({ force: true });
      expect(all.deleted).toBe(3);
      expect(await countMatching(fx.connection, `${p}*`)).toBe(0);
    } finally {
      if (saved.url === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved.url;
      if (saved.config === undefined) delete process.env.CACHECTL_CONFIG;
      else process.env.CACHECTL_CONFIG = saved.config;
    }
  });

  it.runIf(target.cluster)('hashes keys to the slots the cluster uses', async () => {
    const node = fx.connection.masters()[0]!;
    for (const key of ['somekey', '{}{x}', 'a{b}c', '{user1}:x', `${fx.prefix}tenant:acme:mapping:conv:c`, '\u00ff\u0000{']) {
      expect(keySlot(Buffer.from(key)), key).toBe(await node.cluster('KEYSLOT', key));
    }
  });
});
