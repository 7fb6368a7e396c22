/**
 * Creating files and folders without being redirected by a planted link: new files are opened
 * exclusively (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), folders are checked (and created) one level
 * at a time, and a finished file is moved into place atomically with its folder synced.
 */
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PreflightError, UsageError } from '../errors.js';

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Open a new file for writing: fails if anything (file, link, folder) already has that name. */
export async function createExclusive(file: string, what = 'File'): Promise<FileHandle> {
  try {
    return await open(file, CREATE, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ELOOP') {
      const kind = await lstat(file).then(
        (s) => (s.isSymbolicLink() ? 'a symbolic link' : 'a file'),
        () => 'something',
      );
      throw new UsageError(`${what} ${file} cannot be created: ${kind} already has that name`, {
        hint: 'remove it (it may hold the data of an interrupted run) or choose another name; nothing was changed',
      });
    }
    throw new UsageError(`Cannot create ${what.toLowerCase()} ${file} (${code ?? 'error'})`, {
      hint: 'check that the folder exists and is writable; nothing was changed',
      cause: error,
    });
  }
}

/** Append to `file` without following a link at its name (created 0640 if missing). */
export async function appendNoFollow(file: string, text: string): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
  try {
    await handle.write(text);
  } finally {
    await handle.close();
  }
}

/** fsync a folder (so a rename or link in it survives a crash); ignored where folders cannot be opened. */
export async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await handle.sync();
  } catch {
    // Some platforms and filesystems refuse to fsync a folder; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Move the finished `temp` to `file`. Without `overwrite` the file is hard-linked into place, which
 * fails if the name appeared meanwhile (the data then stays in `temp`, and the error says so). With
 * `overwrite` it is renamed, which replaces a link at `file` itself, never the link's target.
 */
export async function publish(temp: string, file: string, options: { overwrite?: boolean; what?: string } = {}): Promise<void> {
  const what = options.what ?? 'File';
  if (options.overwrite) {
    await rename(temp, file);
  } else {
    try {
      await link(temp, file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        throw new UsageError(`${what} ${file} appeared while the run went on; the data is kept in ${temp}`, {
          hint: `move ${temp} to a free name (it is complete), or remove it`,
        });
      }
      // No hard links here (some filesystems): an exclusive check, then the rename.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EOPNOTSUPP') throw error;
      if (
        await lstat(file).then(
          () => true,
          () => false,
        )
      ) {
        throw new UsageError(`${what} ${file} appeared while the run went on; the data is kept in ${temp}`, { hint: `move ${temp} to a free name` });
      }
      await rename(temp, file);
      await syncDir(path.dirname(file));
      return;
    }
    await unlink(temp);
  }
  await syncDir(path.dirname(file));
}

/**
 * Make sure `dir` is a folder reached without an untrusted link: every level from the root down is
 * checked, and missing levels are created one at a time (mode 0700). A symbolic link on the way is
 * followed only when it belongs to the current user or to root; any other is refused (exit 2).
 */
export async function secureDir(dir: string, what = 'folder'): Promise<string> {
  const absolute = path.resolve(dir);
  const parts = absolute.split(path.sep).filter(Boolean);
  let at = path.parse(absolute).root;
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  for (const part of parts) {
    at = path.join(at, part);
    let info = await lstat(at).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw refuse(`Cannot check the ${what} ${at} (${error.code ?? 'error'})`);
    });
    if (!info) {
      try {
        await mkdir(at, { mode: 0o700 });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') throw refuse(`Cannot create the ${what} ${at} (${code ?? 'error'})`);
      }
      info = await lstat(at);
    }
    if (info.isSymbolicLink()) {
      if (uid !== undefined && info.uid !== uid && info.uid !== 0) {
        throw refuse(`The ${what} ${absolute} goes through ${at}, a symbolic link owned by another user (uid ${info.uid})`);
      }
      info = await stat(at).catch(() => undefined);
      if (!info) throw refuse(`The ${what} ${absolute} goes through ${at}, a symbolic link to nothing`);
    }
    if (!info.isDirectory()) throw refuse(`The ${what} ${absolute} cannot be used: ${at} is not a folder`);
  }
  return absolute;
}

function refuse(message: string): PreflightError {
  return new PreflightError(message, { hint: 'choose another folder or fix this one; nothing was changed' });
}
