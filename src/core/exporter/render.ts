/**
 * The exporter's `/metrics`: exporter health, the cheap figures read at this scrape (server INFO,
 * queues, invalidation stream, maintenance) and the costly ones of the last refresh (families,
 * tenants, unknown namespaces, doctor verdicts). Label values come from bounded sets only: masters,
 * configured families and tenants, the top unknown namespaces, queues (capped), check ids.
 * Every metric is documented in docs/monitoring.md.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { CheckStatus } from '../doctor/types.js';
import { ExpositionWriter } from '../metrics/exposition.js';
import { addListenMetrics } from '../metrics/listen-metrics.js';
import { addFamilyMetrics, addMaintenanceMetrics, addQueueJobMetrics, addServerMetrics } from '../metrics/stats-metrics.js';
import type { ConnectionMode } from '../../redis/connect.js';
import type { CheapReading } from './cheap.js';
import type { Snapshot } from './refresh.js';

/** Tenant label of the keys of tenants that are not configured. */
export const OTHER_TENANT = '_other';
const LEVEL: Partial<Record<CheckStatus, number>> = { pass: 0, warn: 1, fail: 2 };

export interface ExporterState {
  mode: ConnectionMode | null;
  /** This scrape's cheap reading; null when the target could not be read. */
  cheap: CheapReading | null;
  /** Masters known from the last reading that answered, for the down series. */
  knownMasters: string[];
  snapshot: Snapshot | null;
  scrapeMs: number;
  refreshes: { ok: number; failed: number };
  connections: { opened: number; failed: number };
  /** Queues known but not exported (beyond the cap). */
  queuesNotExported: number;
  now: Date;
}

/** Render the exporter's metrics. */
export function renderExporter(state: ExporterState, config: CachectlConfig): string {
  const w = new ExpositionWriter();
  const cheap = state.cheap;
  const up = cheap !== null && cheap.downMasters.length === 0 && cheap.clusterOk;
  w.add('cachectl_up', 'gauge', '1 when every master answered this scrape and (cluster) every slot is served, else 0.', up ? 1 : 0);
  const answered = new Set(cheap?.masters.map((m) => m.address) ?? []);
  const masters = new Set([...answered, ...(cheap?.downMasters ?? []), ...state.knownMasters]);
  for (const master of [...masters].sort()) {
    w.add('cachectl_master_up', 'gauge', '1 when the master answered this scrape, 0 when it did not.', answered.has(master) ? 1 : 0, { master });
  }
  if (cheap && state.mode === 'cluster')
    w.add('cachectl_cluster_state_ok', 'gauge', '1 when every answering master reports cluster_state:ok.', cheap.clusterOk ? 1 : 0);
  w.add('cachectl_exporter_scrape_duration_seconds', 'gauge', 'Time this scrape took to read the cheap figures.', state.scrapeMs / 1000);
  w.add('cachectl_exporter_refreshes_total', 'counter', 'Refreshes of the costly figures, by result.', state.refreshes.ok, { result: 'ok' });
  w.add('cachectl_exporter_refreshes_total', 'counter', 'Refreshes of the costly figures, by result.', state.refreshes.failed, { result: 'failed' });
  w.add('cachectl_exporter_connections_total', 'counter', 'Connections opened to the target, by result.', state.connections.opened, { result: 'ok' });
  w.add('cachectl_exporter_connections_total', 'counter', 'Connections opened to the target, by result.', state.connections.failed, { result: 'failed' });

  if (cheap) addCheap(w, cheap, state);
  const snap = state.snapshot;
  if (snap) addSnapshot(w, snap, config, state.now);
  return w.toString();
}

