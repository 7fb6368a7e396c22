// Tenant isolation: with a tenant restriction (`--tenant T`, `CacheManager({ tenant })`) no key of
// another tenant, and no key outside `tenant:T:`, is ever deleted. A property test over random
// tenant ids (glob metacharacters, unicode, spaces, ids that are prefixes of each other), values
// and key sets, on a server of our own (tenant keys cannot carry a random test prefix), plus
// deterministic checks of the engine's guard on every delete path and of the CLI refusals.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type CachectlConfig } from '../../src/config/load.js';
import { CacheManager } from '../../src/core/cache-manager.js';
import { escapeGlob } from '../../src/core/glob.js';
import type { RunSummary } from '../../src/core/keyspace/summary.js';
import { executeSelections } from '../helpers/plan.js';
import { tenantPattern, tenantScope } from '../../src/core/tenant.js';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { runCli } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { serverTargets } from '../helpers/targets.js';

const PHONE = '+27821234567';
const TENANT_CHARS = ['a', 'b', '*', '?', '[', ']', '\\', '^', '-', ' ', 'é', '🙂', '{', '}'];
const VALUE_CHARS = ['1', '2', '*', '?', '[', ']', '\\', ':', 'é', ' ', '-', '^'];

const configInput = {
  families: {
    // an age-by-field family inside the tenant namespace, for clear-old
    session: { template: 'tenant:{tenant}:session:{sid}', ageField: 'ts' },
  },
  tenants: ['acme'],
};
const config: CachectlConfig = resolveConfig(configInput, undefined);

type Op =
  'clearAll' | 'clearAllUnknown' | 'invalidateOne' | 'invalidateWhole' | 'conversation' | 'pattern' | 'clearUser' | 'clearOld' | 'cliClearAll' | 'cliPattern';
const OPS: Op[] = [
  'clearAll',
  'clearAllUnknown',
  'invalidateOne',
  'invalidateWhole',
  'conversation',
  'pattern',
  'clearUser',
  'clearOld',
  'cliClearAll',
  'cliPattern',
];

const tenantId = fc.array(fc.constantFrom(...TENANT_CHARS), { minLength: 1, maxLength: 3 }).map((chars) => chars.join(''));
const value = fc.array(fc.constantFrom(...VALUE_CHARS), { minLength: 1, maxLength: 4 }).map((chars) => chars.join(''));
const scenario = fc.record({
  tenants: fc.uniqueArray(tenantId, { minLength: 2, maxLength: 4 }),
  values: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }),
  op: fc.constantFrom(...OPS),
});

/** The keys of one tenant, by kind, so each operation's expected deletions can be named. */
function tenantKeys(t: string, values: string[]) {
  const p = `tenant:${t}:`;
  return {
    conv: values.map((v) => `${p}mapping:conv:${v}`),
    wa: [`${p}mapping:wa:${PHONE}`, `${p}mapping:wa:${PHONE.slice(1)}`],
    session: values.map((v) => `${p}session:${v}`),
    misc: values.map((v) => `${p}misc:${v}`),
  };
}

/** Keys outside every tenant namespace, some built to look like the target tenant's. */
function outsideKeys(t: string, values: string[]): string[] {
  return [
    `tenant:${t}`,
    `tenant:${t}x:mapping:conv:1`,
    `tenant:${t}\\:mapping:conv:1`,
    `Tenant:${t}:mapping:conv:1`,
    `xtenant:${t}:mapping:conv:1`,
    `tenant-${t}:misc`,
    `user:state:${PHONE}`,
    `bull:${t}:meta`,
    ...values.flatMap((v) => [`chats:${v}:1`, `context:${v}`, `tenant:${v}x:misc`]),
  ];
}

/** Keys of tenant `t` the operation is expected to delete. */
function expectedDeleted(op: Op, keys: ReturnType<typeof tenantKeys>): string[] {
  switch (op) {
    case 'clearAll':
    case 'cliClearAll':
      return [...keys.conv, ...keys.wa, ...keys.session];
    case 'clearAllUnknown':
      return [...keys.conv, ...keys.wa, ...keys.session, ...keys.misc];
    case 'invalidateOne':
      return [keys.conv[0]!];
    case 'invalidateWhole':
      return keys.conv;
    case 'conversation':
      return [keys.conv[0]!, keys.wa[0]!];
    case 'pattern':
    case 'cliPattern':
      return [...keys.conv, ...keys.wa];
    case 'clearUser':
      return keys.wa;
    case 'clearOld':
      return keys.session;
  }
}

