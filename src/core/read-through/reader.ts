/**
 * `createReader`: race-safe read-through for the key families. A hit is one plain GET. A miss takes
 * a lease stored in the key (one extra round trip), runs the loader, and fills only while the lease
 * is still there, so an invalidation that ran during the load is never undone (docs/read-through.md).
 * Concurrent misses of one key share one loader call in this process; across processes, readers
 * that find another reader's lease poll for its value up to `waitMs`.
 */
import type { CachectlConfig, Family } from '../../config/load.js';
import { readThroughSchema, type ReadThroughConfig } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { displayKey } from '../display.js';
import { FamilyMatcher } from '../families.js';
import { KeyGuard } from '../guard.js';
import { fromClient, type RedisClient, type RedisConnection } from '../../redis/connect.js';
import { stringCodec, type ReadCodec } from './codec.js';
import { ReadCounters, type ReadCounts } from './counters.js';
import { fillLease, isLease, newLease, releaseLease, takeLease } from './lease.js';

export interface ReadOptions<T> {
  /** The key's family (default: the first family whose template matches the key). */
  family?: string;
  /** Expiry of the filled value in seconds (default: the family's `ttlSeconds`; none when neither). */
  ttlSeconds?: number;
  /** How values are stored (default: UTF-8 strings). */
  codec?: ReadCodec<T>;
}

export interface ReaderOptions {
  /** Only keys under `tenant:<tenant>:` may be read (like a tenant-restricted `CacheManager`). */
  tenant?: string;
}

export interface CacheReader {
  /** The cached value of `key`, or the loader's (stored unless the key was invalidated meanwhile). */
  read(key: string | Buffer, loader: () => string | Promise<string>, options?: Omit<ReadOptions<string>, 'codec'>): Promise<string>;
  read<T>(key: string | Buffer, loader: () => T | Promise<T>, options: ReadOptions<T> & { codec: ReadCodec<T> }): Promise<T>;
  /** Per-family counts since the reader was created. */
  counts(): Record<string, ReadCounts>;
  /** The counts in the Prometheus text exposition format (for the service's own /metrics). */
  metrics(): string;
}

interface Target {
  key: Buffer;
  family: Family;
  settings: ReadThroughConfig;
  ttlMs: number;
}

