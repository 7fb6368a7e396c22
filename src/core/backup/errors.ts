/**
 * Errors of the backup module. A bad file is a usage error (exit 2, nothing touched); a file the
 * target server cannot read fails the run (exit 1) before anything is written.
 */
import { CachectlError, ExitCode } from '../../errors.js';

/** The backup file is truncated, corrupted, or not a cachectl backup. Nothing was written. */
export class BackupFormatError extends CachectlError {
  override readonly code = 'CACHECTL_BACKUP_INVALID';
  override readonly exitCode = ExitCode.USAGE;
}

/** The target server cannot read the backup's DUMP payloads (RDB version too new, other flavor). */
export class BackupIncompatibleError extends CachectlError {
  override readonly code = 'CACHECTL_BACKUP_INCOMPATIBLE';
  override readonly exitCode = ExitCode.FAILED;
}

/** Message of the server when RESTORE cannot read a payload. */
export const PAYLOAD_REJECTED = /DUMP payload version or checksum are wrong/i;
