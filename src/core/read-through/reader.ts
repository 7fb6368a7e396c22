/**
 * `createReader`: race-safe read-through for the key families. The first round trip reads the key
 * and, when it is absent, stores a lease in it (`SET NX GET`); a miss then runs the loader and fills
 * only while the lease is still there, so an invalidation that ran during the load is never undone
 * (docs/read-through.md).
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
import { fillLease, isLease, leaseSource, probe, releaseLease, type ProbeState } from './lease.js';

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
  /** The key as a latin1 string (the single-flight map's key). */
  id: string;
  family: string;
  settings: ReadThroughConfig;
  ttlMs: number;
}

interface Resolved {
  family: Family;
  settings: ReadThroughConfig;
}

/** A loaded value: the bytes (what joiners decode) and, for the caller that loaded, the value itself. */
interface Loaded {
  raw: Buffer;
  value?: unknown;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const POLL_FIRST_MS = 2;
const POLL_MAX_MS = 50;
/** Keys whose target (family, settings, TTL) is remembered, then forgotten all at once: cheap to redo. */
const TARGET_CACHE = 10_000;

/** A reader over `redis` for the families of `config`. */
export function createReader(config: CachectlConfig, redis: RedisConnection | RedisClient, options: ReaderOptions = {}): CacheReader {
  const connection = 'masters' in redis && 'wrapError' in redis ? redis : fromClient(redis);
  const client = connection.client;
  const matcher = new FamilyMatcher(Object.values(config.families));
  const guard = new KeyGuard(config, options.tenant !== undefined ? { tenant: options.tenant } : {});
  const counters = new ReadCounters();
  const inflight = new Map<string, Promise<Loaded>>();
  const targetOf = new Map<string, Target>();
  const settingsOf = new Map<string, ReadThroughConfig>();
  const nextLease = leaseSource();
  const probing: ProbeState = { mode: 'set' };
  const wrap = (error: unknown) => {
    throw connection.wrapError(error);
  };

  const resolve = (key: Buffer, name: string | undefined): Resolved => {
    const protection = guard.protection(key);
    if (protection) {
      const where =
        protection === 'outside' ? `outside tenant "${options.tenant}"` : protection === 'queue' ? 'under a queue prefix' : "in cachectl's own namespace";
      throw new UsageError(`key ${displayKey(key)} is ${where}`, { hint: 'read-through reads cache families only' });
    }
    name ??= matcher.familyOf(key);
    const family = name !== undefined && Object.hasOwn(config.families, name) ? config.families[name] : undefined;
    if (!family) {
      throw new UsageError(name === undefined ? `key ${displayKey(key)} belongs to no family` : `family "${name}" does not exist`, {
        hint: `pass { family } or configure a family whose template matches the key (families: ${Object.keys(config.families).join(', ') || 'none'})`,
      });
    }
    let settings = settingsOf.get(family.name);
    if (!settings) settingsOf.set(family.name, (settings = readThroughSchema.parse(family.readThrough ?? {})));
    return { family, settings };
  };

  const target = (input: string | Buffer, opts: ReadOptions<unknown>): Target => {
    // Hot keys skip the family lookup and the key's conversion (a hit costs little besides its round trip).
    const id = typeof input === 'string' && opts.ttlSeconds === undefined ? (opts.family === undefined ? input : `${opts.family}\u0000${input}`) : undefined;
    const known = id === undefined ? undefined : targetOf.get(id);
    if (known) return known;
    const key = Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8');
    const { family, settings } = resolve(key, opts.family);
    const ttlSeconds = opts.ttlSeconds ?? family.ttlSeconds;
    if (ttlSeconds !== undefined && !(Number.isFinite(ttlSeconds) && ttlSeconds > 0)) {
      throw new UsageError(`ttlSeconds must be a positive number, got ${ttlSeconds}`, { hint: 'leave it out to use the family TTL' });
    }
    const ttlMs = ttlSeconds === undefined ? 0 : Math.max(1, Math.round(ttlSeconds * 1000));
    const t = { key, id: key.toString('latin1'), family: family.name, settings, ttlMs };
    if (id !== undefined) {
      if (targetOf.size >= TARGET_CACHE) targetOf.clear();
      targetOf.set(id, t);
    }
    return t;
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
    counters.add(t.family, 'misses');
    let value: T;
    let raw: Buffer;
    try {
      value = await loader();
      raw = encode(codec, value, t);
    } catch (error) {
      counters.add(t.family, 'loaderErrors');
      if (lease) await releaseLease(client, t.key, lease).catch(() => undefined);
      throw error;
    }
    if (!t.settings.leases) {
      await (t.ttlMs > 0 ? client.set(t.key, raw, 'PX', t.ttlMs) : client.set(t.key, raw)).catch(wrap);
      counters.add(t.family, 'fills');
    } else if (lease) {
      const filled = await fillLease(client, t.key, lease, raw, t.ttlMs).catch(async (error: unknown) => {
        // A server out of memory refuses the fill: the value is still good, only not cached.
        if (!/^OOM/.test(String((error as Error)?.message))) wrap(error);
        await releaseLease(client, t.key, lease).catch(() => undefined);
        return undefined;
      });
      if (filled !== undefined) counters.add(t.family, filled ? 'fills' : 'staleFillsRefused');
    }
    return { raw, value };
  };

  /** Another reader holds the lease (or none could be taken): wait for its value, else load without filling. */
  const waitFor = async <T>(t: Target, loader: () => T | Promise<T>, codec: ReadCodec<T>, seen: Buffer | null): Promise<Loaded> => {
    if (seen === null) return loadAndFill(t, loader, codec, undefined);
    const deadline = Date.now() + t.settings.waitMs;
    let current: Buffer | null = seen;
    let pause = POLL_FIRST_MS;
    for (;;) {
      if (current !== null && !isLease(current)) {
        counters.add(t.family, 'waits');
        return { raw: current };
      }
      if (current === null) {
        const lease = nextLease();
        const again = await probe(client, probing, t.key, lease, t.settings.leaseMs).catch(wrap);
        if (again.held) return loadAndFill(t, loader, codec, lease);
        if (again.current === null) return loadAndFill(t, loader, codec, undefined);
        current = again.current;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        counters.add(t.family, 'waitTimeouts');
        return loadAndFill(t, loader, codec, undefined);
      }
      await sleep(Math.min(pause, left));
      pause = Math.min(pause * 2, POLL_MAX_MS);
      current = await client.getBuffer(t.key).catch(wrap);
    }
  };

  /** Run `load` as the key's flight in this process (later misses of the key join it). */
  const fly = (t: Target, load: () => Promise<Loaded>): Promise<Loaded> => {
    const flight = load();
    inflight.set(t.id, flight);
    const forget = () => {
      if (inflight.get(t.id) === flight) inflight.delete(t.id);
    };
    flight.then(forget, forget);
    return flight;
  };

  /** A read that joined the key's flight in this process gets its own copy of the value. */
  const joinedValue = async <T>(t: Target, codec: ReadCodec<T>, joined: Promise<Loaded>): Promise<T> => {
    const loaded = await joined;
    counters.add(t.family, 'waits');
    return codec.decode(loaded.raw);
  };

  async function read<T>(input: string | Buffer, loader: () => T | Promise<T>, opts: ReadOptions<T> = {}): Promise<T> {
    const t = target(input, opts as ReadOptions<unknown>);
    const codec = opts.codec ?? (stringCodec as unknown as ReadCodec<T>);
    let loaded: Loaded;
    if (!t.settings.leases) {
      const raw = await client.getBuffer(t.key).catch(wrap);
      if (raw !== null) {
        counters.add(t.family, 'hits');
        return codec.decode(raw);
      }
      const joined = inflight.get(t.id);
      if (joined) return joinedValue(t, codec, joined);
      loaded = await fly(t, () => loadAndFill(t, loader, codec, undefined));
    } else {
      const lease = nextLease();
      const first = await probe(client, probing, t.key, lease, t.settings.leaseMs).catch(wrap);
      if (!first.held && first.current !== null && !isLease(first.current)) {
        counters.add(t.family, 'hits');
        return codec.decode(first.current);
      }
      const joined = first.held ? undefined : inflight.get(t.id);
      if (joined) return joinedValue(t, codec, joined);
      if (first.held) loaded = await fly(t, () => loadAndFill(t, loader, codec, lease));
      else loaded = await fly(t, () => waitFor(t, loader, codec, first.current));
    }
    return 'value' in loaded ? (loaded.value as T) : codec.decode(loaded.raw);
  }

  return {
    read: read as CacheReader['read'],
    counts: () => counters.snapshot(),
    metrics: () => counters.render(),
  };
}