function addCheap(w: ExpositionWriter, cheap: CheapReading, state: ExporterState): void {
  addServerMetrics(w, cheap.masters, state.mode ?? 'standalone');
  w.add(
    'cachectl_keys',
    'gauge',
    'Keys in the database cachectl works on, over the masters that answered.',
    cheap.masters.reduce((sum, m) => sum + m.keys, 0),
  );
  addQueueJobMetrics(
    w,
    cheap.queues.map((q) => ({ prefix: q.ref.prefix, name: q.ref.name, counts: q.counts })),
  );
  for (const q of cheap.queues) {
    w.add(
      'cachectl_queue_oldest_waiting_age_seconds',
      'gauge',
      'Age of the oldest waiting job (timestamp + delay); 0 when nothing waits.',
      q.oldestWaitingSeconds ?? 0,
      {
        prefix: q.ref.prefix,
        queue: q.ref.name,
      },
    );
  }
  w.add('cachectl_queues', 'gauge', 'BullMQ queues known to the exporter (exported or not).', cheap.queues.length + state.queuesNotExported);
  w.add('cachectl_queues_not_exported', 'gauge', 'Queues known but left out of the per-queue series (see --max-queues).', state.queuesNotExported);
  if (cheap.maintenance) addMaintenanceMetrics(w, cheap.maintenance);
  if (cheap.listen) addListenMetrics(w, cheap.listen);
  for (const section of ['invalidation', 'maintenance', 'queues']) {
    w.add('cachectl_exporter_read_ok', 'gauge', '1 when the section could be read at this scrape (0: ACL or other error).', cheap.errors[section] ? 0 : 1, {
      section,
    });
  }
}

function addSnapshot(w: ExpositionWriter, snap: Snapshot, config: CachectlConfig, now: Date): void {
  const stats = snap.stats;
  w.add('cachectl_exporter_refresh_timestamp_seconds', 'gauge', 'When the costly figures were last refreshed (Unix time).', snap.at.getTime() / 1000);
  w.add('cachectl_exporter_refresh_age_seconds', 'gauge', 'Age of the costly figures.', Math.max(0, now.getTime() - snap.at.getTime()) / 1000);
  w.add('cachectl_exporter_refresh_duration_seconds', 'gauge', 'Wall time of the last refresh (mostly rests between steps).', snap.durationMs / 1000);
  w.add(
    'cachectl_exporter_refresh_server_seconds',
    'gauge',
    "Round trips of the last refresh's key-census steps (an upper bound of their server time).",
    snap.serverMs / 1000,
  );
  w.add('cachectl_exporter_refresh_longest_step_seconds', 'gauge', 'The longest key-census step of the last refresh.', snap.longestStepMs / 1000);
  w.add('cachectl_stats_exact', 'gauge', '1 when counts come from a full pass, 0 when estimated from a sample.', stats.sampling.method === 'exact' ? 1 : 0);
  w.add('cachectl_stats_sample_keys', 'gauge', 'Keys inspected for memory, idle time and TTL values.', stats.sampling.inspected);
  addFamilyMetrics(w, stats);
  for (const f of stats.families) {
    w.add(
      'cachectl_family_ttl_coverage_ratio',
      'gauge',
      "Share of the family's keys that have a TTL (1 when it has no keys).",
      f.keys === 0 ? 1 : 1 - f.withoutTtlShare,
      {
        family: f.name,
      },
    );
  }
  w.add('cachectl_unknown_namespace_other_keys', 'gauge', 'Keys outside every family in namespaces beyond the listed ones.', stats.unknown.otherKeys);
  const tenants = stats.tenants;
  if (tenants) {
    const configured = new Set(['default', ...config.tenants]);
    let other = tenants.otherKeys;
    const counts = new Map([...configured].map((t) => [t, 0]));
    for (const t of tenants.tenants) {
      if (configured.has(t.tenant)) counts.set(t.tenant, t.keys);
      else other += t.keys;
    }
    for (const [tenant, keys] of counts)
      w.add('cachectl_tenant_keys', 'gauge', 'Keys under tenant:<id>: per configured tenant; other tenants as _other.', keys, { tenant });
    w.add('cachectl_tenant_keys', 'gauge', 'Keys under tenant:<id>: per configured tenant; other tenants as _other.', other, { tenant: OTHER_TENANT });
  }
  w.add('cachectl_doctor_status', 'gauge', 'Overall doctor result of the last refresh: 0 pass, 1 warn, 2 fail.', LEVEL[snap.status]!);
  for (const check of snap.checks) {
    const level = LEVEL[check.status];
    if (level !== undefined) w.add('cachectl_doctor_check_status', 'gauge', 'Doctor check result: 0 pass, 1 warn, 2 fail.', level, { check: check.id });
  }
}
