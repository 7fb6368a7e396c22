/**
 * Reading a file a user names (config, CA, ecosystem): a regular file, below a size limit, read
 * with that bound. A device (/dev/zero), a FIFO or a folder is refused before a byte is read, and
 * the file is checked again once opened (it may have been swapped in between).
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { UsageError } from './errors.js';

export const MIB = 1024 * 1024;

export interface InputFileOptions {
  /** What the file is, for messages: "config file", "TLS CA file". */
  what: string;
  /** Largest size accepted, in bytes. */
  maxBytes: number;
  /** The option that named the file, for the hint: "--config". */
  option?: string;
  /** Error class to throw (default `UsageError`, exit 2). */
  makeError?: (message: string, hint: string, cause?: unknown) => Error;
}

function limitText(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

function kind(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Throw unless `stats` is a regular file within the limit. */
function check(file: string, stats: Stats, options: InputFileOptions): void {
  const make = options.makeError ?? ((message: string, hint: string, cause?: unknown) => new UsageError(message, { hint, cause }));
  const give = options.option ? `give ${options.option} a regular file` : 'give a regular file';
  if (!stats.isFile()) throw make(`The ${options.what} ${file} is ${kind(stats)}, not a regular file`, give);
  if (stats.size > options.maxBytes) throw tooLarge(file, stats.size, options);
}

function tooLarge(file: string, size: number, options: InputFileOptions): Error {
  const make = options.makeError ?? ((message: string, hint: string) => new UsageError(message, { hint }));
  const limit = limitText(options.maxBytes);
  const seen = size > options.maxBytes + 1 ? ` (${size} bytes)` : '';
  return make(
    `The ${options.what} ${file} is larger than the ${limit} limit${seen}`,
    `${options.option ? `give ${options.option}` : 'give'} a file of at most ${limit}`,
  );
}

/** Check, without reading, that `file` is a regular file within the limit (stat only). */
export function checkInputFile(file: string, options: InputFileOptions): Stats {
  let stats: Stats;
  try {
    stats = statSync(file);
  } catch (error) {
    throw failure(file, error, options);
  }
  check(file, stats, options);
  return stats;
}

/** Read `file` whole, after the checks; never more than the limit, whatever the file does. */
export function readInputFile(file: string, options: InputFileOptions): Buffer {
  checkInputFile(file, options);
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO swapped in after the stat does not block the open.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw failure(file, error, options);
  }
  try {
    check(file, fstatSync(fd), options);
    const buffer = Buffer.alloc(options.maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > options.maxBytes) throw tooLarge(file, length, options);
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

function failure(file: string, error: unknown, options: InputFileOptions): Error {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  const make = options.makeError ?? ((message: string, hint: string, cause?: unknown) => new UsageError(message, { hint, cause }));
  const reason = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code})`;
  return make(`The ${options.what} ${file} ${reason}`, options.option ? `check the path given to ${options.option}` : 'check the path', error);
}
