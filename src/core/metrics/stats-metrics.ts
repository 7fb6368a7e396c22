/**
 * `cachectl stats --prometheus`: the stats result as `cachectl_*` metrics for node_exporter's
 * textfile collector. Every metric is documented in docs/stats-doctor.md; names never change.
 * The sections are exported: the exporter (core/exporter) renders the same names.
 */
import type { ConnectionMode } from '../../redis/connect.js';
import type { MaintenanceStatus } from '../stats/maintenance.js';
import type { MasterStats, QueueStats, StatsResult } from '../stats/types.js';
import { ExpositionWriter } from './exposition.js';
import { QUEUE_STATES } from '../queues/discovery.js';

/** Render a stats result in the Prometheus text exposition format. */
export function renderPrometheus(stats: StatsResult): string {
  const w = new ExpositionWriter();
  w.add('cachectl_stats_exact', 'gauge', '1 when counts come from a full pass, 0 when estimated from a sample.', stats.sampling.method === 'exact' ? 1 : 0);
  w.add('cachectl_stats_sample_keys', 'gauge', 'Keys inspected for memory, idle time and TTL values.', stats.sampling.inspected);
  w.add('cachectl_stats_duration_seconds', 'gauge', 'Time the stats collection took.', stats.durationMs / 1000);
  w.add('cachectl_stats_timestamp_seconds', 'gauge', 'When the stats were collected (Unix time).', Date.parse(stats.timestamp) / 1000);
  addServerMetrics(w, stats.server.masters, stats.mode);
  w.add('cachectl_keys', 'gauge', 'Keys in the database cachectl works on, over all masters.', stats.keyspace.keys);
  if (stats.keyspace.hitRatio !== null)
    w.add('cachectl_keyspace_hit_ratio', 'gauge', 'Hits / (hits + misses) since the servers started.', stats.keyspace.hitRatio);
  addFamilyMetrics(w, stats);
  addQueueJobMetrics(w, stats.queues);
  if (stats.maintenance) addMaintenanceMetrics(w, stats.maintenance);
  return w.toString();
}

/** INFO basics per master. */
export function addServerMetrics(w: ExpositionWriter, masters: MasterStats[], mode: ConnectionMode): void {
  for (const m of masters) {
    const master = { master: m.address };
    w.add('cachectl_server_info', 'gauge', 'Server identity per master (value is always 1).', 1, {
      ...master,
      flavor: m.flavor,
      version: m.version,
      mode,
      role: m.role,
    });
    w.add('cachectl_uptime_seconds', 'gauge', 'Server uptime.', m.uptimeSeconds, master);
    w.add('cachectl_connected_clients', 'gauge', 'Connected clients.', m.connectedClients, master);
    w.add('cachectl_memory_used_bytes', 'gauge', 'Memory used by the data set (used_memory).', m.memory.usedBytes, master);
    w.add('cachectl_memory_peak_bytes', 'gauge', 'Peak memory used (used_memory_peak).', m.memory.peakBytes, master);
    w.add('cachectl_memory_rss_bytes', 'gauge', 'Resident set size of the server process.', m.memory.rssBytes, master);
    w.add('cachectl_memory_fragmentation_ratio', 'gauge', 'RSS divided by used memory (mem_fragmentation_ratio).', m.memory.fragmentationRatio, master);
    if (m.memory.maxmemoryBytes !== null) w.add('cachectl_memory_max_bytes', 'gauge', 'maxmemory setting (0 = no limit).', m.memory.maxmemoryBytes, master);
    w.add('cachectl_maxmemory_policy_info', 'gauge', 'maxmemory-policy per master (value is always 1; policy "unknown" when unreadable).', 1, {
      ...master,
      policy: m.memory.policy,
    });
    for (const db of m.dbs) {
      w.add('cachectl_db_keys', 'gauge', 'Keys per database (INFO keyspace).', db.keys, { ...master, db: db.db });
      w.add('cachectl_db_keys_with_expiry', 'gauge', 'Keys with a TTL per database (INFO keyspace).', db.keysWithExpiry, { ...master, db: db.db });
    }
    w.add('cachectl_expired_keys_total', 'counter', 'Keys removed because their TTL ran out.', m.expiredKeys, master);
    w.add('cachectl_evicted_keys_total', 'counter', 'Keys evicted because of maxmemory.', m.evictedKeys, master);
    w.add('cachectl_keyspace_hits_total', 'counter', 'Successful key lookups.', m.keyspaceHits, master);
    w.add('cachectl_keyspace_misses_total', 'counter', 'Failed key lookups.', m.keyspaceMisses, master);
  }
}

