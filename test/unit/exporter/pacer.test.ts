// The server-time budget: steps on a node never overlap, each is sized from the speed of the ones
// before it so it takes about stepMs, and the rest after a step keeps the share of the node's time
// at or below `share`. A fake step (a timer of known length) stands in for the server.
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { BudgetPacer, PACED_PART } from '../../../src/core/exporter/pacer.js';

const node = (name: string) => ({ name }) as unknown as Redis;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('BudgetPacer', () => {
  it('sizes the next step from the last one so it takes about stepMs', async () => {
    const pacer = new BudgetPacer({ stepMs: 10, share: 1, firstKeys: 200 });
    const n = node('a');
    expect(await pacer.acquire(n, 'k', 10_000)).toBe(200);
    pacer.release(n, 'k', 2, 200); // 100 keys per ms
    // 60 % of the 10 ms budget at 100 keys/ms (the round trip is only an estimate of server time)
    expect(await pacer.acquire(n, 'k', 10_000)).toBe(600);
    pacer.release(n, 'k', 15, 600); // slower now: 40 keys/ms counts at once
    expect(await pacer.acquire(n, 'k', 10_000)).toBe(240);
    pacer.release(n, 'k', 1, 240);
    // never above what the caller allows, never below the floor
    expect(await pacer.acquire(n, 'k', 100)).toBe(100);
    pacer.release(n, 'k', 1000, 1);
    expect(await pacer.acquire(n, 'k', 10_000)).toBe(50);
    pacer.release(n, 'k', 1, 50);
  });

  it('rests after each step so the steps take at most `share` of the node', async () => {
    const share = 0.2;
    const pacer = new BudgetPacer({ stepMs: 10, share });
    const n = node('b');
    const started = performance.now();
    let busy = 0;
    for (let i = 0; i < 5; i++) {
      await pacer.acquire(n, 'k', 1000);
      const t = performance.now();
      await sleep(10);
      const took = performance.now() - t;
      busy += took;
      pacer.release(n, 'k', took, 100);
    }
    // The turn after the fifth step comes after its rest.
    await pacer.acquire(n, 'k', 1000);
    pacer.release(n, 'k', 0, 0);
    const total = performance.now() - started;
    // 5 steps of ~10 ms, each followed by its rest: busy / total <= 0.8 * share (plus timer slack)
    expect(busy / total).toBeLessThanOrEqual(share * PACED_PART * 1.2);
    expect(total).toBeGreaterThanOrEqual(5 * 10 * (1 / (share * PACED_PART)) * 0.9);
    const totals = pacer.take();
    expect(totals.steps).toBe(6); // the five steps and the last turn
    expect(totals.longestMs).toBeGreaterThanOrEqual(9);
    expect(pacer.take().steps).toBe(0);
  });

  it('steps of two loops on one node take turns; other nodes do not wait', async () => {
    const pacer = new BudgetPacer({ stepMs: 10, share: 1 });
    const a = node('a');
    const b = node('b');
    const order: string[] = [];
    const step = async (n: Redis, label: string) => {
      await pacer.acquire(n, label, 100);
      order.push(`${label}+`);
      await sleep(15);
      order.push(`${label}-`);
      pacer.release(n, label, 15, 100);
    };
    await Promise.all([step(a, 'x'), step(a, 'y'), step(b, 'z')]);
    // x and y never overlap on node a; z on node b ran alongside x
    expect(order.indexOf('y+')).toBeGreaterThan(order.indexOf('x-'));
    expect(order.indexOf('z+')).toBeLessThan(order.indexOf('x-'));
  });

  it('a stop (abort) cuts a rest short', async () => {
    const controller = new AbortController();
    const pacer = new BudgetPacer({ share: 0.001, signal: controller.signal });
    const n = node('c');
    await pacer.acquire(n, 'k', 100);
    pacer.release(n, 'k', 10, 100); // rests ~10 s
    const started = performance.now();
    setTimeout(() => controller.abort(), 50);
    await pacer.acquire(n, 'k', 100);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
