/**
 * Work stopped by a shutdown before it ran. Not a failure: the listener leaves such entries
 * pending (unacknowledged), so they are delivered again.
 */
import { CachectlError, ExitCode } from '../../errors.js';

export class InterruptedError extends CachectlError {
  override readonly code = 'CACHECTL_INTERRUPTED';
  override readonly exitCode = ExitCode.PARTIAL;
}
