// Per-tenant retention and TTL (tenantPolicies): maintenance applies each tenant's own policy in
// the same pass, and nothing of the other tenants beyond their own policy — compared key by key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheManager } from '../../src/index.js';
import { clearingFixture, familiesFor, setKeys, type ClearingFixture } from '../helpers/clearing-fixture.js';
import { serverTargets } from '../helpers/targets.js';

describe.each(serverTargets())('tenantPolicies on $name', (target) => {
  let fx: ClearingFixture;
  const HOUR = 3_600_000;
  const tenants = ['acme', 'globex', 'default', 'initech'];
  const ages = [6, 30, 72];

  beforeAll(async () => {
    fx = await clearingFixture(target, {}, 'tpol');
  });
  afterAll(async () => fx?.close());

  it('maintenance deletes per tenant by its own retention and sets its own TTL; the other tenants follow the family', async () => {
    const tag = fx.prefix.replace(/[^a-z0-9]/gi, '');
    const key = (tenant: string, kind: string, age: number) => `tenant:${tenant}:${tag}:${kind}:${age}`;
    const families = {
      ...familiesFor(fx.prefix),
      tconv: { template: `tenant:{tenant}:${tag}:conv:{id}`, ageField: 'updatedAt', maxAgeHours: 48 },
      tprof: { template: `tenant:{tenant}:${tag}:prof:{id}`, ttlSeconds: 3600 },
    };
    const manager = new CacheManager({
      redis: fx.client,
      config: {
        ...fx.input,
        namespace: `n${tag}`,
        families,
        tenantPolicies: {
          acme: { families: { tconv: { maxAgeHours: 12 }, tprof: { ttlSeconds: 600 } } },
          globex: { families: { tconv: { maxAgeHours: 100 } } },
        },
      },
    });
    for (const tenant of tenants) {
      for (const age of ages) await fx.client.set(key(tenant, 'conv', age), JSON.stringify({ updatedAt: Date.now() - age * HOUR }));
      await setKeys(fx.client, [key(tenant, 'prof', 0)]);
    }
    const outcome = await manager.performMaintenance({ audit: false });
    expect(outcome.run.status).toBe('ok');
    const expected: Record<string, number[]> = { acme: [6], globex: [6, 30, 72], default: [6, 30], initech: [6, 30] };
    for (const tenant of tenants) {
      const left = (await fx.existing(ages.map((a) => key(tenant, 'conv', a)))).map((k) => Number(k.split(':').pop()));
      expect({ tenant, left }).toEqual({ tenant, left: expected[tenant] });
      const ttl = await fx.client.pttl(key(tenant, 'prof', 0));
      if (tenant === 'acme') expect(ttl).toBeGreaterThan(590_000);
      if (tenant === 'acme') expect(ttl).toBeLessThanOrEqual(600_000);
      else expect(ttl).toBeGreaterThan(3_500_000);
    }
    expect(outcome.run.removed.families.tconv).toBe(2 + 0 + 1 + 1);
    // The report judges acme's keys by acme's policy, in a row of their own.
    const report = await manager.ttlReport({ families: ['tprof'] });
    expect(report.families.map((f) => [f.family, f.tenant, f.ttlSeconds, f.keys, f.noTtl, f.aboveTtl])).toEqual([
      ['tprof', 'acme', 600, 1, 0, 0],
      ['tprof', undefined, 3600, 3, 0, 0],
    ]);
  }, 60_000);

  it('rejects a policy for a family that is not tenant-scoped', () => {
    expect(
      () => new CacheManager({ redis: fx.client, config: { ...fx.input, tenantPolicies: { acme: { families: { chatList: { maxAgeHours: 1 } } } } } }),
    ).toThrow(/not tenant-scoped/);
  });
});

describe('cachectl --tenant X maintenance', () => {
  let fx: ClearingFixture;
  let tag: string;
  const HOUR = 3_600_000;
  beforeAll(async () => {
    const probe = await clearingFixture(serverTargets()[0]!, {}, 'tmaint');
    tag = probe.prefix.replace(/[^a-z0-9]/gi, '');
    await probe.close();
    fx = await clearingFixture(
      serverTargets()[0]!,
      {
        namespace: `n${tag}`,
        families: { ...familiesFor(probe.prefix), tconv: { template: `tenant:{tenant}:${tag}:conv:{id}`, ageField: 'updatedAt', maxAgeHours: 48 } },
        tenantPolicies: { acme: { families: { tconv: { maxAgeHours: 12 } } } },
      },
      'tmaint',
    );
  });
  afterAll(async () => fx?.close());

  it("runs only the tenant-scoped steps, on that tenant's keys only", async () => {
    const key = (tenant: string, age: number) => `tenant:${tenant}:${tag}:conv:${age}`;
    for (const tenant of ['acme', 'globex'])
      for (const age of [6, 30, 72]) await fx.client.set(key(tenant, age), JSON.stringify({ updatedAt: Date.now() - age * HOUR }));
    const result = await fx.cli(['--tenant', 'acme', 'maintenance']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/2 steps/);
    expect(result.stdout).not.toMatch(/clean-queues/);
    expect(await fx.existing([6, 30, 72].map((a) => key('acme', a)))).toEqual([key('acme', 6)]);
    expect(await fx.existing([6, 30, 72].map((a) => key('globex', a)))).toHaveLength(3);
  }, 60_000);
});