async function writeKeys(connection: RedisConnection, keys: string[]): Promise<void> {
  const pipeline = connection.masters()[0]!.pipeline();
  for (const key of keys) pipeline.set(key, key.includes(':session:') ? JSON.stringify({ ts: 0 }) : 'v');
  await pipeline.exec();
}

/** The keys of `keys` that exist, as a sorted list. */
async function existing(connection: RedisConnection, keys: string[]): Promise<string[]> {
  const flags = await Promise.all(keys.map((key) => connection.client.exists(key)));
  return keys.filter((_, i) => flags[i] === 1).sort();
}

async function deleteByName(connection: RedisConnection, keys: string[]): Promise<void> {
  await Promise.all(keys.map((key) => connection.client.del(key)));
}

const counts: Record<string, number> = {};
function count(name: string): void {
  counts[name] = (counts[name] ?? 0) + 1;
}

describe('tenant isolation on a server of our own', () => {
  let server: ServerHandle;
  let connection: RedisConnection;
  let cwd: string;

  beforeAll(async () => {
    server = await startServer();
    connection = await connect({ url: server.url });
    cwd = mkdtempSync(path.join(tmpdir(), 'cachectl-tenant-'));
    writeFileSync(path.join(cwd, 'cachectl.config.json'), JSON.stringify({ ...configInput, logs: { dir: path.join(cwd, 'logs') } }));
  });
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
    console.log(`tenant-isolation: cases per check ${JSON.stringify(counts)}`);
  });

  async function runOp(op: Op, tenant: string, values: string[]): Promise<RunSummary> {
    const manager = new CacheManager({ connection, config, tenant });
    const cli = async (args: string[]) => {
      const result = await runCli(['--tenant', tenant, ...args, '--yes', '--json'], { env: { REDIS_URL: server.url }, cwd });
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as RunSummary;
    };
    switch (op) {
      case 'clearAll':
        return manager.clearAllCaches({ force: true });
      case 'clearAllUnknown':
        return manager.clearAllCaches({ includeUnknown: true, force: true });
      case 'invalidateOne':
        return manager.invalidate('convMapping', { conversationId: values[0]! });
      case 'invalidateWhole':
        return manager.invalidate('convMapping', {}, { force: true });
      case 'conversation':
        return manager.invalidateConversation(values[0]!, { waId: PHONE, force: true });
      case 'pattern':
        return manager.invalidatePattern(Buffer.concat([escapeGlob(`tenant:${tenant}:`), Buffer.from('mapping:*')]), { force: true });
      case 'clearUser':
        return manager.clearUserCache(PHONE, { force: true });
      case 'clearOld':
        return manager.clearOldData({ hours: 1, force: true });
      case 'cliClearAll':
        return cli(['clear-all']);
      case 'cliPattern':
        return cli(['invalidate', 'pattern', `${escapeGlob(`tenant:${tenant}:`).toString('utf8')}mapping:*`]);
    }
  }

  it('property: a restricted run deletes exactly its own keys, never another tenant’s or a non-tenant key', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ tenants, values, op }) => {
        const [target] = tenants as [string];
        // Ids that are prefixes of each other, both ways: "a" vs "ab", "ab" vs "a".
        const others = [
          ...new Set([...tenants.slice(1), `${target}b`, `${target}:`.slice(0, -1) + ' ', ...(target.length > 1 ? [target.slice(0, -1)] : [])]),
        ].filter((t) => t !== target && !t.includes(':'));
        const mine = tenantKeys(target, values);
        const all = [
          ...Object.values(mine).flat(),
          ...others.flatMap((t) => Object.values(tenantKeys(t, values)).flat()),
          // A value holding ":" can put a look-alike inside the tenant ("tenant:^:1x:misc" for value
          // "^:1"): such a key is the tenant's, not outside, so it is left out of this set.
          ...outsideKeys(target, values).filter((k) => !k.startsWith(`tenant:${target}:`)),
        ];
        const keys = [...new Set(all)];
        await writeKeys(connection, keys);
        try {
          const summary = await runOp(op, target, values);
          const gone = new Set(expectedDeleted(op, mine));
          // Exact set comparison: every key not expected to go is still there, and the expected ones are gone.
          expect(await existing(connection, keys)).toEqual(keys.filter((k) => !gone.has(k)).sort());
          expect(summary.deleted).toBe(gone.size);
          expect(summary.tenant?.id).toBe(target);
          // The planner stayed inside the tenant: the engine's guard had nothing to refuse.
          expect(summary.skippedOutsidePrefix ?? 0).toBe(0);
          count(`property:${op}`);
        } finally {
          await deleteByName(connection, keys);
        }
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  describe('the engine guard refuses keys outside the tenant whatever the selection says', () => {
    const tenant = 'a*';
    const inside = ['tenant:a*:mapping:conv:1', 'tenant:a*:misc', 'tenant:a*:session:1'];
    const outside = ['tenant:ab:mapping:conv:1', 'tenant:a:misc', 'tenant:a*', 'user:state:1', 'context:x'];
    const ctx = () => ({ connection, config });

    async function withKeys(check: () => Promise<void>): Promise<void> {
      await writeKeys(connection, [...inside, ...outside]);
      try {
        await check();
      } finally {
        await deleteByName(connection, [...inside, ...outside]);
      }
    }

    it('server-side pattern path (scan-delete script): pattern "*"', async () => {
      await withKeys(async () => {
        const summary = await executeSelections(ctx(), 'test', [{ kind: 'pattern', label: 'all', pattern: Buffer.from('*') }], { tenant });
        expect(await existing(connection, [...inside, ...outside])).toEqual([...outside].sort());
        expect(summary.deleted).toBe(inside.length);
        expect(summary.skippedOutsidePrefix).toBe(outside.length);
        count('guard:script');
      });
    });

    it('exact-key path', async () => {
      await withKeys(async () => {
        const keys = [...inside, ...outside].map((k) => Buffer.from(k));
        const summary = await executeSelections(ctx(), 'test', [{ kind: 'exact', label: 'keys', keys }], { tenant });
        expect(await existing(connection, [...inside, ...outside])).toEqual([...outside].sort());
        expect(summary.skippedOutsidePrefix).toBe(outside.length);
        count('guard:exact');
      });
    });

    it('dry run counts only the tenant’s keys', async () => {
      await withKeys(async () => {
        const summary = await executeSelections(ctx(), 'test', [{ kind: 'pattern', label: 'all', pattern: Buffer.from('*') }], { tenant, dryRun: true });
        expect(summary.matched).toBe(inside.length);
        expect(await existing(connection, [...inside, ...outside])).toHaveLength(inside.length + outside.length);
        count('guard:dry-run');
      });
    });

    it('conditional path (clear-old, delete-if script)', async () => {
      await withKeys(async () => {
        const condition = { mode: 'field' as const, field: 'ts', maxAgeMs: 1, now: Date.now() };
        const summary = await executeSelections(ctx(), 'test', [{ kind: 'pattern', label: 'all', pattern: Buffer.from('*'), condition }], { tenant });
        expect(await existing(connection, [...inside, ...outside])).toEqual([...inside.filter((k) => !k.includes(':session:')), ...outside].sort());
        expect(summary.skippedOutsidePrefix).toBe(outside.length);
        count('guard:conditional');
      });
    });

    it('client-side path (a user without EVAL/EVALSHA) and the backup capture', async () => {
      const admin = connection.masters()[0]!;
      await admin.call('ACL', 'SETUSER', 'noscript', 'on', '>noscript-pass', '~*', '&*', '+@all', '-eval', '-evalsha');
      const limited = await connect({ url: server.url.replace('redis://', 'redis://noscript:noscript-pass@') });
      try {
        await withKeys(async () => {
          const captured: string[] = [];
          const summary = await executeSelections({ connection: limited, config }, 'test', [{ kind: 'pattern', label: 'all', pattern: Buffer.from('*') }], {
            tenant,
            capture: async (entries) => {
              captured.push(...entries.map((e) => e.key.toString()));
            },
          });
          expect(await existing(connection, [...inside, ...outside])).toEqual([...outside].sort());
          expect(captured.sort()).toEqual([...inside].sort());
          expect(summary.skippedOutsidePrefix).toBe(outside.length);
          count('guard:client');
        });
      } finally {
        await limited.close();
        await admin.call('ACL', 'DELUSER', 'noscript');
      }
    });

    it('backup with a tenant writes only the tenant’s keys; restore with a tenant puts back only them', async () => {
      await withKeys(async () => {
        const manager = new CacheManager({ connection, config, tenant });
        const file = path.join(cwd, 'tenant.cbk');
        const result = await manager.backup([{ pattern: Buffer.concat([escapeGlob('tenant:a*:'), Buffer.from('*')]) }, { family: 'convMapping' }], {
          out: file,
          overwrite: true,
        });
        expect(result.keys).toBe(inside.length);
        await expect(manager.backup([{ pattern: '*' }], { out: file, overwrite: true })).rejects.toThrow(/outside tenant/);
        // An unrestricted backup of everything, restored by another tenant's manager: nothing comes back.
        const everything = path.join(cwd, 'all.cbk');
        await new CacheManager({ connection, config }).backup([{ pattern: '*' }], { out: everything, overwrite: true });
        await deleteByName(connection, [...inside, ...outside]);
        const other = await new CacheManager({ connection, config, tenant: 'b' }).restore(everything);
        expect(other.restored).toBe(0);
        const own = await manager.restore(everything, { force: true });
        expect(own.restored).toBe(inside.length);
        expect(await existing(connection, [...inside, ...outside])).toEqual([...inside].sort());
        count('guard:backup-restore');
      });
    });
  });

  it('tenantPattern matches exactly the keys under tenant:<id>: (server SCAN agrees)', async () => {
    await fc.assert(
      fc.asyncProperty(tenantId, fc.uniqueArray(tenantId, { minLength: 1, maxLength: 3 }), async (tenant, others) => {
        const keys = [...new Set([tenant, ...others, `${tenant}b`].flatMap((t) => [`tenant:${t}:x`, `tenant:${t}`, `tenant:${t}x:y`]))];
        await writeKeys(connection, keys);
        try {
          const found: string[] = [];
          let cursor = '0';
          do {
            const [next, batch] = await connection.masters()[0]!.scan(cursor, 'MATCH', tenantPattern(tenantScope(tenant)).toString('utf8'), 'COUNT', 1000);
            cursor = next;
            found.push(...batch);
          } while (cursor !== '0');
          expect(found.sort()).toEqual([`tenant:${tenant}:x`]);
          count('tenantPattern:scan');
        } finally {
          await deleteByName(connection, keys);
        }
      }),
      { numRuns: 100 },
    );
  });

  describe('CLI', () => {
    const env = () => ({ REDIS_URL: server.url });
    const sentinel = 'user:state:+27820000000';

    it.each([
      [['--tenant', '', 'keys', 'convMapping'], /Empty tenant id/],
      [['--tenant', 'a:b', 'keys', 'convMapping'], /contains ":"/],
      [['--tenant', 'a', '--tenant', 'b', 'keys', 'convMapping'], /given twice/],
      [['--tenant', 'a', 'invalidate', 'pattern', 'tenant:*', '--yes'], /reaches outside tenant a[\s\S]*tenant:a:/],
      [['--tenant', 'a*', 'invalidate', 'pattern', 'tenant:a*:*', '--yes'], /reaches outside tenant a\*/],
      [['--tenant', 'a', 'keys', 'pattern', '*'], /reaches outside/],
      [['--tenant', 'a', 'invalidate', 'userState', '--yes'], /not tenant-scoped/],
      [['--tenant', 'a', 'clear-all', '--queue', '--yes'], /cannot be restricted/],
      [['--tenant', 'a', 'queues'], /"queues" cannot be restricted/],
      [['--tenant', 'a', 'queues', 'clean', 'q', '--yes'], /"queues" cannot be restricted/],
      [['--tenant', 'a', 'doctor'], /"doctor" cannot be restricted/],
      [['--tenant', 'a', 'stats'], /"stats" cannot be restricted/],
      [['--tenant', 'a', 'hook', 'pre-deploy'], /"hook" cannot be restricted/],
      [['--tenant', 'a', 'listen'], /"listen" cannot be restricted/],
      [['--tenant', 'a', 'restore', 'x.cbk', '--match', 'user:*'], /reaches outside/],
      [['--tenant', 'a', 'backup', 'userState', '--out', 'x.cbk'], /not tenant-scoped/],
    ])('refuses %j with exit 2, nothing modified', async (args, message) => {
      await connection.client.set(sentinel, '1');
      await connection.client.set('tenant:a:mapping:conv:1', '1');
      try {
        const result = await runCli(args, { env: env(), cwd });
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(message);
        expect(result.stderr).toMatch(/hint:/);
        expect(await existing(connection, [sentinel, 'tenant:a:mapping:conv:1'])).toHaveLength(2);
        count('cli:refusal');
      } finally {
        await deleteByName(connection, [sentinel, 'tenant:a:mapping:conv:1']);
      }
    });

    it('clear-all --tenant reports the families left out, in --json and on stderr', async () => {
      await writeKeys(connection, ['tenant:a:mapping:conv:1', 'tenant:b:mapping:conv:1', sentinel]);
      try {
        const result = await runCli(['--tenant', 'a', 'clear-all', '--yes', '--json'], { env: env(), cwd });
        expect(result.code, result.stderr).toBe(0);
        const summary = JSON.parse(result.stdout) as RunSummary;
        expect(summary.tenant).toEqual({ id: 'a', skippedFamilies: ['userState', 'chatList', 'context'] });
        expect(summary.deleted).toBe(1);
        const human = await runCli(['--tenant', 'a', 'clear-all', '--dry-run'], { env: env(), cwd });
        expect(human.stderr).toMatch(/skipped \(not tenant-scoped\): userState, chatList, context/);
        expect(await existing(connection, ['tenant:a:mapping:conv:1', 'tenant:b:mapping:conv:1', sentinel])).toEqual(
          ['tenant:b:mapping:conv:1', sentinel].sort(),
        );
        count('cli:report');
      } finally {
        await deleteByName(connection, ['tenant:b:mapping:conv:1', sentinel]);
      }
    });

    it('keys --tenant lists only the tenant’s keys', async () => {
      const keys = ['tenant:a:mapping:conv:1', 'tenant:ab:mapping:conv:1', 'tenant:b:mapping:conv:2'];
      await writeKeys(connection, keys);
      try {
        const result = await runCli(['--tenant', 'a', 'keys', 'convMapping'], { env: env(), cwd });
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout.trim().split('\n')).toEqual(['tenant:a:mapping:conv:1']);
        count('cli:keys');
      } finally {
        await deleteByName(connection, keys);
      }
    });
  });
});

