/**
 * Deploy and restart hooks (`cachectl hook …`, and the earlier tool's `--pre-deploy`, `--deploy`,
 * `--pm2-restart`). They run unattended, so they never ask; they return a summary the CLI prints
 * and audits.
 *
 * - pre-deploy: back up the `clearOnDeploy` families (exactly the keys removed, captured by the
 *   engine at delete time) into `<logs>/backups/`, then clear them.
 * - deploy: clear the `clearOnDeploy` families for the fresh release.
 * - pm2-restart: remove finished queue jobs past retention. Never waiting/active jobs, never
 *   user state.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CachectlConfig } from '../../config/load.js';
import { PartialError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { backupTimestamp, prune } from '../backup/directory.js';
import { runCapturing } from '../backup/capture-run.js';
import { openBackupSink, type BackupSink } from '../backup/sink.js';
import type { RunSummary } from '../keyspace/summary.js';
import { clearAll } from '../operations/clear-all.js';
import { cleanFinishedJobs } from './queue-steps.js';

export const HOOK_NAMES = ['pre-deploy', 'deploy', 'pm2-restart'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

export interface HookOptions {
  signal?: AbortSignal;
  /** Folder for pre-deploy backups (`<logs.dir>/backups`). */
  backupDir: string;
  /** How many pre-deploy backups to keep (default 10). */
  keepBackups?: number;
  progress?: (message: string) => void;
}

export interface HookResult {
  hook: HookName;
  status: 'ok' | 'partial' | 'failed';
  /** Keys deleted per family. */
  families: Record<string, number>;
  /** Jobs removed per queue. */
  queues: Record<string, number>;
  backup?: { file: string; keys: number; bytes: number; prunedOld: string[] };
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

/** Run one hook. Connection failures before anything was done are thrown as they are. */
export async function runHook(connection: RedisConnection, config: CachectlConfig, hook: HookName, options: HookOptions): Promise<HookResult> {
  const started = performance.now();
  const result: HookResult = { hook, status: 'ok', families: {}, queues: {}, warnings: [], errors: [], durationMs: 0 };
  if (hook === 'pm2-restart') {
    try {
      const done = await cleanFinishedJobs(connection, config, { signal: options.signal, progress: options.progress });
      result.queues = done.removed?.queues ?? {};
      result.errors.push(...(done.errors ?? []));
    } catch (error) {
      if (!(error instanceof PartialError)) throw error;
      const partial = error.partial as { removed?: { queues?: Record<string, number> }; errors?: string[] };
      result.queues = partial.removed?.queues ?? {};
      result.errors.push(...(partial.errors ?? []), error.message);
    }
  } else {
    const families = deployFamilies(config);
    if (families.length === 0) {
      result.warnings.push('no family is marked clearOnDeploy: nothing to clear (set "clearOnDeploy": true on a family in the config)');
    } else {
      await clearFamilies(connection, config, families, hook === 'pre-deploy', options, result);
    }
  }
  if (options.signal?.aborted) result.errors.push('interrupted');
  result.durationMs = Math.round(performance.now() - started);
  const did = Object.keys(result.families).length + Object.keys(result.queues).length > 0;
  result.status = result.errors.length === 0 ? 'ok' : did ? 'partial' : 'failed';
  return result;
}

async function clearFamilies(
  connection: RedisConnection,
  config: CachectlConfig,
  families: string[],
  withBackup: boolean,
  options: HookOptions,
  result: HookResult,
): Promise<void> {
  let sink: BackupSink | undefined;
  const label = 'pre-deploy';
  if (withBackup) {
    await mkdir(options.backupDir, { recursive: true });
    const file = path.join(options.backupDir, `${label}-${backupTimestamp(new Date())}.cbk.gz`);
    // Opened before anything is deleted: an unusable folder stops the hook here.
    sink = await openBackupSink(file, { connection, command: 'hook pre-deploy', selection: families });
  }
  const { summary, failure, backup } = await runCapturing<RunSummary>(sink, (capture) =>
    clearAll({ connection, config }, { families, signal: options.signal, ...(capture ? { capture } : {}) }),
  );
  if (summary) {
    for (const t of summary.byTarget) if (t.family) result.families[t.family] = (result.families[t.family] ?? 0) + t.deleted;
    if (summary.interrupted) result.errors.push('interrupted');
    for (const e of summary.errors ?? []) result.errors.push(e);
  }
  if (backup) {
    const prunedOld = await prune(options.backupDir, label, options.keepBackups ?? 10);
    result.backup = { file: backup.file, keys: backup.keys, bytes: backup.bytes, prunedOld };
  }
  if (failure) {
    if (!(failure instanceof PartialError)) throw failure;
    if (!result.errors.includes(failure.message)) result.errors.push(failure.message);
  }
}
