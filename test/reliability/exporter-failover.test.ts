// The exporter under a cluster failover: the master of the configured URL is SIGKILLed (so the
// exporter must find the cluster through another node it has seen), the exporter reports the
// target down and keeps serving, then, once the replica has taken over, reports it up again with
// the new master, and its key census counts every key again (the replica holds them all).
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { Exporter } from '../../src/core/exporter/exporter.js';
import { serveExporter, type ExporterServer } from '../../src/core/exporter/http.js';
import { connect } from '../../src/redis/connect.js';
import { get, promValue, scrapeUntil } from '../helpers/exporter.js';
import { startCluster, type ClusterHandle } from '../helpers/servers.js';

const KEYS = 3000;

describe('exporter: a cluster master dies and its replica takes over', () => {
  let cluster: ClusterHandle;
  let exporter: Exporter;
  let http: ExporterServer;
  let base: string;
  const logs: string[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 1, autoFailover: false });
    const seeder = new Cluster([cluster.masters[0]!], { enableAutoPipelining: true });
    try {
      await Promise.all(Array.from({ length: KEYS }, (_, i) => seeder.set(`user:state:+2782${i}`, 'v', 'EX', 3600)));
      await Promise.all(seeder.nodes('master').map((n) => n.call('WAIT', '1', '2000')));
    } finally {
      seeder.disconnect();
    }
    exporter = new Exporter(resolveConfig({}), {
      url: cluster.url,
      open: (url) => connect({ url, connectTimeoutMs: 1000, commandTimeoutMs: 1500 }),
      refreshMs: 1000,
      discoveryMs: 60_000,
      serverShare: 0.2,
      scrapeTimeoutMs: 2000,
      log: (r) => logs.push(`${r.event}: ${r.msg}`),
    });
    http = await serveExporter(exporter, '127.0.0.1', 0);
    base = `http://127.0.0.1:${http.address.port}`;
    exporter.start();
  }, 60_000);

  afterAll(async () => {
    await http?.close();
    await exporter?.stop();
    await cluster?.stop();
  });

  it('reports the target down during the failover, then up with the new master and every key', async () => {
    const masterName = (i: number) => `${cluster.nodes[i]!.host}:${cluster.nodes[i]!.port}`;
    const before = await scrapeUntil(base, (m) => promValue(m, 'cachectl_up') === 1 && promValue(m, 'cachectl_family_keys', { family: 'userState' }) === KEYS);
    expect([0, 1, 2].map((i) => promValue(before, 'cachectl_master_up', { master: masterName(i) }))).toEqual([1, 1, 1]);

    // Kill the master of the configured URL: a reconnect through that URL can no longer work.
    await cluster.nodes[0]!.kill();
    const down = await scrapeUntil(base, (m) => promValue(m, 'cachectl_up') === 0, 15_000);
    expect(down.has('cachectl_up')).toBe(true);
    expect(JSON.parse((await get(base, '/healthz')).body)).toMatchObject({ status: 'ok', target: 'down' });

    const replica = new Redis({ host: cluster.nodes[3]!.host, port: cluster.nodes[3]!.port, maxRetriesPerRequest: 1 });
    try {
      if (!String(await replica.call('ROLE')).startsWith('master')) await replica.call('CLUSTER', 'FAILOVER', 'TAKEOVER');
    } finally {
      replica.disconnect();
    }
    const after = await scrapeUntil(
      base,
      (m) => promValue(m, 'cachectl_up') === 1 && promValue(m, 'cachectl_master_up', { master: masterName(3) }) === 1,
      30_000,
    );
    expect([1, 2, 3].map((i) => promValue(after, 'cachectl_master_up', { master: masterName(i) }))).toEqual([1, 1, 1]);
    expect(promValue(after, 'cachectl_master_up', { master: masterName(0) })).toBeUndefined();
    expect(promValue(after, 'cachectl_cluster_state_ok')).toBe(1);
    // A fresh census after the change of masters counts every key again.
    const counted = await scrapeUntil(
      base,
      (m) => (promValue(m, 'cachectl_exporter_refresh_age_seconds') ?? 99) < 2 && promValue(m, 'cachectl_family_keys', { family: 'userState' }) === KEYS,
      20_000,
    );
    expect(promValue(counted, 'cachectl_keys')).toBe(KEYS);
    expect(logs.some((l) => l.startsWith('target-down'))).toBe(true);
    expect(logs.some((l) => l.includes('again'))).toBe(true);
  }, 90_000);
});
