/**
 * Finding the installed pm2. pm2 is an optional dependency: only `pm2-status` and `pm2-clean`
 * talk to a daemon, and the ecosystem lint reads PM2's option schema from it. Everything is
 * loaded on demand, never at start-up.
 */
import { createRequire } from 'node:module';
import { CachectlError, ExitCode } from '../../errors.js';

const requireHere = createRequire(import.meta.url);

/** pm2 cannot be loaded from where cachectl is installed (exit code 2: nothing was touched). */
export class Pm2MissingError extends CachectlError {
  override readonly code = 'CACHECTL_PM2_MISSING';
  override readonly exitCode = ExitCode.USAGE;
}

/** Is pm2 resolvable from cachectl's own folder (its dependency, or a sibling global install)? */
export function pm2Installed(): boolean {
  try {
    requireHere.resolve('pm2/package.json');
    return true;
  } catch {
    return false;
  }
}

/** Throw `Pm2MissingError` unless pm2 is installed; `what` names the command that needs it. */
export function assertPm2Installed(what: string): void {
  if (!pm2Installed()) throw missing(what);
}

/** Load `pm2/<subpath>`, or throw `Pm2MissingError`. */
export function requirePm2<T>(subpath: string, what: string): T {
  assertPm2Installed(what);
  return requireHere(`pm2/${subpath}`) as T;
}

/** Load `pm2/<subpath>` when pm2 is installed, else `undefined`. */
export function optionalPm2<T>(subpath: string): T | undefined {
  return pm2Installed() ? (requireHere(`pm2/${subpath}`) as T) : undefined;
}

function missing(what: string): Pm2MissingError {
  return new Pm2MissingError('pm2 is not installed', {
    hint: `${what} needs pm2, an optional dependency: npm install pm2 next to cachectl (npm install -g pm2 when cachectl is installed globally)`,
  });
}
