/**
 * Leases stored in the cache key itself: a miss puts a marker (fixed prefix + token) in the key
 * before the loader runs, and the fill replaces it only while it is still the same marker. An
 * invalidation deletes the key, marker included, so it needs to know nothing about readers: every
 * delete path (exact, family, pattern, listen, clear-*) already honours the protocol.
 */
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../redis/connect.js';
import { int, runScript } from '../scripts/index.js';

/** Every lease marker starts with these bytes; `\0\xff` never starts UTF-8 text or JSON. */
export const LEASE_PREFIX = Buffer.from('\u0000\u00ffcachectl-lease:', 'latin1');

/** True when a stored value is a lease marker rather than a cached value. */
export function isLease(raw: Buffer): boolean {
  return raw.length >= LEASE_PREFIX.length && raw.compare(LEASE_PREFIX, 0, LEASE_PREFIX.length, 0, LEASE_PREFIX.length) === 0;
}

/** Lease markers of one reader: a random id of the reader, then a sequence number. */
export function leaseSource(): () => Buffer {
  const own = Buffer.concat([LEASE_PREFIX, Buffer.from(`${randomBytes(9).toString('base64url')}:`, 'latin1')]);
  let sequence = 0;
  return () => Buffer.concat([own, Buffer.from(String(++sequence), 'latin1')]);
}

/**
 * What the first round trip of a read found: `held` when the key was absent and now holds the
 * caller's lease; otherwise the bytes in the key (a value or another reader's lease), or null when
 * the key is absent but no lease could be taken (a server refusing writes: load without filling).
 */
export type Probe = { held: true } | { held: false; current: Buffer | null };

/** How a reader probes: `SET NX GET` (Redis / Valkey >= 7.0, one native command) or GET + script. */
export interface ProbeState {
  mode: 'set' | 'script';
}

/**
 * Read the key and take the lease if it is absent, in one round trip where the server allows
 * (`SET key lease PX ms NX GET`: a hit writes nothing); GET, then the lease-take script, on older
 * servers. A server out of memory rejects any SET: then a plain GET answers.
 */
export function probe(client: RedisClient, state: ProbeState, key: Buffer, lease: Buffer, leaseMs: number): Promise<Probe> {
  if (state.mode === 'script') return probeByScript(client, key, lease, leaseMs);
  return client.setBuffer(key, lease, 'PX', leaseMs, 'NX', 'GET').then(
    (current): Probe => (current === null ? HELD : { held: false, current }),
    async (error: unknown): Promise<Probe> => {
      const message = String((error as Error)?.message);
      if (/^OOM/.test(message)) return { held: false, current: await client.getBuffer(key) };
      if (!/syntax error/i.test(message)) throw error;
      state.mode = 'script';
      return probeByScript(client, key, lease, leaseMs);
    },
  );
}

const HELD: Probe = { held: true };

async function probeByScript(client: RedisClient, key: Buffer, lease: Buffer, leaseMs: number): Promise<Probe> {
  const current = await client.getBuffer(key);
  return current === null ? takeLease(client, key, lease, leaseMs) : { held: false, current };
}

/** Store `lease` in `key` if the key is absent (the lease-take script). */
export async function takeLease(client: RedisClient, key: Buffer, lease: Buffer, leaseMs: number): Promise<Probe> {
  const reply = await runScript(client, 'lease-take', false, [key], [lease, leaseMs]);
  return int(reply[0]) === 1 ? HELD : { held: false, current: reply[1] as Buffer };
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
