/**
 * Everything a run needs that can fail without touching data is checked before the first change:
 * the audit log (and other logs) can be appended to, the backup or export files can be created
 * (not a folder, no existing file unless allowed, no two runs' files clashing), there is room for
 * the backup, and the ACL allows the commands. A failure here is exit 2 (or 7 for the ACL) and
 * means nothing was touched.
 */
import { constants } from 'node:fs';
import { lstat, open, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { PreflightError, UsageError } from '../../errors.js';
import { secureDir } from '../safe-file.js';
import { formatBytes } from '../stats/format.js';
import { AUDIT_FILE } from './audit.js';

/** Make sure `dir` exists and each of `files` in it can be appended to (creating them if needed). */
export async function checkAppendable(dir: string, files: readonly string[] = [AUDIT_FILE]): Promise<void> {
  // Every level checked (and created) without following a planted link.
  await secureDir(dir, 'logs folder');
  for (const name of files) {
    const file = path.join(dir, name);
    try {
      const handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
      await handle.close();
    } catch (error) {
      throw fileError(`Cannot append to ${file}`, error, 'fix the permissions of the logs folder, or set logs.dir to a writable folder; nothing was changed');
    }
  }
}

/**
 * A file the run will create: not a folder, not existing unless `overwrite`, its folder existing or
 * creatable. (The writer opens it exclusively before the first change; this names the problem early.)
 */
export async function checkNewFile(file: string, options: { overwrite?: boolean; what: string }): Promise<void> {
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new UsageError(`${options.what} ${file} is a folder`, { hint: 'give a file name, e.g. cleared.cbk.gz; nothing was changed' });
  }
  if (existing && !options.overwrite) {
    throw new UsageError(`${options.what} ${file} already exists`, { hint: 'choose another name, or add --force to replace it; nothing was changed' });
  }
  await secureDir(path.dirname(file), 'folder');
  // The writer creates FILE.partial exclusively: anything already there (a planted link, or the
  // data of an interrupted run) is named now, before the first change.
  const partial = `${file}.partial`;
  if (
    await lstat(partial).then(
      () => true,
      () => false,
    )
  ) {
    throw new UsageError(`${options.what} ${file} cannot be written: ${partial} already exists`, {
      hint: 'it may hold the data of an interrupted run: restore or move it, then run again; nothing was changed',
    });
  }
}

/** Distinct file names, or a `PreflightError` naming the clash. */
export function checkDistinct(files: ReadonlyArray<{ file: string; owner: string }>): void {
  const seen = new Map<string, string>();
  for (const { file, owner } of files) {
    const other = seen.get(file);
    if (other !== undefined) {
      throw new PreflightError(`${other} and ${owner} would both be written to ${file}`, { hint: 'this is a naming clash; nothing was changed' });
    }
    seen.set(file, owner);
  }
}

/** At least `bytes` free in the filesystem holding `dir`. */
export async function checkFreeSpace(dir: string, bytes: number, what: string): Promise<void> {
  if (!(bytes > 0)) return;
  let free: number;
  try {
    const fs = await statfs(dir);
    free = fs.bavail * fs.bsize;
  } catch {
    return; // no statfs here: the writer still stops cleanly on ENOSPC
  }
  if (free < bytes) {
    throw new PreflightError(`Not enough free space in ${dir} for ${what}: about ${formatBytes(bytes)} needed, ${formatBytes(free)} free`, {
      hint: 'free some space or write the backup elsewhere; nothing was changed',
    });
  }
}

/** A file-system failure before anything was touched: exit 2, with its errno code. */
export function fileError(message: string, error: unknown, hint: string): PreflightError {
  const code = (error as NodeJS.ErrnoException)?.code;
  return new PreflightError(`${message} (${code ?? (error as Error)?.message ?? 'error'})`, { cause: error, hint });
}
