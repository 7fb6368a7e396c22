/**
 * What happened to the entries of one batch (one XREADGROUP or XAUTOCLAIM result), and its log
 * record: the listener writes one line per batch once every entry in it has settled.
 */
import type { ApplyResult } from './engine.js';
import type { ListenerLog, ListenerTotals } from './listener-types.js';

export interface BatchTally {
  source: 'new' | 'pending' | 'claimed';
  started: number;
  entries: number;
  handled: number;
  unmatched: number;
  failed: number;
  deadLettered: number;
  left: number;
  /** Trimmed from the stream while pending: came back without content. */
  trimmed: number;
  deleted: number;
  /** Entries that named exact keys / patterns. */
  exact: number;
  pattern: number;
  passes: Set<number>;
}

export function newTally(source: BatchTally['source'], entries: number): BatchTally {
  return {
    source,
    started: performance.now(),
    entries,
    handled: 0,
    unmatched: 0,
    failed: 0,
    deadLettered: 0,
    left: 0,
    trimmed: 0,
    deleted: 0,
    exact: 0,
    pattern: 0,
    passes: new Set(),
  };
}

type Counter = 'handled' | 'unmatched' | 'failed' | 'deadLettered' | 'left' | 'trimmed' | 'deleted';

const TOTAL: Record<Counter, Exclude<keyof ListenerTotals, 'consumer'>> = {
  handled: 'handled',
  unmatched: 'unmatched',
  failed: 'failed',
  deadLettered: 'deadLettered',
  left: 'leftPending',
  trimmed: 'trimmed',
  deleted: 'keysDeleted',
};

/** Count in the batch and in the run's totals at once. */
export function bump(t: BatchTally, totals: ListenerTotals, counter: Counter, n = 1): void {
  t[counter] += n;
  totals[TOTAL[counter]] += n;
}

/** Count an applied entry. */
export function recordApplied(t: BatchTally, totals: ListenerTotals, result: ApplyResult): void {
  bump(t, totals, result.matched ? 'handled' : 'unmatched');
  bump(t, totals, 'deleted', result.deleted);
  if (result.exactKeys > 0) t.exact++;
  if (result.patterns > 0) t.pattern++;
  if (result.pass !== undefined) t.passes.add(result.pass);
}

/** The batch's log record: a readable `msg` and the counts as fields. */
export function batchRecord(t: BatchTally): ListenerLog {
  const ms = Math.round(performance.now() - t.started);
  const passes = [...t.passes].sort((a, b) => a - b);
  const parts = [`${t.entries} ${t.source} entr${t.entries === 1 ? 'y' : 'ies'}`, `${t.handled} applied`];
  if (t.unmatched) parts.push(`${t.unmatched} unmatched`);
  if (t.failed) parts.push(`${t.failed} failed`);
  if (t.deadLettered) parts.push(`${t.deadLettered} dead-lettered`);
  if (t.left) parts.push(`${t.left} left pending`);
  if (t.trimmed) parts.push(`${t.trimmed} trimmed before applied`);
  parts.push(`${t.deleted} keys deleted`);
  if (passes.length) parts.push(`pass ${passes.join(',')}`);
  return {
    level: t.failed || t.deadLettered || t.trimmed ? 'warn' : 'info',
    event: 'batch',
    msg: `batch: ${parts.join(', ')} in ${ms} ms`,
    source: t.source,
    entries: t.entries,
    applied: t.handled,
    unmatched: t.unmatched,
    failed: t.failed,
    deadLettered: t.deadLettered,
    leftPending: t.left,
    trimmed: t.trimmed,
    exact: t.exact,
    pattern: t.pattern,
    deleted: t.deleted,
    passes,
    ms,
  };
}
