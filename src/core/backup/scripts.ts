/**
 * When the backup scripts (`dump-keys.lua`, `restore-keys.lua`) can be used: everywhere
 * except a cluster before 7.0 (no `allow-cross-slot-keys`) or a user whose ACL forbids scripts.
 * Otherwise the per-key pipeline path is used; both give the same results.
 */
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../../redis/connect.js';
import { nodeFeatures } from '../../redis/features.js';

/** How a node is talked to: a script with or without the flags line, or a plain pipeline. */
export type NodeMode = { script: true; flags: boolean } | { script: false };

const modes = new WeakMap<Redis, Promise<NodeMode>>();

/** The mode for `node` (asked once per node object). */
export function nodeMode(connection: RedisConnection, node: Redis): Promise<NodeMode> {
  let mode = modes.get(node);
  if (!mode) {
    mode = nodeFeatures(node).then((features): NodeMode => {
      if (features.scriptFlags) return { script: true, flags: true };
      // Before 7.0 a script may not touch keys of several slots: only standalone can batch.
      return connection.mode === 'cluster' ? { script: false } : { script: true, flags: false };
    });
    mode.catch(() => modes.delete(node));
    modes.set(node, mode);
  }
  return mode;
}

/** Stop using scripts on `node` (the ACL denies EVAL/EVALSHA). */
export function disableScripts(node: Redis): void {
  modes.set(node, Promise.resolve({ script: false }));
}

/** Errors after which a batch is retried key by key instead of failing the run. */
export function isScriptFallback(error: unknown): boolean {
  return /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|CROSSSLOT|NOPERM)\b/.test(String((error as Error)?.message));
}
