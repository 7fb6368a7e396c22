/**
 * Path settings of a config file mean paths next to that file, wherever the command is run from:
 * `logs.dir`, `maintenance.archive.dir`, `redis.tls.ca` and each context's `tls.ca`. Without
 * `logs.dir`, state goes to `<config folder>/logs`, or to the state folder when no file is used.
 * Paths given on the command line keep meaning the working directory (the CLI resolves them).
 */
import path from 'node:path';
import { defaultStateDir } from './locate.js';
import type { ConfigInput } from './schema.js';

type Raw = Record<string, unknown>;

/**
 * A copy of the file's settings with its relative paths made absolute against `baseDir` (the
 * file's folder), and `logs.dir` always set: relative paths never fall back to the working folder.
 */
export function anchorPaths(raw: ConfigInput, source: string | undefined, env: NodeJS.ProcessEnv): ConfigInput {
  const out = structuredClone(raw) as Raw;
  const baseDir = source === undefined ? undefined : path.dirname(source);
  const logs = object(out, 'logs');
  if (typeof logs.dir === 'string' && baseDir) logs.dir = path.resolve(baseDir, logs.dir);
  else if (logs.dir === undefined) logs.dir = baseDir ? path.join(baseDir, 'logs') : defaultStateDir(env);
  if (!baseDir) return out as ConfigInput;
  const archive = (out.maintenance as Raw | undefined)?.archive as Raw | undefined;
  if (archive && typeof archive.dir === 'string' && archive.dir !== '') archive.dir = path.resolve(baseDir, archive.dir);
  anchorCa((out.redis as Raw | undefined)?.tls, baseDir);
  const contexts = out.contexts;
  if (contexts && typeof contexts === 'object') {
    for (const context of Object.values(contexts as Raw)) anchorCa((context as Raw | undefined)?.tls, baseDir);
  }
  return out as ConfigInput;
}

function anchorCa(tls: unknown, baseDir: string): void {
  if (!tls || typeof tls !== 'object') return;
  const t = tls as Raw;
  if (typeof t.ca === 'string' && t.ca !== '') t.ca = path.resolve(baseDir, t.ca);
}

/** `raw[key]` as an object, created when absent (a non-object is left for the schema to report). */
function object(raw: Raw, key: string): Raw {
  const value = raw[key];
  if (value === undefined) raw[key] = {};
  const result = raw[key];
  return result && typeof result === 'object' && !Array.isArray(result) ? (result as Raw) : {};
}
