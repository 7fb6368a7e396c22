/**
 * `runMaintenance`: take the lock, run the steps in order, keep score, leave a record (Redis
 * stream + log line) and release the lock. The steps are injected, so the orchestration is the
 * same for the real policy and for tests.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { CachectlConfig } from '../../config/load.js';
import { ConnectionError, ExitCode, PartialError, type ExitCodeValue } from '../../errors.js';
import { redact } from '../../redact.js';
import type { RedisConnection } from '../../redis/connect.js';
import { acquireLock, type HeldLock } from '../records/lock.js';
import { ownKeys } from '../records/own-keys.js';
import { appendRunLog } from './log.js';
import { recordRun, type MaintenanceRun, type MaintenanceStatus } from '../records/runs.js';
import type { MaintenanceEvent, MaintenanceStep, Removed, StepOutcome, StepResult } from './types.js';

export interface MaintenanceOptions {
  steps: MaintenanceStep[];
  /** `--hours`: overrides config.maintenance.hours and every family's maxAgeHours. */
  hours?: number;
  signal?: AbortSignal;
  onEvent?: (event: MaintenanceEvent) => void;
  /** Folder for `maintenance.log`; no log line when undefined. */
  logDir?: string;
  /** Lock time to live (default config.maintenance.lockTtlSeconds). */
  lockTtlMs?: number;
  /**
   * Count what each step would remove, remove nothing: no lock is taken, no run is recorded and
   * no `maintenance.log` line is written (stats must not take a rehearsal for a run).
   */
  dryRun?: boolean;
}

export interface MaintenanceOutcome {
  run: MaintenanceRun;
  /** Per step, in order. */
  steps: StepOutcome[];
  /** True when the record reached the Redis stream. */
  recorded: boolean;
  logFile: string | undefined;
  exitCode: ExitCodeValue;
}

/**
 * Run maintenance once. Throws `LockHeldError` (exit 6) when another run holds the lock, and a
 * connection error when the server cannot be reached at the start; otherwise always returns an
 * outcome whose `exitCode` is 0 (ok), 5 (partial) or 1 (failed).
 */
