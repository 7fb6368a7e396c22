/**
 * The maintenance run record: one entry per run in a capped Redis stream, read back by `stats`
 * and `doctor` (last run, overdue?). The stream is `<namespace>:maintenance:runs` (see
 * `ownKeys`). On a cluster the stream key lives on one node; the cluster client routes it there.
 */
import type { RedisConnection } from '../../redis/connect.js';

/** Approximate cap on the number of records kept (XADD MAXLEN ~). */
export const RUNS_MAX_LEN = 1000;
/**
 * Queue keys kept in one record (beyond it the list is marked truncated and stats says so). The
 * stream keeps ~RUNS_MAX_LEN records: at ~30 bytes a name this bounds it to ~30 MB worst case.
 */
export const MAX_RECORDED_QUEUES = 1_000;

export type MaintenanceStatus = 'ok' | 'partial' | 'failed' | 'running';

/** What one maintenance run did. Times are ISO-8601 strings. */
export interface MaintenanceRun {
  id: string;
  startedAt: string;
  /** Absent while the run is still `running`. */
  finishedAt?: string;
  status: MaintenanceStatus;
  /** The age threshold the run used by default (per-family `maxAgeHours` may differ). */
  hours: number;
  removed: { families: Record<string, number>; queues: Record<string, number> };
  errors: string[];
  /** `hostname` (and pid) of the process that ran it. */
  host: string;
  /** Optional per-step outcome and a compact stats snapshot; readers must tolerate absence. */
  steps?: Array<{ name: string; status: 'ok' | 'partial' | 'failed' | 'skipped'; durationMs: number; errors?: string[] }>;
  snapshot?: Record<string, unknown>;
  /** The queues the run's full discovery pass found (absent in older records and when the pass did not finish). */
  discoveredQueues?: QueueList;
}

/** Every queue one full discovery pass found, kept so `stats` can list queues without a pass of its own. */
export interface QueueList {
  /** When the pass started: every queue that existed from then until the pass ended is listed. */
  at: string;
  /** Queues found (more than `keys.length` when truncated). */
  total: number;
  /** `<prefix>:<name>` of each queue, sorted; at most {@link MAX_RECORDED_QUEUES}. */
  keys: string[];
  truncated: boolean;
}

/** The record entry for queue keys found by a pass that started at `at`. */
export function queueList(keys: string[], at: Date): QueueList {
  const sorted = [...new Set(keys)].sort();
  return { at: at.toISOString(), total: sorted.length, keys: sorted.slice(0, MAX_RECORDED_QUEUES), truncated: sorted.length > MAX_RECORDED_QUEUES };
}

/** Append `run` to `stream` (capped at ~{@link RUNS_MAX_LEN} entries). Returns the stream entry id. */
export async function recordRun(connection: RedisConnection, stream: string, run: MaintenanceRun): Promise<string> {
  const id = await connection.client.xadd(stream, 'MAXLEN', '~', String(RUNS_MAX_LEN), '*', 'run', JSON.stringify(run));
  return id ?? '';
}

/** The most recent record of `stream`, or `undefined` when no run was ever recorded. */
export async function readLastRun(connection: RedisConnection, stream: string): Promise<MaintenanceRun | undefined> {
  const [last] = await readRuns(connection, stream, 1);
  return last;
}

/**
 * Up to `count` most recent records of `stream`, newest first. Entries that do not parse are
 * skipped (a record written by a newer version must not break an older reader).
 */
export async function readRuns(connection: RedisConnection, stream: string, count: number): Promise<MaintenanceRun[]> {
  if (!Number.isInteger(count) || count <= 0) return [];
  const entries = await connection.client.xrevrange(stream, '+', '-', 'COUNT', count);
  const runs: MaintenanceRun[] = [];
  for (const [, fields] of entries) {
    const run = parseRun(fieldValue(fields, 'run'));
    if (run) runs.push(run);
  }
  return runs;
}

function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** Parse one `run` field; `undefined` when it is not a record. */
export function parseRun(raw: string | undefined): MaintenanceRun | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as MaintenanceRun;
    if (!value || typeof value !== 'object' || typeof value.id !== 'string' || typeof value.startedAt !== 'string') return undefined;
    value.removed ??= { families: {}, queues: {} };
    value.removed.families ??= {};
    value.removed.queues ??= {};
    value.errors ??= [];
    if (value.discoveredQueues !== undefined && !isQueueList(value.discoveredQueues)) delete value.discoveredQueues;
    return value;
  } catch {
    return undefined;
  }
}

function isQueueList(value: unknown): value is QueueList {
  const list = value as QueueList;
  return (
    !!list &&
    typeof list === 'object' &&
    typeof list.at === 'string' &&
    !Number.isNaN(Date.parse(list.at)) &&
    Array.isArray(list.keys) &&
    list.keys.every((k) => typeof k === 'string') &&
    typeof list.total === 'number' &&
    typeof list.truncated === 'boolean'
  );
}
