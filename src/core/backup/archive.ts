/**
 * Archive folders: where `maintenance` and `--backup-dir` of the clearing commands keep what they delete, one
 * file per run named `<label>-<UTC timestamp>.cbk.gz` (never an existing name: a scheduled run can
 * not fail because of an earlier one), restorable with `cachectl restore`, and retention by age
 * (`keepDays`) applied by maintenance itself — only to files of that naming, nothing else in the folder.
 */
import { constants, existsSync } from 'node:fs';
import { access, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileError } from '../safety/preflight.js';
import { backupTimestamp } from './directory.js';

/** Labels of the runs that archive (file name prefixes). */
export type ArchiveLabel = 'maintenance' | 'clear-old' | 'clear-all' | 'clear-user' | 'invalidate' | 'pre-deploy' | 'deploy';

/** A file name in `dir` for a run starting now that no earlier run has taken. */
export function archiveFile(dir: string, label: ArchiveLabel, now = new Date()): string {
  let when = now;
  let file = path.join(dir, `${label}-${backupTimestamp(when)}.cbk.gz`);
  // Two runs in the same millisecond: take the next free millisecond (names stay sortable).
  while (existsSync(file) || existsSync(`${file}.partial`)) {
    when = new Date(when.getTime() + 1);
    file = path.join(dir, `${label}-${backupTimestamp(when)}.cbk.gz`);
  }
  return file;
}

/** The folder exists (created if missing) and can be written to: a `PreflightError` otherwise. */
export async function checkArchiveDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    throw fileError(
      `Cannot write to the archive folder ${dir}`,
      error,
      'fix its permissions or choose another folder (--backup-dir / maintenance.archive.dir); nothing was changed',
    );
  }
}

const NAME = /^(maintenance|clear-old|clear-all|clear-user|invalidate)-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z\.cbk\.gz$/;

/** Delete archive files (of any label above, never pre-deploy/deploy backups) older than `keepDays`; returns what was removed. */
export async function pruneArchive(dir: string, keepDays: number, now = Date.now()): Promise<string[]> {
  const cutoff = now - keepDays * 86_400_000;
  const removed: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = NAME.exec(name);
    if (!m) continue;
    const at = Date.UTC(+m[2]!, +m[3]! - 1, +m[4]!, +m[5]!, +m[6]!, +m[7]!, +m[8]!);
    if (at >= cutoff) continue;
    await rm(path.join(dir, name), { force: true });
    removed.push(path.join(dir, name));
  }
  return removed.sort();
}