export async function runMaintenance(connection: RedisConnection, config: CachectlConfig, options: MaintenanceOptions): Promise<MaintenanceOutcome> {
  const runId = `${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  const emit = (event: MaintenanceEvent) => options.onEvent?.(event);
  const hours = options.hours ?? config.maintenance.hours;
  const dryRun = options.dryRun === true;
  const own = ownKeys(config);
  const stop = new AbortController();
  const outer = options.signal;
  const onAbort = () => stop.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });

  // A dry run changes nothing, so it neither waits for nor blocks a real run.
  const lock: HeldLock | undefined = dryRun
    ? undefined
    : await acquireLock(connection, {
        key: own.lock,
        ttlMs: options.lockTtlMs ?? config.maintenance.lockTtlSeconds * 1000,
        runId,
        onRenewed: () => emit({ type: 'lock-renewed', runId }),
        onLost: (reason) => {
          emit({ type: 'lock-lost', runId, reason });
          stop.abort(new Error(`lock lost: ${reason}`));
        },
      });

  const run: MaintenanceRun = {
    id: runId,
    startedAt: lock?.holder.startedAt ?? new Date().toISOString(),
    status: 'running',
    hours,
    removed: { families: {}, queues: {} },
    errors: [],
    host: `${os.hostname()} pid ${process.pid}`,
    steps: [],
  };
  const outcomes: StepOutcome[] = [];
  emit({ type: 'start', runId, hours, steps: options.steps.map((s) => s.name), server: connection.target, lockKey: own.lock, dryRun });
  try {
    let connectionLost = false;
    for (const step of options.steps) {
      if (stop.signal.aborted || connectionLost) {
        outcomes.push(skipped(step.name));
        continue;
      }
      emit({ type: 'step-start', runId, step: step.name });
      const began = performance.now();
      let outcome: StepOutcome;
      try {
        const result = await step.run({
          connection,
          config,
          hours,
          hoursOverride: options.hours !== undefined,
          dryRun,
          signal: stop.signal,
          progress: (message) => emit({ type: 'step-progress', runId, step: step.name, message }),
        });
        const errors = result.errors ?? [];
        outcome = finishStep(step.name, errors.length ? 'partial' : 'ok', began, result);
        if (result.snapshot) run.snapshot = { ...run.snapshot, ...result.snapshot };
        if (result.discoveredQueues) run.discoveredQueues = result.discoveredQueues;
      } catch (error) {
        const partial = error instanceof PartialError ? (error.partial as StepResult | undefined) : undefined;
        if (partial?.discoveredQueues) run.discoveredQueues = partial.discoveredQueues;
        const message = describe(error);
        outcome = finishStep(step.name, 'failed', began, { ...partial, errors: [...(partial?.errors ?? []), message] });
        connectionLost = error instanceof ConnectionError || isConnectionMessage(message);
      }
      outcomes.push(outcome);
      merge(run.removed, outcome.removed);
      run.errors.push(...outcome.errors.map((e) => `${step.name}: ${e}`));
      emit({ type: 'step-end', runId, step: step.name, outcome });
    }
    if (stop.signal.aborted) run.errors.push(`stopped early: ${describe(stop.signal.reason ?? 'interrupted')}`);
    else if (connectionLost) run.errors.push('stopped early: lost the connection to the server');
  } finally {
    outer?.removeEventListener('abort', onAbort);
    await lock?.release();
  }

  run.finishedAt = new Date().toISOString();
  run.status = overallStatus(outcomes, run);
  run.steps = outcomes.map((o) => ({ name: o.name, status: o.status, durationMs: o.durationMs, ...(o.errors.length ? { errors: o.errors } : {}) }));

  let recorded = false;
  let logFile: string | undefined;
  if (dryRun) {
    emit({ type: 'finish', runId, run, recorded, logFile, dryRun: true });
    return { run, steps: outcomes, recorded, logFile, exitCode: exitCodeFor(run.status) };
  }
  try {
    await recordRun(connection, own.runs, run);
    recorded = true;
  } catch (error) {
    emit({ type: 'warning', runId, message: `could not write the run record to Redis (${describe(error)}); it is in the log file only` });
  }
  if (options.logDir !== undefined) {
    try {
      // The queue list is for stats (in the record); the log line keeps its size small: counts only.
      const { discoveredQueues, ...logged } = run;
      const queuesSeen = discoveredQueues
        ? { discoveredQueues: { at: discoveredQueues.at, total: discoveredQueues.total, keys: [], truncated: discoveredQueues.truncated } }
        : {};
      logFile = await appendRunLog(options.logDir, { ...logged, ...queuesSeen, recorded, server: connection.target });
    } catch (error) {
      emit({ type: 'warning', runId, message: `could not append to the maintenance log in ${options.logDir}: ${describe(error)}` });
    }
  }
  emit({ type: 'finish', runId, run, recorded, logFile });
  return { run, steps: outcomes, recorded, logFile, exitCode: exitCodeFor(run.status) };
}

/** 0 for ok, 5 for partial, 1 for failed (and for a run still marked running). */
export function exitCodeFor(status: MaintenanceStatus): ExitCodeValue {
  if (status === 'ok') return ExitCode.OK;
  if (status === 'partial') return ExitCode.PARTIAL;
  return ExitCode.FAILED;
}

/**
 * ok: every step ran and reported no error. failed: nothing succeeded and nothing was removed.
 * partial: anything in between (some steps failed or were skipped, or a step survived errors).
 */
function overallStatus(outcomes: StepOutcome[], run: MaintenanceRun): MaintenanceStatus {
  if (outcomes.every((o) => o.status === 'ok') && run.errors.length === 0) return 'ok';
  const removedAny = total(run.removed) > 0;
  const anyUseful = outcomes.some((o) => o.status === 'ok' || o.status === 'partial');
  return anyUseful || removedAny ? 'partial' : 'failed';
}

function finishStep(name: string, status: StepOutcome['status'], began: number, result: StepResult): StepOutcome {
  return {
    name,
    status,
    durationMs: Math.round(performance.now() - began),
    removed: { families: { ...result.removed?.families }, queues: { ...result.removed?.queues } },
    errors: result.errors ?? [],
  };
}

function skipped(name: string): StepOutcome {
  return { name, status: 'skipped', durationMs: 0, removed: { families: {}, queues: {} }, errors: [] };
}

function merge(into: Removed, from: Removed): void {
  for (const [k, v] of Object.entries(from.families)) into.families[k] = (into.families[k] ?? 0) + v;
  for (const [k, v] of Object.entries(from.queues)) into.queues[k] = (into.queues[k] ?? 0) + v;
}

function total(removed: Removed): number {
  return [...Object.values(removed.families), ...Object.values(removed.queues)].reduce((a, b) => a + b, 0);
}

function describe(error: unknown): string {
  return redact(error instanceof Error ? error.message : String(error));
}

function isConnectionMessage(message: string): boolean {
  return /Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|Stream isn't writeable|connection.*(lost|closed)/i.test(message);
}
