// Helpers for test files: which shared servers exist, Valkey-only suites, per-test key prefixes.
import { randomBytes } from 'node:crypto';
import { describe, inject } from 'vitest';
import './provided.js';

export type TargetName = 'redis' | 'cluster' | 'valkey';

export interface ServerTarget {
  name: TargetName;
  url: string;
  cluster: boolean;
}

/** Every shared server started by global setup, for `describe.each(serverTargets())`. */
export function serverTargets(): ServerTarget[] {
  const servers = inject('servers');
  const targets: ServerTarget[] = [
    { name: 'redis', url: servers.redis.url, cluster: false },
    { name: 'cluster', url: servers.cluster.url, cluster: true },
  ];
  if (servers.valkey) targets.push({ name: 'valkey', url: servers.valkey.url, cluster: false });
  return targets;
}

const SKIP_NOTE = 'valkey-server not found: Valkey tests skipped (CI installs it)';
// Once per worker process, even though vitest re-evaluates this module for every test file.
const WARNED_KEY = Symbol.for('cachectl.test.valkey-skip-warned');

function valkeyMissing(): boolean {
  if (inject('servers').valkey) return false;
  const holder = globalThis as typeof globalThis & { [WARNED_KEY]?: boolean };
  if (!holder[WARNED_KEY]) {
    holder[WARNED_KEY] = true;
    process.stderr.write(`${SKIP_NOTE}\n`);
  }
  return true;
}

/**
 * `describe` when global setup started Valkey; otherwise `describe.skip` with the reason added to
 * the suite name, so the report shows why it was skipped. (In CI a missing Valkey fails setup.)
 * The cast is only for the type: at runtime describe.skip carries the same chain (.each, .skipIf...).
 */
export const describeValkey: typeof describe = valkeyMissing()
  ? new Proxy(describe.skip as typeof describe, {
      apply(target, thisArg, args: unknown[]) {
        args[0] = `${String(args[0])} [skipped: valkey-server not found]`;
        return Reflect.apply(target, thisArg, args);
      },
    })
  : describe;

/** A unique key prefix such as `t:scan:1f2e3d4c:` so tests sharing a server never collide. */
export function randomPrefix(label = 'test'): string {
  return `t:${label}:${randomBytes(4).toString('hex')}:`;
}
