// A real Prometheus (Debian's package) scrapes the exporter on loopback every second: the series
// of a seeded keyspace appear in its HTTP API with the expected values, the shipped alert rules
// load and the alerts this keyspace deserves go pending, and a dead server raises the target-down
// alert. promtool checks the shipped rules and the exposition. Skipped, with a note, only where
// prometheus is not installed (in CI, where it is packaged, its absence fails the run instead).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exporter } from '../../../src/core/exporter/exporter.js';
import { serveExporter, type ExporterServer } from '../../../src/core/exporter/http.js';
import { connect } from '../../../src/redis/connect.js';
import { ROOT } from '../../helpers/cli.js';
import { exporterConfig, get, QUEUE, QUEUE_COUNTS, seedExporterTarget, type ExporterExpectation } from '../../helpers/exporter.js';
import { prometheusMissing, promtool, startPrometheus, type PrometheusHandle } from '../../helpers/prometheus.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';

const RULES = path.join(ROOT, 'monitoring/prometheus/cachectl-alerts.yml');
const missing = prometheusMissing();
if (missing) console.warn(`[prometheus.test] SKIPPED: ${missing}`);

async function eventually<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(missing !== null)('the exporter scraped by a real Prometheus', () => {
  let server: ServerHandle;
  let expected: ExporterExpectation;
  let exporter: Exporter;
  let http: ExporterServer;
  let prometheus: PrometheusHandle;
  let base: string;

  beforeAll(async () => {
    server = await startServer();
    expected = await seedExporterTarget(server.url);
    // Queues on a server that evicts: the eviction-policy alert must go off.
    const admin = new Redis(server.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    admin.disconnect();
    exporter = new Exporter(exporterConfig(), {
      url: server.url,
      open: (url) => connect({ url, connectTimeoutMs: 500, commandTimeoutMs: 800 }),
      refreshMs: 1000,
      discoveryMs: 1000,
      serverShare: 0.2,
    });
    http = await serveExporter(exporter, '127.0.0.1', 0);
    base = `http://127.0.0.1:${http.address.port}`;
    exporter.start();
    prometheus = await startPrometheus([`127.0.0.1:${http.address.port}`], [RULES]);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await http?.close();
    await exporter?.stop();
    await server?.stop();
  });

  /** The value of one series in Prometheus, once it has one. */
  const value = (expr: string) =>
    eventually(expr, async () => {
      const result = await prometheus.query(expr);
      return result.length === 1 ? Number(result[0]!.value[1]) : undefined;
    });

  it('the series of the seeded keyspace appear in the HTTP API with their values', async () => {
    expect(await value('cachectl_up')).toBe(1);
    for (const [family, want] of Object.entries(expected.families)) {
      expect({ family, keys: await value(`cachectl_family_keys{family="${family}"}`) }).toEqual({ family, keys: want.keys });
      expect({ family, withoutTtl: await value(`cachectl_family_keys_without_ttl{family="${family}"}`) }).toEqual({ family, withoutTtl: want.withoutTtl });
    }
    expect(await value('cachectl_family_keys_above_ttl{family="chatList"}')).toBe(7);
    expect(await value('cachectl_tenant_keys{tenant="acme"}')).toBe(expected.tenants.acme);
    expect(await value('cachectl_tenant_keys{tenant="_other"}')).toBe(expected.tenants._other);
    expect(await value('cachectl_unknown_keys')).toBe(expected.unknownKeys);
    expect(await value(`cachectl_queue_jobs{queue="${QUEUE}",state="wait"}`)).toBe(QUEUE_COUNTS.waiting);
    expect(await value(`cachectl_queue_jobs{queue="${QUEUE}",state="failed"}`)).toBe(QUEUE_COUNTS.failing);
    expect(await value('cachectl_invalidation_lag')).toBe(3);
    expect(await value('cachectl_invalidation_dead_letters')).toBe(1);
    expect(await value('cachectl_maintenance_overdue')).toBe(1);
    expect(await value('cachectl_doctor_check_status{check="eviction-policy"}')).toBe(2);
    // Prometheus' own view of the target.
    expect(await value('up{job="cachectl"}')).toBe(1);
  }, 60_000);

  it('the shipped alert rules load and the alerts this keyspace deserves go off', async () => {
    const wanted = [
      'CachectlQueuesOnEvictingServer',
      'CachectlTtlLessKeys',
      'CachectlTtlAbovePolicy',
      'CachectlMaintenanceOverdue',
      'CachectlMaintenanceFailed',
      'CachectlInvalidationDeadLetters',
    ];
    let seen = new Set<string>();
    const active = await eventually(`the alerts ${wanted.join(', ')}`, async () => {
      seen = new Set((await prometheus.alerts()).map((a) => a.labels.alertname!));
      return wanted.every((w) => seen.has(w)) ? seen : undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message}; active: ${[...seen].join(', ') || 'none'}`);
    });
    for (const name of wanted) expect(active.has(name), name).toBe(true);
    // Nothing is wrong with the target itself yet, and no TTL family is below 90 % coverage
    // (userState, the worst, is at exactly 90 %).
    expect(active.has('CachectlTargetDown')).toBe(false);
    expect(active.has('CachectlTtlLessKeysHigh')).toBe(false);
    const ttl = (await prometheus.alerts()).filter((a) => a.labels.alertname === 'CachectlTtlAbovePolicy').map((a) => a.labels.family);
    expect(ttl).toEqual(['chatList']);
  }, 60_000);

  it('every query of the shipped Grafana dashboard runs in Prometheus and most return data', async () => {
    const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'monitoring/grafana/cachectl-dashboard.json'), 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr.replaceAll('$instance', '.*').replaceAll('$__rate_interval', '1m') })),
    );
    let withData = 0;
    for (const { panel, expr } of exprs) {
      const result = await prometheus.query(expr).catch((error: Error) => {
        throw new Error(`panel "${panel}": ${expr}: ${error.message}`);
      });
      if (result.length > 0) withData++;
    }
    // Some series are legitimately absent here (no successful maintenance run, no trimmed figure).
    expect(withData).toBeGreaterThan(exprs.length * 0.8);
  }, 60_000);

  it('promtool accepts the shipped rules and the exposition', async () => {
    const rules = promtool(['check', 'rules', RULES]);
    expect(rules.code, rules.out).toBe(0);
    expect(rules.out).toMatch(/SUCCESS: \d+ rules found/);
    const exposition = (await get(base, '/metrics')).body;
    const metrics = promtool(['check', 'metrics'], exposition);
    expect(metrics.code, metrics.out).toBe(0);
    expect(metrics.out.trim()).toBe('');
    // promtool does find problems when there are some: the check can fail.
    const bad = promtool(['check', 'metrics'], '# TYPE cachectl_bad counter\ncachectl_bad 1\n');
    expect(bad.code).not.toBe(0);
  });

  it('a dead server: Prometheus sees cachectl_up 0 and the target-down alert, the exporter stays up', async () => {
    await server.kill();
    expect(await value('cachectl_up == 0')).toBe(0);
    const down = await eventually('CachectlTargetDown', async () => (await prometheus.alerts()).find((a) => a.labels.alertname === 'CachectlTargetDown'));
    expect(['pending', 'firing']).toContain(down.state);
    expect(await value('up{job="cachectl"}')).toBe(1);
  }, 60_000);
});
