import { describe, expect, it } from 'vitest';
import { connect } from '../../src/redis/connect.js';
import { collectPing } from '../../src/core/ping.js';
import { runCli } from '../helpers/cli.js';
import { serverTargets } from '../helpers/targets.js';

describe.each(serverTargets())('ping on $name', (target) => {
  it('connects, detects the mode and lists the masters', async () => {
    const connection = await connect({ url: target.url });
    try {
      const result = await collectPing(connection);
      expect(result.mode).toBe(target.cluster ? 'cluster' : 'standalone');
      expect(result.masters).toHaveLength(target.cluster ? 3 : 1);
      expect(result.flavor).toBe(target.name === 'valkey' ? 'valkey' : 'redis');
      expect(result.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(result.totalKeys).toBe(result.masters.reduce((n, m) => n + m.keys, 0));
      for (const m of result.masters) expect(m.latencyMs).toBeGreaterThan(0);
    } finally {
      await connection.close();
    }
  });

  it('counts keys per master (keys written through the client land on their masters)', async () => {
    const connection = await connect({ url: target.url });
    const prefix = `t:ping:${Math.random().toString(16).slice(2)}:`;
    try {
      const before = (await collectPing(connection)).totalKeys;
      const keys = Array.from({ length: 30 }, (_, i) => `${prefix}{${i}}`);
      await Promise.all(keys.map((k) => connection.client.set(k, '1', 'EX', 60)));
      const after = await collectPing(connection);
      expect(after.totalKeys - before).toBeGreaterThanOrEqual(30);
      if (target.cluster) expect(after.masters.filter((m) => m.keys > 0).length).toBe(3);
      await Promise.all(keys.map((k) => connection.client.unlink(k)));
    } finally {
      await connection.close();
    }
  });

  it('cachectl ping --json prints the documented shape', async () => {
    const result = await runCli(['ping', '--json', '--redis-url', target.url]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data).toMatchObject({ mode: target.cluster ? 'cluster' : 'standalone', flavor: expect.any(String) });
    expect(data.masters.length).toBe(target.cluster ? 3 : 1);
  });

  it('cachectl ping prints a table a person can read', async () => {
    const result = await runCli(['ping', '--redis-url', target.url]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^PONG from /);
    expect(result.stdout).toContain(target.cluster ? 'cluster of 3 masters' : 'standalone');
  });
});

describe('connection modes', () => {
  const [redis, cluster] = serverTargets();

  it('--cluster against a standalone server is a clear usage error', async () => {
    const result = await runCli(['ping', '--cluster', '--redis-url', redis!.url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a cluster node/);
  });

  it('--no-cluster talks to one cluster node only', async () => {
    const result = await runCli(['ping', '--no-cluster', '--json', '--redis-url', cluster!.url]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).masters).toHaveLength(1);
  });

  it('a db index the server does not have fails with exit 3', async () => {
    const result = await runCli(['ping', '--redis-url', `${redis!.url}/999`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/Database index is out of range/);
  });

  it('a /db on a cluster is refused', async () => {
    const result = await runCli(['ping', '--redis-url', `${cluster!.url}/1`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/only database 0/);
  });
});
