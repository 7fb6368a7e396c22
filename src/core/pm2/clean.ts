/**
 * `pm2-clean`: clear caches (never queues), then restart PM2 apps through PM2's API, reporting
 * each app. The daemon is checked before anything is cleared, so a missing PM2 changes nothing.
 */
import type { CachectlConfig } from '../../config/load.js';
import { PartialError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import type { RunSummary } from '../keyspace/summary.js';
import { clearAll } from '../operations/clear-all.js';
import { daemonState, restartApps, type RestartResult } from './client.js';
import { cronDisabled } from './cron.js';
import { appName, type Ecosystem } from './ecosystem.js';
import { Pm2NotRunningError } from './errors.js';

export interface Pm2CleanOptions {
  /** Families to clear. */
  families: string[];
  /** PM2 app names to restart, in order. */
  apps: string[];
  /** PM2_HOME of the daemon. */
  home: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface Pm2CleanResult {
  dryRun: boolean;
  /** Keys deleted (dry run: matched) per family. */
  families: Record<string, number>;
  restarts: RestartResult[];
  errors: string[];
}

/** The apps `pm2-clean` restarts by default: those of the ecosystem file without a cron. */
export function defaultRestartApps(eco: Ecosystem): string[] {
  return eco.apps.filter((app) => cronDisabled(app.cron_restart)).map((app, i) => appName(app, i));
}

/** Clear, then restart. Throws `Pm2NotRunningError` before touching anything when PM2 is down. */
export async function pm2Clean(connection: RedisConnection, config: CachectlConfig, options: Pm2CleanOptions): Promise<Pm2CleanResult> {
  const state = daemonState(options.home);
  if (!state.running) {
    throw new Pm2NotRunningError(`no PM2 daemon is running for PM2_HOME=${options.home} (${state.reason}); nothing was cleared`, {
      hint: 'start the apps with "pm2 start ecosystem.config.cjs", or set PM2_HOME to the daemon\'s home',
    });
  }
  const result: Pm2CleanResult = { dryRun: options.dryRun === true, families: {}, restarts: [], errors: [] };
  if (options.families.length > 0) {
    let summary: RunSummary;
    try {
      summary = await clearAll({ connection, config }, { families: options.families, dryRun: options.dryRun, signal: options.signal });
    } catch (error) {
      if (!(error instanceof PartialError)) throw error;
      summary = error.partial as RunSummary;
      result.errors.push(error.message);
    }
    for (const t of summary.byTarget) {
      if (t.family) result.families[t.family] = (result.families[t.family] ?? 0) + (options.dryRun ? t.matched : t.deleted);
    }
    if (summary.interrupted) {
      result.errors.push('interrupted: no app was restarted');
      return result;
    }
  }
  if (options.dryRun) {
    result.restarts = options.apps.map((name) => ({ name, ok: true }));
    return result;
  }
  result.restarts = await restartApps(options.home, options.apps);
  return result;
}
