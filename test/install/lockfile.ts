// A lockfile that installs the packed tarball with exactly the dependency versions of this
// checkout: `npm ci --offline` then needs only the tarballs already in the npm cache, no registry
// metadata (which `npm install <tarball> --offline` would need to resolve versions).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

/** package.json and package-lock.json for a folder that depends on `tarball` (a file name in it). */
export function installManifest(tarballPath: string): { manifest: object; lock: object } {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const file = `file:${path.basename(tarballPath)}`;
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarballPath)).digest('base64')}`;
  const packages: Record<string, LockEntry> = {
    '': { name: 'install-check', dependencies: { cachectl: file } },
    'node_modules/cachectl': {
      version: String(pkg.version),
      resolved: file,
      integrity,
      dependencies: pkg.dependencies,
      optionalDependencies: pkg.optionalDependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '' || entry.dev) continue;
    const { devOptional, ...rest } = entry;
    packages[key] = devOptional ? { ...rest, optional: true } : rest;
  }
  return {
    manifest: { name: 'install-check', private: true, dependencies: { cachectl: file } },
    lock: { name: 'install-check', lockfileVersion: 3, requires: true, packages },
  };
}
