// Entries the stream cap trims before they are applied are counted, reported (warning, totals,
// listen --status) and the lag shown is true: a burst past maxLen, a trim while no listener runs,
// and pending entries trimmed before their acknowledgement.
import { afterAll, describe, expect, it } from 'vitest';
import type { CachectlConfig } from '../../../src/config/load.js';
import { runListener, type ListenerLog } from '../../../src/core/invalidation/listener.js';
import { publishInvalidation } from '../../../src/core/invalidation/publish.js';
import { trimmedKey } from '../../../src/core/invalidation/keys.js';
import { collectListenStatus } from '../../../src/core/invalidation/status.js';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { runCli } from '../../helpers/cli.js';
import { randomPrefix, serverTargets } from '../../helpers/targets.js';
import { configInput, pendingCount, removeConfigFiles, testConfig, waitUntil, writeConfigFile } from './helpers.js';

afterAll(() => removeConfigFiles());

const RULES = [{ event: 'user.changed', family: 'userState', map: { phone: 'phone' } }];

async function publishMany(admin: RedisConnection, config: CachectlConfig, n: number): Promise<void> {
  for (let i = 0; i < n; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, n - i) }, (_, k) => publishInvalidation(admin, config, 'user.changed', { phone: String(i + k) }, { check: false })),
    );
  }
}

function start(config: CachectlConfig, url: string, consumer = 'c1') {
  const logs: ListenerLog[] = [];
  const controller = new AbortController();
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const run = runListener(config, { connect: () => connect({ url }), consumer, signal: controller.signal, log: (l) => logs.push(l), onReady: () => ready() });
  return { logs, run, isReady, stop: () => controller.abort() };
}

