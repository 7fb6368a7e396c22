/**
 * Backups into a folder with retention (used by `hook pre-deploy`): files are named
 * `<label>-<UTC timestamp>.cbk.gz` and only the newest `keep` files of that label are kept.
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { CachectlConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { secureDir } from '../safe-file.js';
import { backup, type BackupOptions, type BackupSummary } from './backup.js';
import type { BackupTarget } from './select.js';

export interface DirectoryBackupOptions extends Omit<BackupOptions, 'out' | 'overwrite'> {
  /** Folder for the backups (created if missing). */
  dir: string;
  /** How many backups of this label to keep, the new one included (≥ 1). */
  keep: number;
  /** File name prefix (default `backup`); letters, digits, `.`, `_` and `-`. */
  label?: string;
}

export interface DirectoryBackupSummary extends BackupSummary {
  /** Older backups deleted by retention (absolute paths). */
  removed: string[];
}

const SUFFIX = '.cbk.gz';

/** `20250131T020000.123Z`: UTC, sortable, safe in file names on every platform. */
export function backupTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '');
}

/** Back up into `dir` as `<label>-<UTC timestamp>.cbk.gz`, then delete the oldest beyond `keep`. */
export async function backupToDirectory(
  connection: RedisConnection,
  config: CachectlConfig,
  selection: readonly BackupTarget[],
  options: DirectoryBackupOptions,
): Promise<DirectoryBackupSummary> {
  const label = options.label ?? 'backup';
  if (!/^[A-Za-z0-9._-]+$/.test(label)) {
    throw new UsageError(`Invalid backup label "${label}"`, { hint: 'use letters, digits, ".", "_" and "-"' });
  }
  if (!Number.isInteger(options.keep) || options.keep < 1) {
    throw new UsageError(`Backup retention must keep at least 1 file, got ${options.keep}`, { hint: 'set keep to 1 or more' });
  }
  const dir = path.resolve(options.dir);
  await secureDir(dir, 'backup folder');
  let when = new Date();
  let file = path.join(dir, `${label}-${backupTimestamp(when)}${SUFFIX}`);
  // Two runs in the same millisecond: take the next free millisecond (names stay sortable).
  while (existsSync(file)) {
    when = new Date(when.getTime() + 1);
    file = path.join(dir, `${label}-${backupTimestamp(when)}${SUFFIX}`);
  }
  const { dir: _dir, keep, label: _label, ...rest } = options;
  const summary = await backup(connection, config, selection, { ...rest, out: file });
  const removed = await prune(dir, label, keep);
  return { ...summary, removed };
}

/** Delete the oldest `<label>-<timestamp>.cbk.gz` files beyond `keep`. Returns what was removed. */
export async function prune(dir: string, label: string, keep: number): Promise<string[]> {
  const pattern = new RegExp(`^${label.replace(/[.]/g, '\\.')}-(\\d{8}T\\d{6}\\.\\d{3}Z)\\.cbk\\.gz$`);
  const names = (await readdir(dir)).filter((name) => pattern.test(name)).sort();
  const old = names.slice(0, Math.max(0, names.length - keep));
  for (const name of old) await rm(path.join(dir, name), { force: true });
  return old.map((name) => path.join(dir, name));
}