/** A loaded value: the bytes (what joiners decode) and, for the caller that loaded, the value itself. */
interface Loaded {
  raw: Buffer;
  value?: unknown;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const POLL_FIRST_MS = 2;
const POLL_MAX_MS = 50;

/** A reader over `redis` for the families of `config`. */
export function createReader(config: CachectlConfig, redis: RedisConnection | RedisClient, options: ReaderOptions = {}): CacheReader {
  const connection = 'masters' in redis && 'wrapError' in redis ? redis : fromClient(redis);
  const client = connection.client;
  const matcher = new FamilyMatcher(Object.values(config.families));
  const guard = new KeyGuard(config, options.tenant !== undefined ? { tenant: options.tenant } : {});
  const counters = new ReadCounters();
  const inflight = new Map<string, Promise<Loaded>>();
  const settingsOf = new Map<string, ReadThroughConfig>();

  const target = (input: string | Buffer, opts: ReadOptions<unknown>): Target => {
    const key = Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8');
    const protection = guard.protection(key);
    if (protection) {
      const where =
        protection === 'outside' ? `outside tenant "${options.tenant}"` : protection === 'queue' ? 'under a queue prefix' : "in cachectl's own namespace";
      throw new UsageError(`key ${displayKey(key)} is ${where}`, { hint: 'read-through reads cache families only' });
    }
    const name = opts.family ?? matcher.familyOf(key);
    const family = name !== undefined && Object.hasOwn(config.families, name) ? config.families[name] : undefined;
    if (!family) {
      throw new UsageError(name === undefined ? `key ${displayKey(key)} belongs to no family` : `family "${name}" does not exist`, {
        hint: `pass { family } or configure a family whose template matches the key (families: ${Object.keys(config.families).join(', ') || 'none'})`,
      });
    }
    let settings = settingsOf.get(family.name);
    if (!settings) settingsOf.set(family.name, (settings = readThroughSchema.parse(family.readThrough ?? {})));
    const ttlSeconds = opts.ttlSeconds ?? family.ttlSeconds;
    if (ttlSeconds !== undefined && !(Number.isFinite(ttlSeconds) && ttlSeconds > 0)) {
      throw new UsageError(`ttlSeconds must be a positive number, got ${ttlSeconds}`, { hint: 'leave it out to use the family TTL' });
    }
    return { key, family, settings, ttlMs: ttlSeconds === undefined ? 0 : Math.max(1, Math.round(ttlSeconds * 1000)) };
  };

  const redisCall = async <R>(work: () => Promise<R>): Promise<R> => {
    try {
      return await work();
    } catch (error) {
      throw connection.wrapError(error);
    }
  };

  const encode = <T>(codec: ReadCodec<T>, value: T, t: Target): Buffer => {
    const encoded = codec.encode(value);
    const raw = Buffer.isBuffer(encoded) ? encoded : Buffer.from(encoded, 'utf8');
    if (t.settings.leases && isLease(raw)) {
      throw new UsageError(`the value loaded for ${displayKey(t.key)} starts with the lease marker bytes`, {
        hint: 'store it with a codec that adds a prefix',
      });
    }
    return raw;
  };

  /** Run the loader under `lease` (or none) and fill; the loader's value is returned either way. */
  const loadAndFill = async <T>(t: Target, loader: () => T | Promise<T>, codec: ReadCodec<T>, lease: Buffer | undefined): Promise<Loaded> => {
    const family = t.family.name;
    counters.add(family, 'misses');
    let value: T;
    let raw: Buffer;
    try {
      value = await loader();
      raw = encode(codec, value, t);
    } catch (error) {
      counters.add(family, 'loaderErrors');
      if (lease) await releaseLease(client, t.key, lease).catch(() => undefined);
      throw error;
    }
    if (!t.settings.leases) {
      await redisCall(() => (t.ttlMs > 0 ? client.set(t.key, raw, 'PX', t.ttlMs) : client.set(t.key, raw)));
      counters.add(family, 'fills');
    } else if (lease) {
      counters.add(family, (await redisCall(() => fillLease(client, t.key, lease, raw, t.ttlMs))) ? 'fills' : 'staleFillsRefused');
    }
    return { raw, value };
  };

  /** The lease protocol from a miss (or another reader's lease) seen by the first GET. */
  const leased = async <T>(t: Target, loader: () => T | Promise<T>, codec: ReadCodec<T>, seen: Buffer | null): Promise<Loaded> => {
    const deadline = Date.now() + t.settings.waitMs;
    let current = seen;
    let pause = POLL_FIRST_MS;
    for (;;) {
      if (current === null) {
        const lease = newLease();
        const taken = await redisCall(() => takeLease(client, t.key, lease, t.settings.leaseMs));
        if (taken.held) return loadAndFill(t, loader, codec, lease);
        current = taken.current;
      }
      if (!isLease(current)) {
        counters.add(t.family.name, 'waits');
        return { raw: current };
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        counters.add(t.family.name, 'waitTimeouts');
        return loadAndFill(t, loader, codec, undefined);
      }
      await sleep(Math.min(pause, left));
      pause = Math.min(pause * 2, POLL_MAX_MS);
      current = await redisCall(() => client.getBuffer(t.key));
    }
  };

  async function read<T>(input: string | Buffer, loader: () => T | Promise<T>, opts: ReadOptions<T> = {}): Promise<T> {
    const t = target(input, opts as ReadOptions<unknown>);
    const codec = opts.codec ?? (stringCodec as unknown as ReadCodec<T>);
    const raw = await redisCall(() => client.getBuffer(t.key));
    if (raw !== null && !(t.settings.leases && isLease(raw))) {
      counters.add(t.family.name, 'hits');
      return codec.decode(raw);
    }
    const id = t.key.toString('latin1');
    const joined = inflight.get(id);
    if (joined) {
      const loaded = await joined;
      counters.add(t.family.name, 'waits');
      return codec.decode(loaded.raw);
    }
    const flight = t.settings.leases ? leased(t, loader, codec, raw) : loadAndFill(t, loader, codec, undefined);
    inflight.set(id, flight);
    const forget = () => {
      if (inflight.get(id) === flight) inflight.delete(id);
    };
    flight.then(forget, forget);
    const loaded = await flight;
    return 'value' in loaded ? (loaded.value as T) : codec.decode(loaded.raw);
  }

  return {
    read: read as CacheReader['read'],
    counts: () => counters.snapshot(),
    metrics: () => counters.render(),
  };
}
