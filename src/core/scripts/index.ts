/**
 * The one loader of cachectl's server-side Lua scripts. Every script lives in this folder as
 * `<name>.lua`, with a header naming its KEYS and ARGV, and may include parts shared with other
 * scripts (`<part>.part.lua`); the build copies them to dist/. Scripts
 * run with EVALSHA and fall back to EVAL once when the server does not have them cached (new
 * server, SCRIPT FLUSH, failover). Replies keep keys and payloads as Buffers.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

/** The scripts of this folder. */
export type ScriptName =
  | 'keyspace-step'
  | 'ttl-report-step'
  | 'dump-keys'
  | 'restore-keys'
  | 'stats-step'
  | 'lock-renew'
  | 'lock-release'
  | 'hold-jobs'
  | 'dead-letter'
  | 'read-new'
  | 'lease-take'
  | 'lease-fill';

export interface LuaScript {
  readonly name: ScriptName;
  /** Source with its `#!lua flags=…` line (Redis/Valkey ≥ 7) or without it (older servers). */
  source(flags: boolean): string;
  sha(flags: boolean): string;
}

export type ScriptArg = string | number | Buffer;

const cache = new Map<ScriptName, LuaScript>();

/** The script `<name>.lua` (read once, on first use: importing stays free of side effects). */
export function script(name: ScriptName): LuaScript {
  const existing = cache.get(name);
  if (existing) return existing;
  const withFlags = withParts(readFileSync(new URL(`./${name}.lua`, import.meta.url), 'utf8'));
  // Servers before 7.0 reject the shebang; the flags only matter on 7.0+ anyway.
  const withoutFlags = withFlags.startsWith('#!') ? withFlags.slice(withFlags.indexOf('\n') + 1) : withFlags;
  const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
  const shas = [sha1(withoutFlags), sha1(withFlags)] as const;
  const loaded: LuaScript = { name, source: (flags) => (flags ? withFlags : withoutFlags), sha: (flags) => shas[flags ? 1 : 0] };
  cache.set(name, loaded);
  return loaded;
}

/**
 * A script with every `--#include <part>` line replaced by the text of `<part>.part.lua` of this
 * folder: code two scripts share is written once (a script sent to the server is one text).
 */
function withParts(source: string): string {
  return source.replace(/^--#include ([a-z-]+)$/gm, (_, part: string) => readFileSync(new URL(`./${part}.part.lua`, import.meta.url), 'utf8').trimEnd());
}

/**
 * EVALSHA `name` on `client` (a node, or a Cluster client that routes by the first key), with EVAL
 * as the fallback when the script cache does not have it. `flags` selects the source variant
 * (true on servers that understand `#!lua flags=`, i.e. Redis/Valkey ≥ 7).
 */
export async function runScript(
  client: Redis | Cluster,
  name: ScriptName,
  flags: boolean,
  keys: readonly Buffer[],
  args: readonly ScriptArg[],
): Promise<unknown[]> {
  const loaded = script(name);
  try {
    return (await client.callBuffer('EVALSHA', loaded.sha(flags), keys.length, ...keys, ...args)) as unknown[];
  } catch (error) {
    if (!/^NOSCRIPT/.test(String((error as Error)?.message))) throw error;
    return (await client.callBuffer('EVAL', loaded.source(flags), keys.length, ...keys, ...args)) as unknown[];
  }
}

/** Integer from a script reply element (ioredis gives numbers for integer replies). */
export function int(value: unknown): number {
  if (typeof value === 'number') return value;
  if (Buffer.isBuffer(value)) return Number(value.toString());
  return Number(value ?? 0);
}
