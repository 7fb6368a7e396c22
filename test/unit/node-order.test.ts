// The order nodes are listed in: by host, then by port as a number.
import { describe, expect, it } from 'vitest';
import { compareNodeNames } from '../../src/redis/node-order.js';

describe('compareNodeNames', () => {
  it('orders by host, then by port as a number', () => {
    const names = ['127.0.0.1:10000', '10.0.0.2:6379', '127.0.0.1:7002', '127.0.0.1:7000', '[::1]:6380', '10.0.0.10:6379', 'redis-b:6379', 'redis-a:6380'];
    expect([...names].sort(compareNodeNames)).toEqual([
      '10.0.0.10:6379',
      '10.0.0.2:6379',
      '127.0.0.1:7000',
      '127.0.0.1:7002',
      '127.0.0.1:10000',
      '[::1]:6380',
      'redis-a:6380',
      'redis-b:6379',
    ]);
  });

  it('is a total order: names without a port, equal names', () => {
    expect(compareNodeNames('a:1', 'a:1')).toBe(0);
    expect(compareNodeNames('standalone', 'a:1')).toBeGreaterThan(0);
    expect(compareNodeNames('x:abc', 'x:abd')).toBeLessThan(0);
  });
});
