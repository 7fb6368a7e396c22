/**
 * The maintenance log: one JSON line per run in `<logs.dir>/maintenance.log`, written even when
 * Redis is gone (then it is the only record of what the run did).
 */
import { redact } from '../../redact.js';
import type { MaintenanceRun } from '../records/runs.js';
import { appendLine } from '../safety/audit.js';

export const MAINTENANCE_LOG = 'maintenance.log';

/** One line of `maintenance.log`: the run record plus where else it was stored. */
export interface MaintenanceLogLine extends MaintenanceRun {
  /** True when the record also reached the Redis stream. */
  recorded: boolean;
  /** Server the run talked to (redacted). */
  server: string;
}

/** Append `line` to `<dir>/maintenance.log` (creating the folder). Returns the file path. */
export function appendRunLog(dir: string, line: MaintenanceLogLine): Promise<string> {
  return appendLine(dir, MAINTENANCE_LOG, redact(JSON.stringify(line)));
}
