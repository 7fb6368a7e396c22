/**
 * What a destructive run works on, once planned: exact keys, or keys matching a pattern, each
 * optionally under a condition decided on the server at action time (age for `clear-old`).
 */

/** When a matching key is acted on: always, when idle long enough, or when its timestamp is old enough. */
export type Condition = { mode: 'all' } | { mode: 'idle'; seconds: number } | { mode: 'field'; field: string; maxAgeMs: number; now: number } | TtlCondition;

/**
 * Not a delete: a key with no TTL (`missing`), a TTL above the policy (`above`), or either
 * (`both`) is given `ttlMs`, less up to `jitter` (0..1) of it, chosen by a hash of the key.
 */
export interface TtlCondition {
  mode: 'ttl';
  apply: 'missing' | 'above' | 'both';
  ttlMs: number;
  jitter: number;
}

export const ALWAYS: Condition = { mode: 'all' };

/** Exact keys (every placeholder bound) or a MATCH pattern, with a label that never holds values. */
export type Selection =
  | { kind: 'exact'; family?: string; label: string; keys: Buffer[] }
  | { kind: 'pattern'; family?: string; label: string; pattern: Buffer; condition?: Condition };
