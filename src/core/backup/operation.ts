/**
 * `restore` as a lifecycle operation: the whole file is verified first (nothing is written from a
 * damaged file), confirmation is asked to overwrite existing keys or above `safety.confirmAbove`,
 * the audit log is checked before the first write, and the result is audited.
 */
import { formatCount } from '../stats/format.js';
import path from 'node:path';
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';
import { readyMasters } from '../../redis/topology.js';
import type { Operation } from '../safety/lifecycle.js';
import { restore, type RestoreOptions, type RestoreResult } from './restore.js';
import { KeyGuard } from '../guard.js';
import { inspectBackup, requireComplete } from './verify.js';

/** The operation restoring `file` (absolute) with `options`. */
export function restoreOperation(
  connection: RedisConnection,
  config: CachectlConfig,
  file: string,
  options: Omit<RestoreOptions, 'dryRun' | 'confirm' | 'protect'>,
): Operation<RestoreResult> {
  let planned: number | undefined;
  const guard = new KeyGuard(config);
  return {
    command: 'restore',
    // Known once the file is verified (assess): the prompt names the number of keys.
    get describe() {
      const what = planned === undefined ? 'the keys' : `${formatCount(planned)} keys`;
      return `restore ${what} from ${path.basename(file)} into ${connection.target}${options.replace ? ', overwriting keys that exist' : ''}`;
    },
    targets: [file],
    assess: async () => {
      const info = await inspectBackup(file);
      requireComplete(info, { partial: options.partial === true });
      const keys = info.keys - ((options.ttlMode ?? 'keep') === 'keep' ? info.expired : 0);
      planned = keys;
      const reasons: string[] = [];
      if (options.replace && keys > 0) reasons.push('--replace overwrites keys that exist');
      if (keys > config.safety.confirmAbove)
        reasons.push(`${formatCount(keys)} keys, more than safety.confirmAbove (${formatCount(config.safety.confirmAbove)})`);
      return { confirm: reasons.length > 0, requireYes: false, reasons };
    },
    preflight: async () => {
      await readyMasters(connection);
    },
    execute: ({ dryRun }) => restore(connection, file, { ...options, dryRun, protect: (key) => guard.protection(key) }),
    changes: (result) => (result.dryRun ? 0 : result.restored),
    incomplete: (result) => result.failed > 0 || result.interrupted,
    auditResult: (result) => ({
      keys: result.keys,
      restored: result.restored,
      skipped: result.skipped,
      failed: result.failed,
      replace: result.replace,
      interrupted: result.interrupted,
      complete: result.complete,
    }),
  };
}