/** Per-family figures, queue keys and the unknown namespaces. */
export function addFamilyMetrics(w: ExpositionWriter, stats: StatsResult): void {
  for (const f of stats.families) {
    const family = { family: f.name };
    w.add('cachectl_family_keys', 'gauge', 'Keys per family (estimated unless cachectl_stats_exact is 1).', f.keys, family);
    w.add('cachectl_family_keyspace_ratio', 'gauge', "Family's share of the keyspace (0..1).", f.share, family);
    w.add('cachectl_family_keys_without_ttl', 'gauge', 'Keys of the family without a TTL.', f.withoutTtl, family);
    if (f.ttlSeconds !== null) {
      w.add('cachectl_family_expected_ttl_seconds', 'gauge', 'TTL the config expects for the family (ttlSeconds).', f.ttlSeconds, family);
      if (f.keysAboveTtl !== null)
        w.add('cachectl_family_keys_above_ttl', 'gauge', "Keys whose remaining TTL is above the family's ttlSeconds.", f.keysAboveTtl, family);
    }
    if (f.ttl) {
      w.add('cachectl_family_ttl_min_seconds', 'gauge', 'Shortest remaining TTL seen in the family.', f.ttl.minSeconds, family);
      if (f.ttl.medianSeconds !== null)
        w.add('cachectl_family_ttl_median_seconds', 'gauge', 'Median remaining TTL of the sampled keys.', f.ttl.medianSeconds, family);
      w.add('cachectl_family_ttl_max_seconds', 'gauge', 'Longest remaining TTL seen in the family.', f.ttl.maxSeconds, family);
    }
    if (f.memory) {
      w.add('cachectl_family_memory_bytes', 'gauge', 'Estimated memory of the family (mean MEMORY USAGE of sampled keys times keys).', f.memory.bytes, family);
      w.add('cachectl_family_memory_sample_keys', 'gauge', 'Keys the memory estimate is based on.', f.memory.sampleSize, family);
    }
    if (f.idle && 'maxSeconds' in f.idle)
      w.add('cachectl_family_idle_max_seconds', 'gauge', 'Longest idle time among the sampled keys of the family.', f.idle.maxSeconds, family);
  }
  w.add('cachectl_queue_keys', 'gauge', 'Keys under the BullMQ prefixes.', stats.queueKeys.keys);
  w.add('cachectl_unknown_keys', 'gauge', 'Keys that belong to no family and no queue.', stats.unknown.keys);
  for (const ns of stats.unknown.namespaces) {
    w.add('cachectl_unknown_namespace_keys', 'gauge', 'Keys of the biggest namespaces outside every family.', ns.keys, { namespace: ns.namespace });
  }
}

/** Job counts per queue and state. */
export function addQueueJobMetrics(w: ExpositionWriter, queues: Array<Pick<QueueStats, 'prefix' | 'name' | 'counts'>>): void {
  for (const q of queues) {
    for (const state of QUEUE_STATES) {
      w.add('cachectl_queue_jobs', 'gauge', 'BullMQ jobs per queue and state.', q.counts[state], { prefix: q.prefix, queue: q.name, state });
    }
  }
}

/** The last maintenance run and whether one is overdue. */
export function addMaintenanceMetrics(w: ExpositionWriter, m: MaintenanceStatus): void {
  w.add('cachectl_maintenance_overdue', 'gauge', '1 when a scheduled maintenance run was missed or did not succeed.', m.overdue ? 1 : 0);
  if (m.lastRun) {
    w.add('cachectl_maintenance_last_run_timestamp_seconds', 'gauge', 'When the last maintenance run started.', Date.parse(m.lastRun.startedAt) / 1000);
    w.add('cachectl_maintenance_last_run_info', 'gauge', 'Status of the last maintenance run (value is always 1).', 1, { status: m.lastRun.status });
    w.add('cachectl_maintenance_last_run_removed', 'gauge', 'Keys and jobs the last maintenance run removed.', m.lastRun.removed);
  }
  if (m.lastSuccess)
    w.add(
      'cachectl_maintenance_last_success_timestamp_seconds',
      'gauge',
      'When the last successful maintenance run started.',
      Date.parse(m.lastSuccess.startedAt) / 1000,
    );
  if (m.nextRunAt) w.add('cachectl_maintenance_next_run_timestamp_seconds', 'gauge', 'When the next maintenance run is due.', Date.parse(m.nextRunAt) / 1000);
}