describe.each(serverTargets())('listen when the stream cap trims on $name', (target) => {
  it('a 6,000-event burst with maxLen 100: every event is applied or counted as trimmed', async () => {
    const admin = await connect({ url: target.url });
    try {
      const config = testConfig(target.url, randomPrefix('trim'), { maxLen: 100, rules: RULES });
      const listener = start(config, target.url);
      await listener.isReady;
      await publishMany(admin, config, 6000);
      await waitUntil(
        async () => {
          const s = await collectListenStatus(admin, config);
          return s.lag === 0 && s.pending === 0;
        },
        30_000,
        'the listener to catch up',
      );
      listener.stop();
      const totals = await listener.run;
      expect(totals.trimmed).toBeGreaterThan(0);
      expect(totals.handled + totals.unmatched + totals.trimmed).toBe(6000);
      const status = await collectListenStatus(admin, config);
      expect(status.trimmed.total).toBe(totals.trimmed);
      expect(status.lag).toBe(0);
      const warning = listener.logs.find((l) => l.event === 'trimmed');
      expect(warning?.level).toBe('warn');
      expect(warning?.msg).toContain('invalidation.maxLen');
    } finally {
      await admin.close();
    }
  }, 60_000);

  it('trimmed while no listener runs: the lag is what remains, the rest is reported trimmed', async () => {
    const admin = await connect({ url: target.url });
    try {
      const prefix = randomPrefix('trim');
      const config = testConfig(target.url, prefix, { rules: RULES });
      const first = start(config, target.url);
      await first.isReady;
      first.stop();
      await first.run;
      await publishMany(admin, config, 500);
      await admin.client.xtrim(config.invalidation.stream, 'MAXLEN', 50);
      const stopped = await collectListenStatus(admin, config);
      expect(stopped.lag).toBe(50);
      expect(stopped.trimmed).toMatchObject({ undelivered: 450, total: 450 });
      const file = writeConfigFile(configInput(target.url, prefix, { rules: RULES }));
      const prom = await runCli(['listen', '--status', '--prometheus', '--config', file, '--redis-url', target.url]);
      expect(prom.code, prom.stderr).toBe(0);
      expect(prom.stdout).toContain('cachectl_invalidation_trimmed_total{kind="undelivered"} 450');
      expect(prom.stdout).toContain('cachectl_invalidation_lag 50');
      const text = await runCli(['listen', '--status', '--config', file, '--redis-url', target.url]);
      expect(text.stdout).toMatch(/trimmed before applied: 450 .*raise invalidation\.maxLen/);

      const second = start(config, target.url);
      await waitUntil(
        async () => (await collectListenStatus(admin, config)).lag === 0 && (await pendingCount(admin.client, config.invalidation.stream)) === 0,
        10_000,
        'catch-up',
      );
      second.stop();
      const totals = await second.run;
      expect(totals).toMatchObject({ trimmed: 450 });
      expect(totals.handled + totals.unmatched).toBe(50);
      const after = await collectListenStatus(admin, config);
      expect(after.lag).toBe(0);
      expect(after.trimmed).toMatchObject({ undelivered: 450, pending: 0, total: 450 });
      expect(after.trimmed.lastAt).not.toBeNull();
    } finally {
      await admin.close();
    }
  }, 30_000);

  it('a trim the reader jumps while it waits is counted once, while the listener runs', async () => {
    const admin = await connect({ url: target.url });
    try {
      const config = testConfig(target.url, randomPrefix('trim'), { rules: RULES });
      const { stream } = config.invalidation;
      const trimmedCounters = trimmedKey(stream);
      const listener = start(config, target.url);
      await listener.isReady;
      await new Promise((r) => setTimeout(r, 100)); // the reader is blocked in XREADGROUP now
      // 500 events and a trim to the last 50 in one transaction: the waiting reader is served after
      // it and jumps the 450 trimmed entries in one plain read.
      const multi = admin.client.multi();
      for (let i = 0; i < 500; i++) multi.xadd(stream, '*', 'type', 'user.changed', 'data', JSON.stringify({ phone: String(i) }), 'at', String(Date.now()));
      multi.xtrim(stream, 'MAXLEN', 50);
      await multi.exec();
      await waitUntil(async () => listener.logs.some((l) => l.event === 'trimmed'), 10_000, 'the trimmed gap to be counted');
      expect(Number(await admin.client.hget(trimmedCounters, 'undelivered'))).toBe(450);
      const counted = listener.logs.filter((l) => l.event === 'trimmed');
      expect(counted.map((l) => l.count)).toEqual([450]);
      listener.stop();
      const totals = await listener.run;
      expect(totals).toMatchObject({ trimmed: 450 });
      expect(totals.handled + totals.unmatched).toBe(50);
      const status = await collectListenStatus(admin, config);
      expect(status.lag).toBe(0);
      expect(status.trimmed).toMatchObject({ undelivered: 450, total: 450 });
    } finally {
      await admin.close();
    }
  }, 30_000);

  it('listen --status reports a gap a read jumped as trimmed before any listener counted it', async () => {
    const admin = await connect({ url: target.url });
    try {
      const config = testConfig(target.url, randomPrefix('trim'), { rules: RULES });
      const { stream, group } = config.invalidation;
      await admin.client.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM', 'ENTRIESREAD', '0');
      await publishMany(admin, config, 500);
      await admin.client.xtrim(stream, 'MAXLEN', 50);
      // A plain read past the trimmed 450 (as a listener's reads are between counts): caught up.
      await admin.client.call('XREADGROUP', 'GROUP', group, 'c1', 'COUNT', '100', 'STREAMS', stream, '>');
      const status = await collectListenStatus(admin, config);
      expect(status.lag).toBe(0);
      expect(status.trimmed).toMatchObject({ undelivered: 450, total: 450 });
    } finally {
      await admin.close();
    }
  });

  it('pending entries trimmed before their ack count as trimmed, not unmatched', async () => {
    const admin = await connect({ url: target.url });
    try {
      const config = testConfig(target.url, randomPrefix('trim'), { rules: RULES, claimIdleMs: 200 });
      const { stream, group } = config.invalidation;
      await admin.client.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM', 'ENTRIESREAD', '0');
      await publishMany(admin, config, 50);
      // 30 read by this listener's own name, 20 by a consumer that died; then all trimmed.
      await admin.client.call('XREADGROUP', 'GROUP', group, 'c1', 'COUNT', '30', 'STREAMS', stream, '>');
      await admin.client.call('XREADGROUP', 'GROUP', group, 'gone', 'COUNT', '20', 'STREAMS', stream, '>');
      await admin.client.xtrim(stream, 'MAXLEN', 0);
      const listener = start(config, target.url, 'c1');
      await waitUntil(async () => (await pendingCount(admin.client, stream)) === 0, 10_000, 'no pending entries');
      await new Promise((r) => setTimeout(r, 100));
      listener.stop();
      const totals = await listener.run;
      expect(totals).toMatchObject({ unmatched: 0, trimmed: 50 });
      expect((await collectListenStatus(admin, config)).trimmed).toMatchObject({ pending: 50, undelivered: 0 });
    } finally {
      await admin.close();
    }
  }, 30_000);
});
