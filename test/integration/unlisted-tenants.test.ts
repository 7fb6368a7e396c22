// Tenant namespaces the config does not list: with `scanTenants` on a family, every path — the
// CLI, the library, the in-process invalidator (listen's rules) — also reaches them; without it
// they are missed, and doctor names them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { CacheManager } from '../../src/core/cache-manager.js';
import { createInvalidator } from '../../src/core/invalidation/invalidator.js';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { runCli } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

const KEYS = ['tenant:default:mapping:conv:c-1', 'tenant:acme:mapping:conv:c-1', 'tenant:globex:mapping:conv:c-1'];
const OTHER = 'tenant:globex:mapping:conv:c-2';

describe('tenant namespaces the config does not list (tenants: [acme]; globex exists in the keyspace)', () => {
  let server: ServerHandle;
  let client: Redis;
  let connection: RedisConnection;
  let dir: string;

  beforeAll(async () => {
    server = await startServer();
    client = new Redis(server.port, '127.0.0.1');
    connection = await connect({ url: server.url });
    dir = mkdtempSync(path.join(tmpdir(), 'cachectl-tenants-'));
  }, 30_000);
  afterAll(async () => {
    await connection?.close();
    client?.disconnect();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await client.flushall(); // this test's own server
    for (const key of [...KEYS, OTHER]) await client.set(key, '{"communication_id":null}');
  });

  const input = (scanTenants: boolean) => ({
    tenants: ['acme'],
    logs: { dir: path.join(dir, 'logs') },
    families: {
      convMapping: { template: 'tenant:{tenant}:mapping:conv:{conversationId}', scanTenants },
      waMapping: { template: 'tenant:{tenant}:mapping:wa:{waId}', user: 'waId', scanTenants },
    },
  });
  const cli = (scanTenants: boolean, args: string[]) => {
    writeFileSync(path.join(dir, 'cachectl.config.json'), JSON.stringify(input(scanTenants)));
    return runCli(['--redis-url', server.url, ...args], { cwd: dir });
  };
  const left = async () => (await Promise.all([...KEYS, OTHER].map((k) => client.exists(k)))).map((n, i) => (n ? [...KEYS, OTHER][i] : '')).filter(Boolean);

  it('without scanTenants the unlisted tenant is missed (the behaviour the setting exists for)', async () => {
    const result = await cli(false, ['invalidate', 'conversation', 'c-1', '--yes']);
    expect(result.code, result.stderr).toBe(0);
    expect(await left()).toEqual(['tenant:globex:mapping:conv:c-1', OTHER]);
  });

  it('CLI: invalidate conversation reaches it', async () => {
    const result = await cli(true, ['invalidate', 'conversation', 'c-1', '--yes', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(await left()).toEqual([OTHER]);
  });

  it('library: CacheManager.invalidateConversation reaches it', async () => {
    const manager = new CacheManager({ connection, config: resolveConfig(input(true)) });
    await manager.invalidateConversation('c-1', { force: true, audit: false });
    expect(await left()).toEqual([OTHER]);
  });

  it("listen's correlation rule (the in-process invalidator) reaches it", async () => {
    const invalidator = createInvalidator(resolveConfig(input(true)), connection);
    const result = await invalidator.handle({ type: 'conversation.correlated', data: { conversationId: 'c-1', waId: '+27820000000' } });
    expect(result.ok).toBe(true);
    expect(await left()).toEqual([OTHER]);
    const listed = createInvalidator(resolveConfig(input(false)), connection);
    for (const key of KEYS) await client.set(key, 'v');
    await listed.handle({ type: 'conversation.correlated', data: { conversationId: 'c-1', waId: '+27820000000' } });
    expect(await left()).toEqual(['tenant:globex:mapping:conv:c-1', OTHER]);
  });

  it('doctor names the unlisted namespace, and passes once the family covers it', async () => {
    const warned = await cli(false, ['doctor', '--json', '--exact']);
    const check = (JSON.parse(warned.stdout) as { checks: Array<{ id: string; status: string; message: string; hint: string | null }> }).checks.find(
      (c) => c.id === 'tenants',
    );
    expect(check?.status).toBe('warn');
    expect(check?.message).toMatch(/tenant:globex: 2 key\(s\) in a tenant namespace the config does not list/);
    expect(check?.hint).toMatch(/scanTenants/);
    const covered = await cli(true, ['doctor', '--json', '--exact']);
    expect((JSON.parse(covered.stdout) as { checks: Array<{ id: string; status: string }> }).checks.find((c) => c.id === 'tenants')?.status).toBe('pass');
  });

  it('stats --tenants and doctor show each tenant: keys, whether it is listed, and its own policy', async () => {
    writeFileSync(
      path.join(dir, 'cachectl.config.json'),
      JSON.stringify({ ...input(false), tenantPolicies: { acme: { families: { convMapping: { maxAgeHours: 48, ttlSeconds: 3600 } } } } }),
    );
    const stats = await runCli(['--redis-url', server.url, 'stats', '--tenants', '--exact', '--json'], { cwd: dir });
    expect(stats.code, stats.stderr).toBe(0);
    const tenants = (JSON.parse(stats.stdout) as { tenants: { tenants: Array<{ tenant: string; keys: number; listed: boolean; policy?: unknown }> } }).tenants
      .tenants;
    expect(tenants.find((t) => t.tenant === 'acme')).toEqual({
      tenant: 'acme',
      keys: 1,
      listed: true,
      policy: { convMapping: { maxAgeHours: 48, ttlSeconds: 3600 } },
    });
    expect(tenants.find((t) => t.tenant === 'globex')).toEqual({ tenant: 'globex', keys: 2, listed: false });
    const table = await runCli(['--redis-url', server.url, 'stats', '--tenants', '--exact'], { cwd: dir });
    expect(table.stdout).toMatch(/acme\s*│\s*1\s*│\s*yes\s*│\s*convMapping retention 48 h, TTL 3600 s/);
    const doctor = await runCli(['--redis-url', server.url, 'doctor', '--json', '--exact'], { cwd: dir });
    const check = (JSON.parse(doctor.stdout) as { checks: Array<{ id: string; findings: Array<{ subject: string; message: string }> }> }).checks.find(
      (c) => c.id === 'tenants',
    );
    expect(check?.findings).toContainEqual({ subject: 'tenant:acme', status: 'pass', message: 'own policy: convMapping retention 48 h, TTL 3600 s' });
  });

  it('scanTenants on a family without {tenant} is a config error (exit 2)', async () => {
    writeFileSync(
      path.join(dir, 'cachectl.config.json'),
      JSON.stringify({ families: { chatList: { template: 'chats:{deviceId}:{chatId}', scanTenants: true } } }),
    );
    const result = await runCli(['--redis-url', server.url, 'ping'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/scanTenants: the template has no \{tenant\} placeholder/);
  });
});
