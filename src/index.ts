/**
 * cachectl as a library. Importing it has no side effects.
 */
export * from './errors.js';
export { redact, displayUrl } from './redact.js';
export { loadConfig, resolveConfig, type CachectlConfig, type Family, type LoadConfigOptions } from './config/load.js';
export type { ConfigInput } from './config/schema.js';
export { parseTemplate, type ParsedTemplate } from './config/template.js';
export { DEFAULT_FAMILIES } from './config/defaults.js';
export { connect, fromClient, type RedisConnection, type ConnectionMode, type RedisClient } from './redis/connect.js';
export type { ConnectionOptions, HostPort } from './redis/options.js';
export { collectPing, type PingResult, type NodePing } from './core/ping.js';
export {
  collectStats,
  type StatsOptions,
  type StatsProgress,
  type StatsResult,
  type StatsSummary,
  type FamilyStats,
  type NamespaceStats,
  type QueueStats,
  type QueueDiscovery,
  type MasterStats,
  type MaintenanceStatus,
} from './core/stats/index.js';
export { runDoctor, type DoctorOptions, type DoctorResult, type DoctorCheck, type CheckFinding, type CheckStatus, type CheckId } from './core/doctor/index.js';
export { renderPrometheus, renderDoctorPrometheus } from './core/metrics/index.js';
export { Exporter, serveExporter, type ExporterOptions, type ExporterLog, type ExporterHealth, type ExporterServer } from './core/exporter/index.js';
export {
  discoverQueues,
  queueCounts,
  resolveQueue,
  listQueues,
  inspectQueue,
  cleanQueue,
  retryJobs,
  pauseQueue,
  resumeQueue,
  drainQueue,
  obliterateQueue,
  exportJobs,
  importJobs,
  clearQueuesAfterCaches,
  type QueueRef,
  type QueueCounts,
  type QueueSummary,
  type QueueInspection,
  type CleanOptions,
  type CleanResult,
  type RetryOptions,
  type RetryResult,
  type PauseResult,
  type DrainOptions,
  type DrainResult,
  type ObliterateOptions,
  type ObliterateResult,
  type ExportOptions,
  type ExportResult,
  type ExportedJob,
  type ImportOptions,
  type ImportResult,
  type ClearQueuesOptions,
  type ClearQueuesResult,
} from './core/queues/index.js';
export {
  backup,
  restore,
  verifyBackup,
  openBackupSink,
  backupToDirectory,
  BackupFormatError,
  BackupIncompatibleError,
  type BackupOptions,
  type BackupProgress,
  type BackupSummary,
  type BackupTarget,
  type BackupInfo,
  type BackupHeader,
  type BackupSource,
  type BackupSink,
  type BackupSinkMeta,
  type CaptureFn,
  type CapturedEntry,
  type DirectoryBackupOptions,
  type DirectoryBackupSummary,
  type RestoreOptions,
  type RestorePlan,
  type RestoreProgress,
  type RestoreResult,
  type TtlMode,
} from './core/backup/index.js';
export { CacheManager, type CacheManagerOptions, type ClearAllCachesOptions, type KeysTarget } from './core/cache-manager.js';
export type { RunSummary, NodeSummary, TargetSummary } from './core/keyspace/summary.js';
export type { RunOptions, CaptureEntry, CaptureSink, ProgressEvent } from './core/keyspace/run.js';
export type { ClearOptions, OperationContext } from './core/operations/execute.js';
export type { ClearAllOptions } from './core/operations/clear-all.js';
export type { ClearOldOptions } from './core/operations/clear-old.js';
export type { ClearUserOptions, ClearUserSummary, ErasureEntry } from './core/operations/clear-user.js';
export type { ConversationOptions } from './core/operations/invalidate.js';
export type { KeysOptions, ListedKey } from './core/operations/keys.js';
export { normalizeUser, userForms, type UserSubject } from './core/phone.js';
export { displayKey, parseDisplayedKey } from './core/display.js';
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
export { DEFAULT_INVALIDATION_RULES } from './config/schema.js';
export { runMaintenance, exitCodeFor, type MaintenanceOptions, type MaintenanceOutcome } from './core/maintenance/run.js';
export { defaultSteps, clearOldSteps, statsSnapshotStep, type StepTuning } from './core/maintenance/steps.js';
export { queueSteps, cleanFinishedJobs, trimEventStreams, type QueueWorkOptions } from './core/maintenance/queue-steps.js';
export type { MaintenanceStep, StepContext, StepResult, StepOutcome, MaintenanceEvent, Removed } from './core/maintenance/types.js';
export {
  recordRun,
  readLastRun,
  readRuns,
  RUNS_STREAM,
  type MaintenanceRun,
  type MaintenanceStatus as MaintenanceRunStatus,
} from './core/maintenance/record.js';
export type { QueueList } from './core/maintenance/record.js';
export { acquireLock, readLockHolder, LOCK_KEY, type HeldLock, type LockHolder } from './core/maintenance/lock.js';
export { runHook, deployFamilies, HOOK_NAMES, type HookName, type HookOptions, type HookResult } from './core/maintenance/hooks.js';
export { loadEcosystem, lintEcosystem, type Ecosystem, type EcosystemApp, type LintFinding } from './core/pm2/ecosystem.js';
export { scheduleReport, type ScheduleReport, type ScheduledJob } from './core/pm2/schedule.js';
export { pm2Home, daemonState, listProcesses, restartApps, type Pm2Process, type RestartResult } from './core/pm2/client.js';
export { pm2Clean, type Pm2CleanOptions, type Pm2CleanResult } from './core/pm2/clean.js';
export { Pm2NotRunningError } from './core/pm2/errors.js';
