/**
 * Is maintenance working? The last runs come from the run record (a Redis stream written by
 * `cachectl maintenance`); when the next run is due comes from the configured cron schedule.
 * Overdue means: a scheduled time passed more than `graceMinutes` ago and no run that started
 * since then succeeded.
 */
import { checkCron, previousCronRun } from '../pm2/cron.js';
import type { MaintenanceRun, MaintenanceStatus as RunStatus, QueueList } from '../records/runs.js';

/** Runs read back to find the last successful one (and the last queue list). */
export const RUNS_READ = 20;
/** A run may start a little before its scheduled minute (clock skew between hosts). */
const EARLY_START_MS = 5 * 60_000;

export interface RunSummary {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  status: RunStatus;
  /** Keys and jobs removed, summed over families and queues. */
  removed: number;
  errors: string[];
  host: string;
}

export interface MaintenanceStatus {
  schedule: string;
  timezone: string;
  lastRun: RunSummary | null;
  lastSuccess: RunSummary | null;
  /** The latest scheduled time whose grace period is over: a successful run must have started since. */
  dueSince: string | null;
  nextRunAt: string | null;
  /** True when runs were recorded but none succeeded since `dueSince`. */
  overdue: boolean;
  /** Why the schedule could not be read (invalid cron expression or zone). */
  scheduleError: string | null;
}

export interface MaintenanceOptions {
  schedule: string;
  timezone: string;
  graceMinutes: number;
  now: Date;
}

/** The queue list of the newest run (of `runs`, newest first) whose discovery pass finished. */
export function lastQueueList(runs: MaintenanceRun[]): QueueList | undefined {
  return runs.find((run) => run.discoveredQueues !== undefined)?.discoveredQueues;
}

/** The pure part of `maintenanceStatus`: runs are newest first. */
export function judgeMaintenance(runs: MaintenanceRun[], options: MaintenanceOptions): MaintenanceStatus {
  const { schedule, timezone, now } = options;
  const last = runs[0];
  const success = runs.find((run) => run.status === 'ok');
  let nextRunAt: string | null = null;
  let dueSince: Date | null = null;
  let scheduleError: string | null = null;
  try {
    // The schedule PM2 runs (cron_restart), so it is read the way PM2 reads it.
    const check = checkCron(schedule, { tz: timezone, from: now });
    if (!check.valid) throw new Error(check.error);
    nextRunAt = check.next[0]?.toISOString() ?? null;
    const graceAgo = new Date(now.getTime() - options.graceMinutes * 60_000);
    dueSince = previousCronRun(schedule, timezone, graceAgo) ?? null;
  } catch (error) {
    scheduleError = (error as Error).message;
  }
  const successSince = success !== undefined && dueSince !== null && Date.parse(success.startedAt) >= dueSince.getTime() - EARLY_START_MS;
  return {
    schedule,
    timezone,
    lastRun: last ? summarize(last) : null,
    lastSuccess: success ? summarize(success) : null,
    dueSince: dueSince?.toISOString() ?? null,
    nextRunAt,
    overdue: last !== undefined && dueSince !== null && !successSince,
    scheduleError,
  };
}

function summarize(run: MaintenanceRun): RunSummary {
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + (Number(b) || 0), 0);
  return {
    id: run.id,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? null,
    status: run.status,
    removed: total(run.removed.families) + total(run.removed.queues),
    errors: run.errors,
    host: run.host,
  };
}
