/**
 * The shapes maintenance steps and their observers share.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';
import type { MaintenanceRun, QueueList } from '../records/runs.js';

/** What a step removed, per family and per queue (counts). */
export interface Removed {
  families: Record<string, number>;
  queues: Record<string, number>;
}

/** A step's outcome. `errors` are problems the step survived (the run becomes `partial`). */
export interface StepResult {
  removed?: Partial<Removed>;
  errors?: string[];
  /** A compact summary to keep in the run record (the stats snapshot step uses it). */
  snapshot?: Record<string, unknown>;
  /** Queues a full discovery pass of the step found (kept in the run record for `stats`). */
  discoveredQueues?: QueueList;
}

export interface StepContext {
  connection: RedisConnection;
  config: CachectlConfig;
  /** Default age threshold of this run (`--hours` or config.maintenance.hours). */
  hours: number;
  /** True when `--hours` was given: it overrides per-family maxAgeHours too. */
  hoursOverride: boolean;
  /** Count what would be removed; remove nothing. */
  dryRun: boolean;
  /** Aborted on Ctrl-C / SIGINT from PM2, or when the lock is lost. */
  signal: AbortSignal;
  /** Report progress inside a long step (shown in logs). */
  progress(message: string): void;
}

/**
 * One named piece of maintenance. A step that fails part-way should throw a `PartialError` whose
 * `partial` is a `StepResult` with what it did, so the record stays true.
 */
export interface MaintenanceStep {
  name: string;
  run(ctx: StepContext): Promise<StepResult>;
}

export type StepStatus = 'ok' | 'partial' | 'failed' | 'skipped';

export interface StepOutcome {
  name: string;
  status: StepStatus;
  durationMs: number;
  removed: Removed;
  errors: string[];
}

/** Everything a run reports while it goes, in order. */
export type MaintenanceEvent =
  | { type: 'start'; runId: string; hours: number; steps: string[]; server: string; lockKey: string; dryRun: boolean }
  | { type: 'step-start'; runId: string; step: string }
  | { type: 'step-progress'; runId: string; step: string; message: string }
  | { type: 'step-end'; runId: string; step: string; outcome: StepOutcome }
  | { type: 'lock-renewed'; runId: string }
  | { type: 'lock-lost'; runId: string; reason: string }
  | { type: 'warning'; runId: string; message: string }
  | { type: 'finish'; runId: string; run: MaintenanceRun; recorded: boolean; logFile: string | undefined; dryRun?: boolean };
