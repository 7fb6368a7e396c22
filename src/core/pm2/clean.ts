/**
 * `pm2-clean`: clear caches (never queues), then restart PM2 apps through PM2's API, reporting
 * each app. The daemon is checked before anything is cleared, so a missing PM2 changes nothing.
 */
import type { CachectlConfig } from '../../config/load.js';
import { PartialError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import type { RunSummary } from '../keyspace/summary.js';
import { clearAllSpec } from '../operations/clear-all.js';
import { keyspaceOperation } from '../operations/keyspace.js';
import type { Operation } from '../safety/lifecycle.js';
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

/**
 * Clear, then restart, as a lifecycle operation: it always asks (apps restart), checks the PM2
 * daemon and the cache run's preflight before anything is cleared, and audits both halves.
 */
export function pm2CleanOperation(connection: RedisConnection, config: CachectlConfig, options: Pm2CleanOptions): Operation<Pm2CleanResult> {
  const caches =
    options.families.length > 0
      ? keyspaceOperation(
          connection,
          config,
          { ...clearAllSpec(config, { families: options.families }), command: 'pm2-clean' },
          options.signal ? { signal: options.signal } : {},
        )
      : undefined;
  return {
    command: 'pm2-clean',
    describe: `clear ${options.families.length ? options.families.join(', ') : 'no families'} and restart ${options.apps.join(', ')}`,
    targets: [...options.families, ...options.apps.map((a) => `pm2:${a}`)],
    assess: async (need) => {
      const assessment = caches ? await caches.assess(need) : { confirm: false, requireYes: false, reasons: [] };
      return { ...assessment, confirm: true, reasons: [`PM2 apps restart: ${options.apps.join(', ')}`, ...assessment.reasons] };
    },
    preflight: async () => {
      const state = daemonState(options.home);
      if (!state.running) {
        throw new Pm2NotRunningError(`no PM2 daemon is running for PM2_HOME=${options.home} (${state.reason}); nothing was cleared`, {
          hint: 'start the apps with "pm2 start ecosystem.config.cjs", or set PM2_HOME to the daemon\'s home',
        });
      }
      await caches?.preflight?.();
    },
    execute: async ({ dryRun }) => {
      const result: Pm2CleanResult = { dryRun, families: {}, restarts: [], errors: [] };
      if (caches) {
        let summary: RunSummary;
        try {
          summary = await caches.execute({ dryRun });
        } catch (error) {
          if (!(error instanceof PartialError)) throw error;
          summary = error.partial as RunSummary;
          result.errors.push(error.message);
        }
        for (const t of summary.byTarget) if (t.family) result.families[t.family] = (result.families[t.family] ?? 0) + (dryRun ? t.matched : t.deleted);
        if (summary.interrupted) {
          result.errors.push('interrupted: no app was restarted');
          return result;
        }
      }
      result.restarts = dryRun ? options.apps.map((name) => ({ name, ok: true })) : await restartApps(options.home, options.apps);
      return result;
    },
    changes: (result) => Object.values(result.families).reduce((a, b) => a + b, 0) + result.restarts.filter((r) => r.ok).length,
    incomplete: (result) => result.errors.length > 0 || result.restarts.some((r) => !r.ok),
    auditResult: (result) => ({
      families: result.families,
      restarts: result.restarts.map((r) => ({ name: r.name, ok: r.ok, ...(r.error ? { error: r.error } : {}) })),
      errors: result.errors,
    }),
  };
}
