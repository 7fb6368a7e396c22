/**
 * Deploy and restart hooks (`cachectl hook …`, and the earlier tool's `--pre-deploy`, `--deploy`,
 * `--pm2-restart`). Calling one is the decision, so they never ask; they run the same lifecycle as
 * every destructive command (preflight, audit, summary) and take `dryRun`.
 *
 * - pre-deploy: back up the `clearOnDeploy` families (exactly the keys removed, captured by the
 *   engine at delete time) into `<logs>/backups/`, then clear them.
 * - deploy: clear the `clearOnDeploy` families for the fresh release.
 * - pm2-restart: remove finished queue jobs past retention. Never waiting/active jobs, never
 *   user state.
 */
import path from 'node:path';
import type { CachectlConfig } from '../../config/load.js';
import { PartialError } from '../../errors.js';
import { archiveFile } from '../backup/archive.js';
import { backupTimestamp, prune } from '../backup/directory.js';
import type { RunSummary } from '../keyspace/summary.js';
import { clearAllSpec } from '../operations/clear-all.js';
import { keyspaceOperation } from '../operations/keyspace.js';
import { runLifecycle, type LifecycleEnv, type Operation } from '../safety/lifecycle.js';
import { cleanFinishedJobs } from './queue-steps.js';
import type { StepResult } from './types.js';

export const HOOK_NAMES = ['pre-deploy', 'deploy', 'pm2-restart'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

export interface HookOptions {
  signal?: AbortSignal;
  /** Folder for pre-deploy backups (`<logs.dir>/backups`). */
  backupDir: string;
  /** How many pre-deploy backups to keep (default 10). */
  keepBackups?: number;
  /** `deploy`: keep what it deletes too, as `deploy-<time>.cbk.gz` in `backupDir` (pre-deploy always does). */
  archive?: boolean;
  dryRun?: boolean;
  progress?: (message: string) => void;
}

export interface HookResult {
  hook: HookName;
  dryRun: boolean;
  status: 'ok' | 'partial' | 'failed';
  /** Keys deleted per family (dry run: that would be deleted). */
  families: Record<string, number>;
  /** Jobs removed per queue (dry run: that would be removed). */
  queues: Record<string, number>;
  backup?: { file: string; keys: number; prunedOld: string[] };
  warnings: string[];
  errors: string[];
  durationMs: number;
}

/** The families `hook deploy` and `hook pre-deploy` clear. */
export function deployFamilies(config: CachectlConfig): string[] {
  return Object.values(config.families)
    .filter((f) => f.clearOnDeploy)
    .map((f) => f.name);
}

/** Run one hook through the lifecycle. A failure after the first change is a `PartialError` carrying the result. */
export async function runHook(env: LifecycleEnv, hook: HookName, options: HookOptions): Promise<HookResult> {
  const started = performance.now();
  const result: HookResult = { hook, dryRun: options.dryRun === true, status: 'ok', families: {}, queues: {}, warnings: [], errors: [], durationMs: 0 };
  const finish = (): HookResult => {
    if (options.signal?.aborted && !result.errors.includes('interrupted')) result.errors.push('interrupted');
    result.durationMs = Math.round(performance.now() - started);
    const did = Object.values(result.families).some((n) => n > 0) || Object.values(result.queues).some((n) => n > 0);
    result.status = result.errors.length === 0 ? 'ok' : did ? 'partial' : 'failed';
    return result;
  };
  try {
    if (hook === 'pm2-restart') await runLifecycle(env, restartOperation(env, hook, options, result), { dryRun: options.dryRun, force: true });
    else await clearFamilies(env, hook, options, result);
  } catch (error) {
    if (!(error instanceof PartialError)) throw error;
    if (!result.errors.includes(error.message)) result.errors.push(error.message);
    throw new PartialError(error.message, finish(), { cause: error.cause ?? error, hint: error.hint });
  }
  return finish();
}

async function clearFamilies(env: LifecycleEnv, hook: HookName, options: HookOptions, result: HookResult): Promise<void> {
  const families = deployFamilies(env.config);
  if (families.length === 0) {
    result.warnings.push('no family is marked clearOnDeploy: nothing to clear (set "clearOnDeploy": true on a family in the config)');
    return;
  }
  const spec = { ...clearAllSpec(env.config, { families }), command: `hook ${hook}` };
  const keep = hook === 'pre-deploy' || options.archive === true;
  const label = hook === 'pre-deploy' ? 'pre-deploy' : 'deploy';
  const op = keyspaceOperation(env.connection, env.config, spec, { signal: options.signal, ...(keep ? { backup: true } : {}) });
  // A new name every run (the next free millisecond if one is taken): a rerun never fails on an existing file.
  const file = keep && !options.dryRun ? archiveFile(options.backupDir, label) : path.join(options.backupDir, `${label}-${backupTimestamp(new Date())}.cbk.gz`);
  const record = (summary: RunSummary & { backup?: { file: string; keys: number; written: boolean } }) => {
    for (const t of summary.byTarget) if (t.family) result.families[t.family] = (result.families[t.family] ?? 0) + (summary.dryRun ? t.matched : t.deleted);
    if (summary.interrupted) result.errors.push('interrupted');
    result.errors.push(...(summary.errors ?? []));
  };
  try {
    const summary = await runLifecycle(env, op, { dryRun: options.dryRun, force: true, ...(keep ? { backup: { file } } : {}) });
    record(summary);
    if (summary.backup?.written)
      result.backup = {
        file: summary.backup.file,
        keys: summary.backup.keys,
        prunedOld: await prune(options.backupDir, label, options.keepBackups ?? 10),
      };
  } catch (error) {
    if (error instanceof PartialError) record(error.partial as RunSummary);
    throw error;
  }
}

/** pm2-restart: finished queue jobs past retention, as a lifecycle operation. */
function restartOperation(env: LifecycleEnv, hook: HookName, options: HookOptions, result: HookResult): Operation<StepResult> {
  const { connection, config } = env;
  return {
    command: `hook ${hook}`,
    describe: 'remove finished queue jobs past their retention',
    targets: config.queues.prefixes.map((p) => `queues under ${p}`),
    explicit: true,
    assess: async () => ({ confirm: false, requireYes: false, reasons: [] }),
    execute: async ({ dryRun }) => {
      let done: StepResult;
      try {
        done = await cleanFinishedJobs(connection, config, { signal: options.signal, dryRun, ...(options.progress ? { progress: options.progress } : {}) });
      } catch (error) {
        if (error instanceof PartialError) Object.assign(result.queues, (error.partial as StepResult).removed?.queues);
        throw error;
      }
      Object.assign(result.queues, done.removed?.queues);
      result.errors.push(...(done.errors ?? []));
      return done;
    },
    changes: (done) => (options.dryRun ? 0 : Object.values(done.removed?.queues ?? {}).reduce((a, b) => a + b, 0)),
    incomplete: (done) => (done.errors?.length ?? 0) > 0,
    auditResult: (done) => ({ queues: done.removed?.queues ?? {}, errors: done.errors ?? [] }),
  };
}
