/**
 * Server-side Lua scripts: loaded from the `.lua` files next to this module (the build copies
 * them to dist/), run with EVALSHA and falling back to EVAL once when the server does not have
 * the script cached yet. Replies keep keys as Buffers.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

export interface LuaScript {
  readonly name: string;
  /** Source with the `#!lua flags=…` line (Redis/Valkey ≥ 7) or without it (older servers). */
  source(flags: boolean): string;
  sha(flags: boolean): string;
}

const cache = new Map<string, LuaScript>();

/** Load `<name>.lua` from this folder (cached). */
export function loadScript(name: string): LuaScript {
  const existing = cache.get(name);
  if (existing) return existing;
  const withFlags = readFileSync(new URL(`./${name}.lua`, import.meta.url), 'utf8');
  // Servers before 7.0 reject the shebang; the flags only matter on 7.0+ anyway.
  const withoutFlags = withFlags.startsWith('#!') ? withFlags.slice(withFlags.indexOf('\n') + 1) : withFlags;
  const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
  const shas = [sha1(withoutFlags), sha1(withFlags)] as const;
  const script: LuaScript = {
    name,
    source: (flags) => (flags ? withFlags : withoutFlags),
    sha: (flags) => shas[flags ? 1 : 0],
  };
  cache.set(name, script);
  return script;
}

export type ScriptArg = string | number | Buffer;

/**
 * EVALSHA `script` on `client` (a node, or a Cluster client that routes by the first key), with
 * EVAL as the fallback when the script cache does not have it (new server, SCRIPT FLUSH,
 * failover). `flags` selects the source variant (see `LuaScript.source`).
 */
export async function runScript(client: Redis | Cluster, script: LuaScript, flags: boolean, keys: Buffer[], args: ScriptArg[]): Promise<unknown[]> {
  try {
    return (await client.callBuffer('EVALSHA', script.sha(flags), keys.length, ...keys, ...args)) as unknown[];
  } catch (error) {
    if (!/^NOSCRIPT/.test(String((error as Error)?.message))) throw error;
    return (await client.callBuffer('EVAL', script.source(flags), keys.length, ...keys, ...args)) as unknown[];
  }
}

/** Integer from a script reply element (ioredis gives numbers for integer replies). */
export function int(value: unknown): number {
  if (typeof value === 'number') return value;
  if (Buffer.isBuffer(value)) return Number(value.toString());
  return Number(value ?? 0);
}
