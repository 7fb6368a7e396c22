/**
 * Errors with stable codes and exit codes. The CLI has one error boundary that maps any of these
 * to a one-line message plus a hint; the library throws them as they are.
 */

/** Exit codes of the `cachectl` binary. Documented in README ("Exit codes"); never renumber. */
export const ExitCode = {
  /** Everything asked for was done. */
  OK: 0,
  /** The operation failed (or a `doctor` check failed). */
  FAILED: 1,
  /** Bad command line, bad input value or bad config file. Nothing was touched. */
  USAGE: 2,
  /** Cannot reach or authenticate to the server (refused, timeout, TLS, wrong password, bad db). */
  CONNECTION: 3,
  /** Refused for safety: needs `--yes`, confirmation declined, or a forbidden target. */
  REFUSED: 4,
  /** Partly done: interrupted (Ctrl-C, lost server) or some keys failed. A summary says what. */
  PARTIAL: 5,
  /** Another run holds the lock (maintenance). */
  LOCKED: 6,
  /** The server's ACL denied a command this operation needs. */
  PERMISSION: 7,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface CachectlErrorOptions {
  hint?: string;
  cause?: unknown;
}

/** Base class: `code` is stable and machine-readable, `hint` tells the user what to do next. */
export class CachectlError extends Error {
  readonly code: string = 'CACHECTL_ERROR';
  readonly exitCode: ExitCodeValue = ExitCode.FAILED;
  readonly hint: string | undefined;

  constructor(message: string, options: CachectlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Invalid flag, argument or value given by the user. */
export class UsageError extends CachectlError {
  override readonly code = 'CACHECTL_USAGE';
  override readonly exitCode = ExitCode.USAGE;
}

/** Invalid configuration file or configuration value. */
export class ConfigError extends CachectlError {
  override readonly code = 'CACHECTL_CONFIG';
  override readonly exitCode = ExitCode.USAGE;
}

/** The server could not be reached, or the connection broke. */
export class ConnectionError extends CachectlError {
  override readonly code: string = 'CACHECTL_CONNECTION';
  override readonly exitCode = ExitCode.CONNECTION;
}

/** Wrong user name or password, or AUTH required. */
export class AuthError extends ConnectionError {
  override readonly code = 'CACHECTL_AUTH';
}

/** TLS handshake or certificate verification failed. */
export class TlsError extends ConnectionError {
  override readonly code = 'CACHECTL_TLS';
}

/** A command or the connection did not answer in time. */
export class TimeoutError extends ConnectionError {
  override readonly code = 'CACHECTL_TIMEOUT';
}

/** The server's ACL denied a command. */
export class PermissionError extends CachectlError {
  override readonly code = 'CACHECTL_NOPERM';
  override readonly exitCode = ExitCode.PERMISSION;
}

/**
 * Something the run needs, checked before anything was touched, is not there: the audit log or a
 * backup/export file cannot be written, too little disk space, clashing file names. Exit 2.
 */
export class PreflightError extends CachectlError {
  override readonly code = 'CACHECTL_PREFLIGHT';
  override readonly exitCode = ExitCode.USAGE;
}

/** Refused for safety (no `--yes` without a terminal, declined confirmation, forbidden target). */
export class SafetyError extends CachectlError {
  override readonly code = 'CACHECTL_REFUSED';
  override readonly exitCode = ExitCode.REFUSED;
}

/** Another holder has the lock. */
export class LockHeldError extends CachectlError {
  override readonly code = 'CACHECTL_LOCKED';
  override readonly exitCode = ExitCode.LOCKED;
}

/** Work stopped part-way; `partial` carries what was done so far. */
export class PartialError<T = unknown> extends CachectlError {
  override readonly code = 'CACHECTL_PARTIAL';
  override readonly exitCode = ExitCode.PARTIAL;
  readonly partial: T;

  constructor(message: string, partial: T, options: CachectlErrorOptions = {}) {
    super(message, options);
    this.partial = partial;
  }
}

export function isCachectlError(error: unknown): error is CachectlError {
  return error instanceof CachectlError;
}
