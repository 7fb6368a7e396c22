/**
 * Maintenance events as log lines: one JSON object per line (PM2 log files, log shippers) or one
 * readable line of text. Pure formatting; the CLI decides where the lines go.
 */
import type { MaintenanceEvent, Removed } from './types.js';

export type LogLevel = 'info' | 'warn' | 'error';

/** The level of an event in logs. */
export function eventLevel(event: MaintenanceEvent): LogLevel {
  switch (event.type) {
    case 'warning':
      return 'warn';
    case 'lock-lost':
      return 'error';
    case 'step-end':
      return event.outcome.status === 'failed' ? 'error' : event.outcome.status === 'ok' || event.outcome.status === 'skipped' ? 'info' : 'warn';
    case 'finish':
      return event.run.status === 'ok' ? 'info' : event.run.status === 'partial' ? 'warn' : 'error';
    default:
      return 'info';
  }
}

/** One JSON log line (no trailing newline): `{time, level, event, ...}`. */
export function eventJson(event: MaintenanceEvent, time: Date = new Date()): string {
  const { type, ...rest } = event;
  return JSON.stringify({ time: time.toISOString(), level: eventLevel(event), event: type, ...rest });
}

/** One line of text, or undefined for events not worth a line in text logs. */
export function eventText(event: MaintenanceEvent, time: Date = new Date()): string | undefined {
  const at = time.toISOString();
  switch (event.type) {
    case 'start':
      return `${at} maintenance ${event.runId} started on ${event.server}: ${event.steps.length} steps, default age ${event.hours} h`;
    case 'step-start':
    case 'lock-renewed':
      return undefined;
    case 'step-progress':
      return `${at}   ${event.step}: ${event.message}`;
    case 'step-end': {
      const o = event.outcome;
      const counts = describeRemoved(o.removed);
      const errors = o.errors.length ? `; ${o.errors.join('; ')}` : '';
      return `${at}   ${o.name}: ${o.status}${o.status === 'skipped' ? '' : `, ${counts} (${o.durationMs} ms)`}${errors}`;
    }
    case 'lock-lost':
      return `${at} lock lost: ${event.reason}; stopping after the step in hand`;
    case 'warning':
      return `${at} warning: ${event.message}`;
    case 'finish': {
      const r = event.run;
      if (event.dryRun) {
        const would = describeRemoved(r.removed).replace(/^removed /, 'would remove ');
        return `${at} maintenance ${r.id} dry run finished: ${would}, ${r.errors.length} error(s); nothing changed, nothing recorded`;
      }
      const where = event.recorded ? 'recorded in Redis' : 'NOT recorded in Redis';
      const log = event.logFile ? ` and ${event.logFile}` : '';
      return `${at} maintenance ${r.id} finished: ${r.status}, ${describeRemoved(r.removed)}, ${r.errors.length} error(s); ${where}${log}`;
    }
  }
}

/** `removed 12 key(s) (userState 10, chatList 2), 3 queue entries (bull:q 3)`, or `nothing removed`. */
export function describeRemoved(removed: Removed): string {
  const keys = Object.entries(removed.families).filter(([, v]) => v > 0);
  const queues = Object.entries(removed.queues).filter(([, v]) => v > 0);
  const sum = (entries: Array<[string, number]>) => entries.reduce((n, [, v]) => n + v, 0);
  const list = (entries: Array<[string, number]>) => ` (${entries.map(([k, v]) => `${k} ${v}`).join(', ')})`;
  const parts: string[] = [];
  if (keys.length) parts.push(`${sum(keys)} key(s)${list(keys)}`);
  if (queues.length) parts.push(`${sum(queues)} queue entr${sum(queues) === 1 ? 'y' : 'ies'}${list(queues)}`);
  return parts.length ? `removed ${parts.join(', ')}` : 'nothing removed';
}
