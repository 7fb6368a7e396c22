/**
 * `pm2-status`: PM2's processes (with each cron's next run) next to a short cache summary.
 */
import type { RedisConnection } from '../../redis/connect.js';
import { readLockHolder } from '../records/lock.js';
import type { OwnKeys } from '../records/own-keys.js';
import { readLastRun, type MaintenanceRun } from '../records/runs.js';
import { collectPing } from '../ping.js';
import { daemonState, listProcesses, type Pm2Process } from './client.js';
import { nextCronRun } from './cron.js';

export interface Pm2StatusProcess extends Pm2Process {
  /** Next cron run (ISO-8601), when the app has a valid cron_restart. */
  nextRun: string | undefined;
}

export interface CacheSummary {
  target: string;
  mode: string;
  totalKeys: number;
  masters: number;
  lastMaintenance: MaintenanceRun | undefined;
  /** `host pid N since …` when a maintenance run holds the lock right now. */
  maintenanceRunning: string | undefined;
}

export interface Pm2Status {
  pm2: { home: string; running: boolean; daemonPid?: number; reason?: string; processes: Pm2StatusProcess[] };
  timezone: string;
  cache: CacheSummary | { error: string };
}

/** PM2 side: the daemon's processes, or `running: false` (nothing is started to find out). */
export async function collectPm2(home: string, tz: string, now: Date = new Date()): Promise<Pm2Status['pm2']> {
  const state = daemonState(home);
  if (!state.running) return { home, running: false, ...(state.pid ? { daemonPid: state.pid } : {}), reason: state.reason, processes: [] };
  const processes = await listProcesses(home, now.getTime());
  return {
    home,
    running: true,
    daemonPid: state.pid,
    processes: processes.map((p) => ({ ...p, nextRun: p.cronRestart ? nextCronRun(p.cronRestart, tz, now)?.toISOString() : undefined })),
  };
}

/** Cache side: keys per master (DBSIZE) and the maintenance state. */
export async function collectCacheSummary(connection: RedisConnection, keys: Pick<OwnKeys, 'runs' | 'lock'>): Promise<CacheSummary> {
  const [ping, last, holder] = await Promise.all([collectPing(connection), readLastRun(connection, keys.runs), readLockHolder(connection, keys.lock)]);
  return {
    target: ping.target,
    mode: ping.mode,
    totalKeys: ping.totalKeys,
    masters: ping.masters.length,
    lastMaintenance: last,
    maintenanceRunning: holder ? `${holder.host} pid ${holder.pid} since ${holder.startedAt}` : undefined,
  };
}
