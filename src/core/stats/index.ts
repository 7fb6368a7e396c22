/**
 * `stats`: what is in the server (see collect.ts).
 */
export { collectStats, DEFAULT_SAMPLE, DEFAULT_NAMESPACE_DEPTH, DEFAULT_TOP_NAMESPACES } from './collect.js';
export { judgeMaintenance, type MaintenanceStatus, type MaintenanceOptions, type RunSummary } from './maintenance.js';
export type {
  StatsOptions,
  StatsProgress,
  StatsResult,
  StatsSummary,
  FamilyStats,
  NamespaceStats,
  QueueStats,
  QueueDiscovery,
  MasterStats,
  DbKeyspace,
  TtlSpread,
  TopKeys,
  BigKey,
  SizeSpread,
  TenantKeys,
} from './types.js';
