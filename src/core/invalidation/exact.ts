/**
 * Deleting exact keys: one single-key UNLINK per key, sent concurrently (ioredis writes them back
 * to back, so they travel pipelined). On a cluster client each command routes to the node that owns
 * its slot; a multi-key UNLINK across slots would fail with CROSSSLOT, so there is none.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RedisClient } from '../../redis/connect.js';
import { FamilyMatcher } from '../families.js';

/** Keys an invalidation must never delete: queue keys and cachectl's own streams. */
export class KeyGuard {
  private readonly matcher: FamilyMatcher;
  private readonly reserved: Set<string>;

  constructor(config: CachectlConfig) {
    this.matcher = new FamilyMatcher([], config.queues.prefixes);
    const inv = config.invalidation;
    this.reserved = new Set([inv.stream, inv.deadLetterStream].map((name) => Buffer.from(name).toString('latin1')));
  }

  /** True when `key` must be left alone. */
  protects(key: Buffer): boolean {
    return this.matcher.isQueueKey(key) || this.reserved.has(key.toString('latin1'));
  }
}

/** Concurrent single-key commands in flight at most; bounds memory for huge exact selections. */
const CHUNK = 1000;

export interface ExactResult {
  /** Keys asked for (after the guard). */
  keys: number;
  /** Keys that existed and were removed. */
  deleted: number;
  /** Keys skipped by the guard (queue keys, cachectl's streams). */
  skipped: number;
}

/** UNLINK each key on its own; resolves once every key is gone. Rejects with the first raw error. */
export async function deleteExact(client: RedisClient, keys: Buffer[], guard: KeyGuard): Promise<ExactResult> {
  const allowed = keys.filter((key) => !guard.protects(key));
  let deleted = 0;
  for (let i = 0; i < allowed.length; i += CHUNK) {
    const replies = await Promise.all(allowed.slice(i, i + CHUNK).map((key) => client.unlink(key)));
    for (const n of replies) deleted += n;
  }
  return { keys: allowed.length, deleted, skipped: keys.length - allowed.length };
}
