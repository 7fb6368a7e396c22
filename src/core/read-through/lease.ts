/**
 * Leases stored in the cache key itself: a miss puts a marker (fixed prefix + token) in the key
 * before the loader runs, and the fill replaces it only while it is still the same marker. An
 * invalidation deletes the key, marker included, so it needs to know nothing about readers: every
 * delete path (exact, family, pattern, listen, clear-*) already honours the protocol.
 *
 * Markers and, for string keys and values, every argument of the probe and the fill are strings:
 * ioredis writes an all-string command as one string, while a single Buffer argument makes it
 * assemble the command from pieces (about a tenth of a hit's time on loopback); all-string
 * commands also skip ioredis's argument conversion (wire.ts).
 */
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../redis/connect.js';
import { int, runScript, script } from '../scripts/index.js';
import { sendStrings } from './wire.js';

/**
 * Every lease marker starts with this text: NUL, then U+FFFF (a noncharacter), then a name. JSON
 * never starts with NUL and text does not start with NUL + a noncharacter.
 */
export const LEASE_MARKER = '\u0000\uffffcachectl-lease:';
/** The marker's bytes as stored (UTF-8: 00 ef bf bf …). */
export const LEASE_PREFIX = Buffer.from(LEASE_MARKER, 'utf8');
const FIRST = LEASE_PREFIX[0]!;
const SECOND = LEASE_PREFIX[1]!;

/** True when a stored value is a lease marker rather than a cached value. */
export function isLease(raw: Buffer): boolean {
  // Values rarely start with NUL: two byte reads decide nearly every hit.
  return (
    raw.length >= LEASE_PREFIX.length &&
    raw[0] === FIRST &&
    raw[1] === SECOND &&
    raw.compare(LEASE_PREFIX, 0, LEASE_PREFIX.length, 0, LEASE_PREFIX.length) === 0
  );
}

/** True when a value about to be stored (text or bytes) would read back as a lease marker. */
export function looksLikeLease(value: string | Buffer): boolean {
  return typeof value === 'string' ? value.charCodeAt(0) === 0 && value.startsWith(LEASE_MARKER) : isLease(value);
}

/** Lease markers of one reader: the marker, a random id of the reader, then a sequence number. */
export function leaseSource(): () => string {
  const own = `${LEASE_MARKER}${randomBytes(9).toString('base64url')}:`;
  let sequence = 0;
  return () => own + ++sequence;
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
 * The first round trip of every read: `SET key lease PX ms NX GET` (a hit writes nothing; the reply
 * is the value, or null when the lease was taken). `leaseMs` is passed as text, as ioredis would
 * turn it into. Errors are the caller's: see `probeAfterError`.
 */
export function probeCommand(client: RedisClient, key: string | Buffer, lease: string, leaseMs: string): Promise<Buffer | null> {
  if (typeof key !== 'string') return client.setBuffer(key, lease, 'PX', leaseMs, 'NX', 'GET');
  return sendStrings(client, 'set', [key, lease, 'PX', leaseMs, 'NX', 'GET']) as Promise<Buffer | null>;
}

/**
 * The probe, again, after `probeCommand` failed with `error`: a server out of memory rejects any
 * SET (a plain GET answers); an older server rejects `NX GET` (the reader switches, once, to GET
 * then the lease-take script). Anything else is rethrown.
 */
export async function probeAfterError(
  client: RedisClient,
  state: ProbeState,
  error: unknown,
  key: string | Buffer,
  lease: string,
  leaseMs: string,
): Promise<Probe> {
  const message = String((error as Error)?.message);
  if (/^OOM/.test(message)) return { held: false, current: await client.getBuffer(key) };
  if (!/syntax error/i.test(message)) throw error;
  state.mode = 'script';
  return probeByScript(client, key, lease, leaseMs);
}

/** The probe found the key absent and stored the caller's lease. */
export const HELD: Probe = { held: true };

/** The probe in the reader's current mode (`SET … NX GET`, or GET + script on older servers). */
export async function probe(client: RedisClient, state: ProbeState, key: string | Buffer, lease: string, leaseMs: string): Promise<Probe> {
  if (state.mode === 'script') return probeByScript(client, key, lease, leaseMs);
  let current: Buffer | null;
  try {
    current = await probeCommand(client, key, lease, leaseMs);
  } catch (error) {
    return probeAfterError(client, state, error, key, lease, leaseMs);
  }
  return current === null ? HELD : { held: false, current };
}

/** The probe on a server without `SET … NX GET`: GET, then the lease-take script on a miss. */
export async function probeByScript(client: RedisClient, key: string | Buffer, lease: string, leaseMs: string): Promise<Probe> {
  const current = await client.getBuffer(key);
  if (current !== null) return { held: false, current };
  const reply = await runScript(client, 'lease-take', false, [bytes(key)], [lease, leaseMs]);
  return int(reply[0]) === 1 ? HELD : { held: false, current: reply[1] as Buffer };
}

/**
 * Replace `lease` with `value` (expiry `ttlMs`, "0" = none); false when the lease is gone (refused).
 * EVALSHA with every argument as given; EVAL only when the server lacks the script.
 */
export async function fillLease(client: RedisClient, key: string | Buffer, lease: string, value: string | Buffer, ttlMs: string): Promise<boolean> {
  const fill = script('lease-fill');
  let reply: unknown;
  try {
    const sha = fill.sha(false);
    reply = await (typeof key === 'string' && typeof value === 'string'
      ? sendStrings(client, 'evalsha', [sha, '1', key, lease, value, ttlMs])
      : client.evalsha(sha, '1', key, lease, value, ttlMs));
  } catch (error) {
    if (!/^NOSCRIPT/.test(String((error as Error)?.message))) throw error;
    reply = await client.eval(fill.source(false), '1', key, lease, value, ttlMs);
  }
  return int(reply) === 1;
}

/** Delete the key only while it still holds `lease` (a failed loader gives its lease back). */
export async function releaseLease(client: RedisClient, key: string | Buffer, lease: string): Promise<void> {
  await runScript(client, 'lock-release', false, [bytes(key)], [lease]);
}

function bytes(key: string | Buffer): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}
