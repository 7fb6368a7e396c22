import { describe, expect, it } from 'vitest';
import { AuthError, CachectlError, ConnectionError, PermissionError, TimeoutError, UsageError } from '../../../src/errors.js';
import { adaptiveLinger, isConnectionLoss, waitFor } from '../../../src/core/invalidation/session-util.js';

describe('isConnectionLoss decides between "reconnect" and "this entry failed"', () => {
  it.each([
    [new ConnectionError('Lost the connection'), true],
    [new TimeoutError('Timed out'), true],
    [new CachectlError('Redis error at x: LOADING Redis is loading the dataset in memory'), true],
    [new CachectlError('Redis error at x: CLUSTERDOWN The cluster is down'), true],
    [new Error('Connection is closed.'), true],
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), true],
    [new AuthError('wrong password'), false],
    [new PermissionError('NOPERM unlink'), false],
    [new UsageError('lacks field'), false],
    [new CachectlError('Redis error at x: WRONGTYPE'), false],
  ])('%s → %s', (error, expected) => {
    expect(isConnectionLoss(error)).toBe(expected);
  });
});

describe('adaptiveLinger', () => {
  it('is a tenth of the last pass, between 10 and 50 ms, and 50 ms before any pass', () => {
    expect(adaptiveLinger(undefined)).toBe(50);
    expect(adaptiveLinger(300)).toBe(30);
    expect(adaptiveLinger(8)).toBe(10);
    expect(adaptiveLinger(5000)).toBe(50);
  });
});

describe('waitFor', () => {
  it('tells whether the promise settled in time', async () => {
    expect(await waitFor(Promise.resolve(), 50)).toBe(true);
    expect(await waitFor(new Promise<void>((resolve) => setTimeout(resolve, 200)), 20)).toBe(false);
  });
});
