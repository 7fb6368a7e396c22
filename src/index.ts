/**
 * cachectl as a library: the `CacheManager` facade (every method that deletes or writes runs the
 * same safety lifecycle as the CLI), the in-process invalidator and the stream consumer, the
 * connect function, the configuration loader, and the errors. Importing it has no side effects.
 * Engine internals (locks, run records, Lua steps, PM2 paths, exit-code helpers) are not part of it.
 */
export {
  ExitCode,
  CachectlError,
  UsageError,
  ConfigError,
  ConnectionError,
  AuthError,
  TlsError,
  TimeoutError,
  PermissionError,
  PreflightError,
  SafetyError,
  LockHeldError,
  PartialError,
  isCachectlError,
  type ExitCodeValue,
  type CachectlErrorOptions,
} from './errors.js';
export { redact, displayUrl } from './redact.js';
export { displayKey, parseDisplayedKey } from './core/display.js';

export { loadConfig, resolveConfig, type CachectlConfig, type Family, type LoadConfigOptions } from './config/load.js';
export type { ConfigInput, ReadThroughConfig } from './config/schema.js';
export { DEFAULT_FAMILIES } from './config/defaults.js';
export { DEFAULT_INVALIDATION_RULES } from './config/schema.js';

export { connect, fromClient, type RedisConnection, type ConnectionMode, type RedisClient } from './redis/connect.js';
export type { ConnectionOptions, HostPort } from './redis/options.js';

export {
  CacheManager,
  type CacheManagerOptions,
  type ClearAllCachesOptions,
  type KeysTarget,
  type SafetyOptions,
  type CacheStats,
} from './core/cache-manager.js';
export type { MemoryStats } from './core/legacy/user-states.js';
export {
  createReader,
  stringCodec,
  bufferCodec,
  jsonCodec,
  isLease,
  type CacheReader,
  type ReadOptions,
  type ReaderOptions,
  type ReadCodec,
  type ReadCounts,
} from './core/read-through/index.js';
export type { TtlApplyOptions, TtlApplySummary, TtlFamilyResult } from './core/operations/ttl.js';
export type { TtlReport, TtlReportOptions, TtlFamilyReport, TtlCounts } from './core/ttl/report.js';
export { clearAllUserStates, clearOldUserStates, clearUserState, getMemoryStats } from './core/legacy/functions.js';
export type { ClearOptions } from './core/operations/run.js';
export type { ClearAllOptions, ClearAllResult } from './core/operations/clear-all.js';
export type { ClearOldOptions } from './core/operations/clear-old.js';
export type { ClearUserOptions, ClearUserSummary, ErasureEntry } from './core/operations/clear-user.js';
export type { ConversationOptions } from './core/operations/invalidate.js';
export type { KeysOptions, ListedKey } from './core/operations/keys.js';
export type { FamilyValues } from './core/families.js';
export type { RunSummary, NodeSummary, TargetSummary } from './core/keyspace/summary.js';
export type { RunOptions, CaptureEntry, CaptureSink, ProgressEvent } from './core/keyspace/run.js';
export type { ConfirmPrompt, RunBackup, Outcome } from './core/safety/lifecycle.js';
export type { Estimate } from './core/safety/estimate.js';
export type { UserSubject } from './core/phone.js';
export type { StatsOptions, StatsResult, StatsSummary, FamilyStats, NamespaceStats, QueueStats, MasterStats } from './core/stats/index.js';
export type { DoctorOptions, DoctorResult, DoctorCheck, CheckFinding, CheckStatus, CheckId } from './core/doctor/index.js';
export type { MaintenanceOutcome } from './core/maintenance/run.js';
export type { MaintenanceRun } from './core/records/runs.js';
export type { QueueSummary, QueueInspection, CleanOptions, CleanResult, ClearQueuesOptions, ClearQueuesResult } from './core/queues/index.js';

export { Exporter, serveExporter, type ExporterOptions, type ExporterLog, type ExporterHealth, type ExporterServer } from './core/exporter/index.js';
export { verifyBackup, BackupFormatError, BackupIncompatibleError } from './core/backup/index.js';
export type {
  BackupOptions,
  BackupSummary,
  BackupTarget,
  BackupInfo,
  BackupHeader,
  BackupSource,
  RestoreOptions,
  RestoreResult,
  TtlMode,
} from './core/backup/index.js';

export {
  createInvalidator,
  publishInvalidation,
  runListener,
  collectListenStatus,
  InterruptedError,
  type Invalidator,
  type InvalidatorOptions,
  type InvalidatorLogger,
  type HandleResult,
  type ApplyResult,
  type InvalidationStats,
  type InvalidationEvent,
  type PublishOptions,
  type PublishResult,
  type ListenerLog,
  type ListenerOptions,
  type ListenerTotals,
  type SettledEntry,
  type ListenStatus,
  type ConsumerStatus,
  type PassReport,
} from './core/invalidation/index.js';
