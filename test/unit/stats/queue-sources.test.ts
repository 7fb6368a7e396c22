import { describe, expect, it } from 'vitest';
import { MAX_RECORDED_QUEUES, parseRun, queueList } from '../../../src/core/records/runs.js';
import { lastQueueList } from '../../../src/core/stats/maintenance.js';
import { recordCandidates, sampleCandidates } from '../../../src/core/stats/queue-sources.js';

describe('sampleCandidates', () => {
  it('names every split before a ":" under the longest matching prefix, shallowest first', () => {
    const refs = sampleCandidates(['bull:mail:17', 'bull:mail:wait', 'bull:mail:17:logs', 'bull:x:sms:3', 'other:a:b'], ['bull', 'bull:x']);
    expect(refs.map((r) => [r.prefix, r.name, r.key])).toEqual([
      ['bull', 'mail', 'bull:mail'], // seen three times
      ['bull:x', 'sms', 'bull:x:sms'],
      ['bull', 'mail:17', 'bull:mail:17'],
    ]);
  });

  it('ignores keys that name no queue (no suffix, empty name, no configured prefix)', () => {
    expect(sampleCandidates(['bull:lonely', 'bull::x', 'bullx:a:b', 'bull'], ['bull'])).toEqual([]);
  });

  it('orders equally deep names by how many sampled keys suggested them', () => {
    const keys = ['bull:b:1', 'bull:a:1', 'bull:b:2', 'bull:b:3', 'bull:a:2'];
    expect(sampleCandidates(keys, ['bull']).map((r) => r.key)).toEqual(['bull:b', 'bull:a']);
  });
});

describe('recordCandidates', () => {
  it('maps recorded keys back to prefix and name, skipping those under no configured prefix', () => {
    const list = queueList(['{bull}:mail', 'bull:x:sms', 'gone-prefix:q'], new Date('2024-05-01T02:00:00Z'));
    expect(recordCandidates(list, ['bull', 'bull:x', '{bull}']).map((r) => [r.prefix, r.name])).toEqual([
      ['bull:x', 'sms'],
      ['{bull}', 'mail'],
    ]);
  });
});

describe('the queue list in the maintenance run record', () => {
  const base = { id: 'r1', startedAt: '2024-05-01T02:00:00Z', status: 'ok', hours: 24, removed: { families: {}, queues: {} }, errors: [], host: 'h' };

  it('is sorted, deduplicated and capped, saying when it was truncated', () => {
    const keys = Array.from({ length: MAX_RECORDED_QUEUES + 5 }, (_, i) => `bull:q${String(i).padStart(6, '0')}`);
    const list = queueList([...keys].reverse(), new Date('2024-05-01T02:00:00Z'));
    expect(list.at).toBe('2024-05-01T02:00:00.000Z');
    expect(list.total).toBe(MAX_RECORDED_QUEUES + 5);
    expect(list.keys).toHaveLength(MAX_RECORDED_QUEUES);
    expect(list.keys[0]).toBe('bull:q000000');
    expect(list.truncated).toBe(true);
    expect(queueList(['bull:b', 'bull:a', 'bull:b'], new Date(0))).toMatchObject({ total: 2, keys: ['bull:a', 'bull:b'], truncated: false });
  });

  it('older records without it still parse; a malformed one is dropped, the run kept', () => {
    const old = parseRun(JSON.stringify(base));
    expect(old?.id).toBe('r1');
    expect(old?.discoveredQueues).toBeUndefined();
    const bad = parseRun(JSON.stringify({ ...base, discoveredQueues: { at: 'yesterday', keys: 'bull:a' } }));
    expect(bad?.id).toBe('r1');
    expect(bad?.discoveredQueues).toBeUndefined();
    const good = parseRun(JSON.stringify({ ...base, discoveredQueues: queueList(['bull:a'], new Date(0)) }));
    expect(good?.discoveredQueues?.keys).toEqual(['bull:a']);
  });

  it('stats takes the newest run that has one', () => {
    const withList = (id: string, keys?: string[]) =>
      parseRun(JSON.stringify({ ...base, id, ...(keys ? { discoveredQueues: queueList(keys, new Date(0)) } : {}) }))!;
    expect(lastQueueList([withList('3'), withList('2', ['bull:new']), withList('1', ['bull:old'])])?.keys).toEqual(['bull:new']);
    expect(lastQueueList([withList('1')])).toBeUndefined();
  });
});