describe('tenant isolation on the cluster', () => {
  const target = serverTargets().find((t) => t.cluster)!;

  it('clear-all --include-unknown with a tenant deletes only that tenant’s keys on every master', async () => {
    const connection = await connect({ url: target.url });
    // Random ids: the shared cluster holds other tests' keys; we only create and touch our own.
    const id = `iso${Math.random().toString(36).slice(2, 8)}`;
    const mine = Array.from({ length: 30 }, (_, i) => `tenant:${id}*:k${i}`);
    const others = Array.from({ length: 30 }, (_, i) => [`tenant:${id}*x:k${i}`, `tenant:${id}:k${i}`, `tenant:${id}[*]:k${i}`]).flat();
    try {
      await Promise.all([...mine, ...others].map((key) => connection.client.set(key, '1')));
      const manager = new CacheManager({ connection, config, tenant: `${id}*` });
      const summary = await manager.clearAllCaches({ includeUnknown: true, force: true });
      expect(summary.deleted).toBe(mine.length);
      expect(summary.nodes.length).toBeGreaterThan(1);
      expect(await existing(connection, [...mine, ...others])).toEqual([...others].sort());
      count('cluster');
    } finally {
      await deleteByName(connection, [...mine, ...others]);
      await connection.close();
    }
  });
});
