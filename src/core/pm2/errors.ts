/**
 * PM2-specific errors.
 */
import { ConnectionError } from '../../errors.js';

/** No PM2 daemon answers for this PM2_HOME (exit code 3, like any unreachable service). */
export class Pm2NotRunningError extends ConnectionError {
  override readonly code = 'CACHECTL_PM2_NOT_RUNNING';
}
