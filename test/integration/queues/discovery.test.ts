import { afterEach, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { discoverQueues, queueCounts, queueRef, refFromMetaKey } from '../../../src/core/queues/discovery.js';
import { BullHarness, randomQueueName, waitFor } from '../../helpers/bullmq.js';
import { serverTargets } from '../../helpers/targets.js';

function openAsKeyed(harness: BullHarness, prefix: string, name: string) {
  const cut = name.lastIndexOf(':');
  return cut < 0 ? harness.queue(name, prefix) : harness.queue(name.slice(cut + 1), `${prefix}:${name.slice(0, cut)}`);
}

describe('refFromMetaKey', () => {
  it('takes the name between the prefix and :meta, names with ":" included', () => {
    expect(refFromMetaKey('bull:a:b:c:meta', ['bull'])).toEqual({ prefix: 'bull', name: 'a:b:c', key: 'bull:a:b:c' });
    expect(refFromMetaKey('bull:x:q:meta', ['bull:x', 'bull'])).toMatchObject({ prefix: 'bull:x', name: 'q' });
    expect(refFromMetaKey('bull::meta', ['bull'])).toBeUndefined();
    expect(refFromMetaKey('other:q:meta', ['bull'])).toBeUndefined();
  });
});

describe.each(serverTargets())('queue discovery on $name', (target) => {
  let connection: RedisConnection;
  const harness = new BullHarness(target);
  afterEach(async () => {
    await harness.closeAll();
    await connection?.close();
  });

  it('finds queues under two prefixes, with ":" in names, and nothing else', async () => {
    connection = await connect({ url: target.url });
    const run = randomQueueName('disc');
    const otherPrefix = target.cluster ? `{${run}}` : `${run}-p`;
    const names = [`${run}:a`, `${run}:b:c`, `${run}-plain`];
    // BullMQ 6 refuses ":" in a name, but older versions wrote such queues; the key layout is
    // the same as a longer prefix with the last part as the name.
    for (const name of names) await openAsKeyed(harness, harness.prefix, name).add('job', { n: 1 });
    await openAsKeyed(harness, otherPrefix, `${run}:other`).add('job', {});
    // A look-alike key that is not a queue's meta (different prefix) must not show up.
    await connection.client.set(`not${harness.prefix}:${run}:meta`, 'x', 'EX', 60);

    const found = await discoverQueues(connection, [harness.prefix, otherPrefix]);
    const mine = found.filter((q) => q.name.startsWith(run));
    expect(mine).toEqual([...names.map((n) => queueRef(harness.prefix, n)), queueRef(otherPrefix, `${run}:other`)].sort((a, b) => (a.key < b.key ? -1 : 1)));
    // Same prefix twice: no duplicates.
    const again = await discoverQueues(connection, [harness.prefix, harness.prefix], { count: 10 });
    expect(again.filter((q) => q.name.startsWith(run))).toHaveLength(names.length);
    await connection.client.del(`not${harness.prefix}:${run}:meta`);
  });

  it('counts match what producers and a worker did', async () => {
    connection = await connect({ url: target.url });
    const name = randomQueueName('counts');
    const queue = harness.queue(name);
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'w', data: { i } })));
    await queue.add('d', {}, { delay: 60_000 });
    await queue.add('d', {}, { delay: 60_000 });
    await queue.add('p', {}, { priority: 3 });
    const ref = queueRef(harness.prefix, name);

    let counts = await queueCounts(connection, ref);
    expect(counts).toEqual({
      wait: 5,
      active: 0,
      delayed: 2,
      prioritized: 1,
      'waiting-children': 0,
      paused: 0,
      completed: 0,
      failed: 0,
      // the names before 0.2, kept for JSON consumers
      waiting: 5,
      waitingChildren: 0,
    });
    const bull = await queue.getJobCounts();
    expect(counts.waiting).toBe(bull.waiting);
    expect(counts.delayed).toBe(bull.delayed);

    await queue.pause();
    counts = await queueCounts(connection, ref);
    expect(counts.paused).toBe(5);
    expect(counts.waiting).toBe(0);
    await queue.resume();

    let n = 0;
    const worker = harness.worker(name, async () => {
      if (n++ % 2 === 0) throw new Error('boom');
      return 'ok';
    });
    await waitFor(async () => (await queue.getJobCountByTypes('completed', 'failed')) === 6, 10_000, 'jobs to finish');
    await worker.close();
    counts = await queueCounts(connection, ref);
    expect(counts.completed + counts.failed).toBe(6);
    expect(counts.failed).toBe(3);
    expect(counts.waiting + counts.prioritized + counts.active).toBe(0);
    expect(counts.delayed).toBe(2);
  });
});
