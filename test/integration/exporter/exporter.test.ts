// The exporter against a server of its own holding known content: every figure of the seeded
// keyspace appears with its exact value (the keyspace is smaller than the sample, so the census
// inspects every key), the exposition parses strictly, a scrape never waits for a refresh, and a
// server restart is reported as down, then recovered, while the process stays up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exporter } from '../../../src/core/exporter/exporter.js';
import { serveExporter, type ExporterServer } from '../../../src/core/exporter/http.js';
import { connect } from '../../../src/redis/connect.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';
import {
  documentedMetrics,
  exporterConfig,
  get,
  promValue,
  QUEUE,
  QUEUE_COUNTS,
  scrape,
  scrapeUntil,
  seedExporterTarget,
  type ExporterExpectation,
} from '../../helpers/exporter.js';

const refreshed = (m: Map<string, unknown>) => (m as Map<string, { samples: unknown[] }>).has('cachectl_exporter_refresh_timestamp_seconds');

describe('cachectl exporter on a seeded standalone server', () => {
  let server: ServerHandle;
  let expected: ExporterExpectation;
  let exporter: Exporter;
  let http: ExporterServer;
  let base: string;
  const logs: string[] = [];

  beforeAll(async () => {
    server = await startServer({ persistence: true });
    expected = await seedExporterTarget(server.url);
    exporter = new Exporter(exporterConfig(), {
      url: server.url,
      open: (url) => connect({ url, connectTimeoutMs: 1000, commandTimeoutMs: 2000 }),
      refreshMs: 1000,
      discoveryMs: 1000,
      // Tiny keyspace: let the pacer rest less so the first refresh lands quickly.
      serverShare: 0.2,
      scrapeTimeoutMs: 2000,
      log: (r) => logs.push(`${r.event}: ${r.msg}`),
    });
    http = await serveExporter(exporter, '127.0.0.1', 0);
    base = `http://127.0.0.1:${http.address.port}`;
    exporter.start();
  });

  afterAll(async () => {
    await http?.close();
    await exporter?.stop();
    await server?.stop();
  });

  it('reports every family, tenant, queue, stream and maintenance figure of the seeded keyspace', async () => {
    const m = await scrapeUntil(base, (x) => refreshed(x) && promValue(x, 'cachectl_queues') === 1);
    expect(promValue(m, 'cachectl_up')).toBe(1);
    expect(promValue(m, 'cachectl_stats_exact')).toBe(1);
    for (const [family, want] of Object.entries(expected.families)) {
      expect({ family, keys: promValue(m, 'cachectl_family_keys', { family }) }).toEqual({ family, keys: want.keys });
      expect({ family, withoutTtl: promValue(m, 'cachectl_family_keys_without_ttl', { family }) }).toEqual({ family, withoutTtl: want.withoutTtl });
      expect({ family, aboveTtl: promValue(m, 'cachectl_family_keys_above_ttl', { family }) ?? null }).toEqual({ family, aboveTtl: want.aboveTtl });
      const coverage = want.keys === 0 ? 1 : 1 - want.withoutTtl / want.keys;
      expect(promValue(m, 'cachectl_family_ttl_coverage_ratio', { family })).toBeCloseTo(coverage, 5);
    }
    for (const [tenant, keys] of Object.entries(expected.tenants))
      expect({ tenant, keys: promValue(m, 'cachectl_tenant_keys', { tenant }) }).toEqual({ tenant, keys });
    // Bounded labels: an unconfigured tenant never becomes a label of its own.
    expect(
      m
        .get('cachectl_tenant_keys')!
        .samples.map((s) => s.labels.tenant)
        .sort(),
    ).toEqual(['_other', 'acme', 'default', 'globex']);
    expect(promValue(m, 'cachectl_unknown_keys')).toBe(expected.unknownKeys);
    expect(promValue(m, 'cachectl_queue_keys')).toBeGreaterThan(0);
    const q = { prefix: 'bull', queue: QUEUE };
    expect(promValue(m, 'cachectl_queue_jobs', { ...q, state: 'wait' })).toBe(QUEUE_COUNTS.waiting);
    expect(promValue(m, 'cachectl_queue_jobs', { ...q, state: 'waiting' })).toBeUndefined();
    expect(promValue(m, 'cachectl_queue_jobs', { ...q, state: 'failed' })).toBe(QUEUE_COUNTS.failing);
    expect(promValue(m, 'cachectl_queue_jobs', { ...q, state: 'completed' })).toBe(QUEUE_COUNTS.done);
    expect(promValue(m, 'cachectl_queue_oldest_waiting_age_seconds', q)).toBeGreaterThan(0);
    expect(promValue(m, 'cachectl_invalidation_stream_length')).toBe(5);
    expect(promValue(m, 'cachectl_invalidation_lag')).toBe(3);
    expect(promValue(m, 'cachectl_invalidation_pending')).toBe(2);
    expect(promValue(m, 'cachectl_invalidation_consumers')).toBe(1);
    expect(promValue(m, 'cachectl_invalidation_dead_letters')).toBe(1);
    expect(promValue(m, 'cachectl_maintenance_overdue')).toBe(1);
    expect(promValue(m, 'cachectl_maintenance_last_run_info', { status: 'failed' })).toBe(1);
    expect(promValue(m, 'cachectl_maintenance_last_run_removed')).toBe(12);
    // Doctor verdicts: keys without TTL in TTL families fail; maintenance overdue fails; two failed jobs pass.
    expect(promValue(m, 'cachectl_doctor_check_status', { check: 'ttl-coverage' })).toBe(2);
    expect(promValue(m, 'cachectl_doctor_check_status', { check: 'maintenance' })).toBe(2);
    expect(promValue(m, 'cachectl_doctor_check_status', { check: 'eviction-policy' })).toBe(0);
    expect(promValue(m, 'cachectl_doctor_check_status', { check: 'failed-jobs' })).toBe(0);
    expect(promValue(m, 'cachectl_doctor_status')).toBe(2);
    const master = `127.0.0.1:${server.port}`;
    expect(promValue(m, 'cachectl_master_up', { master })).toBe(1);
    expect(promValue(m, 'cachectl_maxmemory_policy_info', { master, policy: 'noeviction' })).toBe(1);
    expect(promValue(m, 'cachectl_keys')).toBeGreaterThanOrEqual(expected.totalKeys - 5);
    // The census's longest step is reported (its budget is held by bench/exporter.mjs, which
    // measures it beside another client's latency: a wall-clock bound here would only measure
    // how loaded the test machine is).
    const longest = promValue(m, 'cachectl_exporter_refresh_longest_step_seconds');
    expect(longest).toBeGreaterThan(0);
    expect(Number.isFinite(longest)).toBe(true);
  });

  it('every metric it serves is documented in docs/monitoring.md', async () => {
    const documented = documentedMetrics();
    const served = [...(await scrape(base)).keys()];
    expect(served.length).toBeGreaterThan(50);
    expect(served.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('serves the Prometheus content type, /healthz, and 404/405 for anything else', async () => {
    const metrics = await get(base, '/metrics');
    expect(metrics.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const health = await get(base, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', target: 'up' });
    expect((await get(base, '/nope')).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('survives a server restart: reports the target down, then recovers with fresh figures', async () => {
    await server.kill();
    const down = await scrapeUntil(base, (x) => promValue(x, 'cachectl_up') === 0, 10_000);
    expect(promValue(down, 'cachectl_master_up', { master: `127.0.0.1:${server.port}` })).toBe(0);
    // The last census is still served, with its age, while the server is away.
    expect(promValue(down, 'cachectl_family_keys', { family: 'userState' })).toBe(expected.families.userState!.keys);
    expect(JSON.parse((await get(base, '/healthz')).body)).toMatchObject({ status: 'ok', target: 'down' });
    await server.restart(); // same port, AOF: the keys come back
    const back = await scrapeUntil(
      base,
      (x) => promValue(x, 'cachectl_up') === 1 && (promValue(x, 'cachectl_uptime_seconds', { master: `127.0.0.1:${server.port}` }) ?? 99) < 60,
      15_000,
    );
    expect(promValue(back, 'cachectl_exporter_connections_total', { result: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(logs.some((l) => l.startsWith('target-down'))).toBe(true);
    expect(logs.some((l) => l.startsWith('target-up') && l.includes('again'))).toBe(true);
  }, 40_000);

  it('a scrape never waits for a refresh in progress', async () => {
    // A second exporter whose census crawls (a tiny share of server time): its first refresh takes
    // far longer than this test, yet scrapes answer at once with the cheap figures.
    const slow = new Exporter(exporterConfig(), {
      url: server.url,
      open: (url) => connect({ url }),
      serverShare: 0.0005,
      sample: 50_000,
    });
    const slowHttp = await serveExporter(slow, '127.0.0.1', 0);
    slow.start();
    try {
      const slowBase = `http://127.0.0.1:${slowHttp.address.port}`;
      await new Promise((r) => setTimeout(r, 1500));
      const started = performance.now();
      const m = await scrape(slowBase);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(promValue(m, 'cachectl_up')).toBe(1);
      expect(promValue(m, 'cachectl_exporter_refreshes_total', { result: 'ok' })).toBe(0);
      expect(m.has('cachectl_family_keys')).toBe(false);
    } finally {
      await slowHttp.close();
      const stopping = performance.now();
      await slow.stop();
      // Stopping does not wait for the census to finish.
      expect(performance.now() - stopping).toBeLessThan(3000);
    }
  });
});
