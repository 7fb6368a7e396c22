/**
 * The maintenance lock: one key, SET NX PX with a value naming its holder and a random token,
 * renewed while the run lasts and released only by its holder (both compare-and-act in Lua), so
 * cron, a manual run and a second host never overlap.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { LockHeldError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { int, runScript } from '../scripts/index.js';

/** Who holds the lock (stored as JSON in the lock value). */
export interface LockHolder {
  token: string;
  host: string;
  pid: number;
  startedAt: string;
  runId?: string;
}

export interface AcquireOptions {
  /** Lock key (`ownKeys(config).lock`). */
  key: string;
  /** Time to live; renewed every third of it while held. */
  ttlMs: number;
  runId?: string;
  /** Called once if the lock is lost (taken over after expiry, or renewal impossible for a whole TTL). */
  onLost?: (reason: string) => void;
  /** Called after every successful renewal (for logs and tests). */
  onRenewed?: () => void;
  /** What the lock guards, for the "already running" message (default "maintenance"). */
  what?: string;
  /** The hint when the lock is held (default: about maintenance.lockTtlSeconds). */
  heldHint?: string;
}

/** A held lock. Stop renewing and release with `release()`. */
export interface HeldLock {
  readonly key: string;
  readonly holder: LockHolder;
  /** Why the lock was lost, or undefined while it is still ours. */
  readonly lost: string | undefined;
  /** Extend now; false when the lock is no longer ours. */
  renew(): Promise<boolean>;
  /** Stop renewing and delete the lock if it is still ours. Never throws; true when deleted. */
  release(): Promise<boolean>;
}

/**
 * Take the lock or throw `LockHeldError` naming the current holder. The returned lock renews
 * itself every `ttlMs / 3` until released.
 */
export async function acquireLock(connection: RedisConnection, options: AcquireOptions): Promise<HeldLock> {
  const key = options.key;
  const ttlMs = Math.max(1000, Math.round(options.ttlMs));
  const holder: LockHolder = {
    token: randomBytes(16).toString('hex'),
    host: os.hostname(),
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ...(options.runId ? { runId: options.runId } : {}),
  };
  const value = JSON.stringify(holder);
  const ok = await connection.client.set(key, value, 'PX', ttlMs, 'NX');
  if (ok !== 'OK') throw await heldError(connection, key, options);

  let lost: string | undefined;
  let released = false;
  let lastRenewal = Date.now();
  const markLost = (reason: string) => {
    if (lost !== undefined || released) return;
    lost = reason;
    clearInterval(timer);
    options.onLost?.(reason);
  };
  const renew = async (): Promise<boolean> => {
    if (lost !== undefined || released) return false;
    try {
      const result = await runScript(connection.client, 'lock-renew', false, [Buffer.from(key)], [value, String(ttlMs)]);
      if (int(result) === 1) {
        lastRenewal = Date.now();
        options.onRenewed?.();
        return true;
      }
      markLost('the lock expired and is gone or held by another run');
      return false;
    } catch (error) {
      // A blip is survivable; a whole TTL without renewal means another run may have taken over.
      if (Date.now() - lastRenewal >= ttlMs) markLost(`could not renew the lock for ${ttlMs} ms: ${(error as Error).message}`);
      return false;
    }
  };
  const timer = setInterval(() => void renew(), Math.max(200, Math.floor(ttlMs / 3)));
  timer.unref();

  return {
    key,
    holder,
    get lost() {
      return lost;
    },
    renew,
    async release() {
      if (released) return false;
      released = true;
      clearInterval(timer);
      try {
        return int(await runScript(connection.client, 'lock-release', false, [Buffer.from(key)], [value])) === 1;
      } catch {
        return false; // the server is gone: the lock expires by itself
      }
    },
  };
}

/** The current holder of the lock, if any (undefined when free or not ours to parse). */
export async function readLockHolder(connection: RedisConnection, key: string): Promise<(LockHolder & { ttlMs: number }) | undefined> {
  const [value, ttl] = await Promise.all([connection.client.get(key), connection.client.pttl(key)]);
  if (value === null) return undefined;
  try {
    const holder = JSON.parse(value) as LockHolder;
    return { ...holder, ttlMs: ttl };
  } catch {
    return { token: '', host: 'unknown', pid: 0, startedAt: '', ttlMs: ttl };
  }
}

async function heldError(connection: RedisConnection, key: string, options: Pick<AcquireOptions, 'what' | 'heldHint'>): Promise<LockHeldError> {
  const holder = await readLockHolder(connection, key).catch(() => undefined);
  const who = holder ? `${holder.host} pid ${holder.pid}, started ${holder.startedAt}` : 'another run';
  const expires = holder && holder.ttlMs > 0 ? `; expires in ${Math.ceil(holder.ttlMs / 1000)} s unless renewed` : '';
  return new LockHeldError(`${options.what ?? 'maintenance'} is already running (lock ${key} held by ${who}${expires})`, {
    hint: options.heldHint ?? 'wait for that run to finish; if its process is gone the lock expires by itself after maintenance.lockTtlSeconds',
  });
}
