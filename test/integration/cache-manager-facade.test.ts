// The CacheManager methods that delegate to stats, backup/restore and queues, on a server of its
// own (stats counts the whole keyspace, so a shared server would make the numbers unknowable).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheManager } from '../../src/index.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

describe('CacheManager facade: stats, backup/restore, queues', () => {
  let server: ServerHandle;
  let redis: Redis;
  let dir: string;

  beforeAll(async () => {
    server = await startServer();
    redis = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: null });
    dir = mkdtempSync(path.join(tmpdir(), 'cachectl-facade-'));
    const pipeline = redis.pipeline();
    for (let i = 0; i < 40; i++) pipeline.set(`user:state:2782${String(i).padStart(7, '0')}`, '{}', 'EX', 3600);
    for (let i = 0; i < 10; i++) pipeline.set(`context:S${i}`, 'x');
    await pipeline.exec();
    const queue = new Queue('facade-q', { connection: redis });
    await queue.addBulk(Array.from({ length: 7 }, (_, i) => ({ name: 'send', data: { i } })));
    await queue.close();
  });

  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('getCacheStats counts the families and the queue (the earlier stats fields)', async () => {
    const manager = new CacheManager({ redis, config: {} });
    const stats = await manager.getCacheStats({ exact: true });
    expect(stats.summary.userStates).toBe(40);
    expect(stats.summary.queue.waiting).toBe(7);
    expect(stats.summary.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    await manager.close();
  });

  it('listQueues and inspectQueue see the BullMQ queue', async () => {
    const manager = new CacheManager({ redis, config: {} });
    const queues = await manager.listQueues();
    expect(queues.map((q) => q.name)).toEqual(['facade-q']);
    const inspection = await manager.inspectQueue('facade-q');
    expect(inspection.counts.waiting).toBe(7);
  });

  it('backup then restore through the manager brings back exactly the family', async () => {
    const manager = new CacheManager({ redis, config: {} });
    const file = path.join(dir, 'context.cbk');
    const saved = await manager.backup([{ family: 'context' }], { out: file });
    expect(saved.keys).toBe(10);
    await manager.invalidatePattern('context:*');
    expect(await redis.exists('context:S3')).toBe(0);
    const restored = await manager.restore(file);
    expect(restored.restored).toBe(10);
    expect(await redis.get('context:S3')).toBe('x');
    expect(await redis.exists('user:state:27820000001')).toBe(1);
  });
});
