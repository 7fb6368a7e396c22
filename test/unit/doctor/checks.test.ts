import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/load.js';
import { fromFindings } from '../../../src/core/doctor/check.js';
import { fragmentationCheck, versionCheck } from '../../../src/core/doctor/checks-server.js';
import { worst } from '../../../src/core/doctor/types.js';
import type { MasterStats, StatsResult } from '../../../src/core/stats/types.js';

// Only the fields the checks read; the rest of a StatsResult is irrelevant to them.
function statsWith(masters: Array<Omit<Partial<MasterStats>, 'memory'> & { memory?: Partial<MasterStats['memory']> }>): StatsResult {
  return {
    server: {
      masters: masters.map((m, i) => ({
        address: `10.0.0.${i}:6379`,
        flavor: 'redis',
        version: '7.0.0',
        redisVersion: '7.0.0',
        ...m,
        memory: { usedBytes: 0, peakBytes: 0, rssBytes: 0, fragmentationRatio: 1, maxmemoryBytes: 0, policy: 'noeviction', ...m.memory },
      })),
    },
  } as unknown as StatsResult;
}

describe('server version check', () => {
  it('fails below Redis 5, warns below 6.2, passes from 6.2', () => {
    const check = versionCheck(
      statsWith([
        { version: '4.0.14', redisVersion: '4.0.14' },
        { version: '6.0.9', redisVersion: '6.0.9' },
        { version: '6.2.0', redisVersion: '6.2.0' },
      ]),
    );
    expect(check.findings.map((f) => f.status)).toEqual(['fail', 'warn', 'pass']);
    expect(check.status).toBe('fail');
    expect(check.message).toMatch(/10\.0\.0\.0:6379: redis 4\.0\.14: BullMQ needs Redis >= 5; 10\.0\.0\.1:6379: redis 6\.0\.9: BullMQ recommends >= 6\.2/);
    expect(check.hint).toMatch(/upgrade/);
  });

  it('judges Valkey by the Redis version it is compatible with', () => {
    const check = versionCheck(statsWith([{ flavor: 'valkey', version: '8.0.1', redisVersion: '7.2.4' }]));
    expect(check).toMatchObject({ status: 'pass', hint: null, message: 'valkey 8.0.1 (Redis 7.2.4 compatible)' });
  });
});

describe('fragmentation check thresholds', () => {
  const config = resolveConfig({ doctor: { fragmentationMinUsedMb: 1 } });
  const mb = 1024 * 1024;
  it.each([
    [0.5 * mb, 9, 'pass', /not judged/],
    [10 * mb, 1.2, 'pass', /ratio 1\.20/],
    [10 * mb, 1.6, 'warn', />= 1\.5/],
    [10 * mb, 3.5, 'fail', />= 3/],
    [10 * mb, 0.8, 'warn', /swapping/],
  ] as const)('used %d bytes at ratio %d: %s', (used, ratio, status, message) => {
    const check = fragmentationCheck(statsWith([{ memory: { usedBytes: used, fragmentationRatio: ratio, rssBytes: used * ratio } }]), config);
    expect(check.status).toBe(status);
    expect(check.findings[0]!.message).toMatch(message);
  });
});

describe('check building', () => {
  it('takes the worst finding, ignoring skips', () => {
    expect(worst(['pass', 'skip', 'warn'])).toBe('warn');
    expect(worst(['skip', 'skip'])).toBe('skip');
    expect(worst([], 'pass')).toBe('pass');
  });

  it('names only the findings that are not fine and attaches the hint to warn/fail', () => {
    const check = fromFindings(
      'failed-jobs',
      [
        { subject: 'bull:a', status: 'pass', message: 'fine' },
        { subject: 'bull:b', status: 'warn', message: 'hm' },
      ],
      { pass: 'all fine', hint: 'do this' },
    );
    expect(check).toMatchObject({ title: 'Failed jobs', status: 'warn', message: 'bull:b: hm', hint: 'do this' });
    expect(fromFindings('failed-jobs', [], { pass: 'p', hint: 'h', skip: 'no queues' })).toMatchObject({ status: 'skip', message: 'no queues', hint: null });
  });
});

describe('ttl-coverage hint', () => {
  it('points at cachectl ttl apply', async () => {
    const { ttlCoverageCheck } = await import('../../../src/core/doctor/checks-keys.js');
    const stats = {
      sampling: { method: 'exact', inspected: 10 },
      families: [{ name: 'userState', ttlSeconds: 86400, keys: 10, withoutTtl: 5, withoutTtlShare: 0.5 }],
    } as unknown as StatsResult;
    const check = ttlCoverageCheck(stats, resolveConfig({}));
    expect(check.status).toBe('fail');
    expect(check.hint).toMatch(/cachectl ttl apply/);
  });
});
