/**
 * Leases stored in the cache key itself: a miss puts a marker (fixed prefix + random token) in the
 * key before the loader runs, and the fill replaces it only while it is still the same marker. An
 * invalidation deletes the key, marker included, so it needs to know nothing about readers: every
 * delete path (exact, family, pattern, listen, clear-*) already honours the protocol.
 */
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../redis/connect.js';
import { int, runScript } from '../scripts/index.js';

/** Every lease marker starts with these bytes; `\0\xff` never starts UTF-8 text or JSON. */
export const LEASE_PREFIX = Buffer.from('\u0000\u00ffcachectl-lease:', 'latin1');

/** A new marker with a token no other reader has. */
export function newLease(): Buffer {
  return Buffer.concat([LEASE_PREFIX, Buffer.from(randomBytes(12).toString('hex'), 'latin1')]);
}

/** True when a stored value is a lease marker rather than a cached value. */
export function isLease(raw: Buffer): boolean {
  return raw.length >= LEASE_PREFIX.length && raw.subarray(0, LEASE_PREFIX.length).equals(LEASE_PREFIX);
}

/** The miss step's reply: the caller holds the lease now, or the key holds `current`. */
export type TakeResult = { held: true } | { held: false; current: Buffer };

/** Store `lease` in `key` if the key is absent (one round trip). */
export async function takeLease(client: RedisClient, key: Buffer, lease: Buffer, leaseMs: number): Promise<TakeResult> {
  const reply = await runScript(client, 'lease-take', false, [key], [lease, leaseMs]);
  return int(reply[0]) === 1 ? { held: true } : { held: false, current: reply[1] as Buffer };
}

/** Replace `lease` with `value` (expiry `ttlMs`, 0 = none); false when the lease is gone (refused). */
export async function fillLease(client: RedisClient, key: Buffer, lease: Buffer, value: Buffer, ttlMs: number): Promise<boolean> {
  const reply: unknown = await runScript(client, 'lease-fill', false, [key], [lease, value, ttlMs]);
  return int(reply) === 1;
}

/** Delete the key only while it still holds `lease` (a failed loader gives its lease back). */
export async function releaseLease(client: RedisClient, key: Buffer, lease: Buffer): Promise<void> {
  await runScript(client, 'lock-release', false, [key], [lease]);
}
