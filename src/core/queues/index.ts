/**
 * BullMQ queue operations: discovery, inspection, cleanup, export/import. Everything goes through
 * BullMQ's own API where it does the job safely; active jobs are never removed.
 */
export {
  discoverQueues,
  queueCounts,
  queueRef,
  refFromMetaKey,
  QUEUE_STATES,
  type QueueRef,
  type QueueCounts,
  type QueueState,
  type DiscoverOptions,
} from './discovery.js';
export {
  resolveQueue,
  withQueue,
  assertOperable,
  parseState,
  sharesOneSlot,
  clusterProblem,
  CLEANABLE_STATES,
  EXPORTABLE_STATES,
  FINISHED_STATES,
  type CleanableState,
  type ExportableState,
  type FinishedState,
} from './bull.js';
export { listQueues, summarizeQueues, type QueueSummary, type ListQueuesOptions } from './list.js';
export { inspectQueue, type QueueInspection, type InspectOptions, type FailedJobInfo, type FailureReason } from './inspect.js';
export { cleanQueue, DEFAULT_MAX_TIME_MS, type CleanOptions, type CleanResult, type StopReason } from './clean.js';
export {
  retryJobs,
  pauseQueue,
  resumeQueue,
  obliterateQueue,
  type RetryOptions,
  type RetryResult,
  type PauseResult,
  type ObliterateOptions,
  type ObliterateResult,
} from './actions.js';
export { exportJobs, type ExportOptions, type ExportResult, type ExportedJob } from './export.js';
export { importJobs, type ImportOptions, type ImportResult } from './import.js';
export { drainQueue, drainStates, backupFileName, type DrainOptions, type DrainResult } from './drain.js';
export { clearQueuesAfterCaches, type ClearQueuesOptions, type ClearQueuesResult, type ClearedQueue } from './clear-all.js';
