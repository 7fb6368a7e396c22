/**
 * `createReader`: race-safe read-through for the key families. The first round trip reads the key
 * and, when it is absent, stores a lease in it (`SET NX GET`); a miss then runs the loader and fills
 * only while the lease is still there, so an invalidation that ran during the load is never undone
 * (docs/read-through.md).
 * Concurrent misses of one key share one loader call in this process; across processes, readers
 * that find another reader's lease poll for its value up to `waitMs`.
 * A hit of a remembered key costs a map lookup, one command and one await; string keys and values
 * travel as strings (see lease.ts).
 */
import type { CachectlConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import { displayKey } from '../display.js';
import { fromClient, type RedisClient, type RedisConnection } from '../../redis/connect.js';
import { stringCodec, type ReadCodec } from './codec.js';
import { ReadCounters, type ReadCounts } from './counters.js';
import {
  fillLease,
  HELD,
  isLease,
  leaseSource,
  looksLikeLease,
  probe,
  probeAfterError,
  probeCommand,
  releaseLease,
  type Probe,
  type ProbeState,
} from './lease.js';
import { Targets, type Profile } from './target.js';

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

/**
 * A loaded value: what was stored (joiners decode it) and, when `own`, the loader's value itself
 * for the read that ran the loader.
 */
interface Loaded {
  stored: string | Buffer;
  value: unknown;
  own: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const POLL_FIRST_MS = 2;
const POLL_MAX_MS = 50;
const asBytes = (stored: string | Buffer) => (typeof stored === 'string' ? Buffer.from(stored, 'utf8') : stored);

/** A key being loaded: its flight (string keys and Buffer keys have a map each) and profile. */
interface Target {
  key: string | Buffer;
  /** The key in its flight map: the string, or the Buffer's bytes as latin1. */
  id: string;
  flights: Map<string, Promise<Loaded>>;
  p: Profile;
}

/** A reader over `redis` for the families of `config`. */
export function createReader(config: CachectlConfig, redis: RedisConnection | RedisClient, options: ReaderOptions = {}): CacheReader {
  const connection = 'masters' in redis && 'wrapError' in redis ? redis : fromClient(redis);
  const client = connection.client;
  const counters = new ReadCounters();
  const targets = new Targets(config, counters, options.tenant);
  const textFlights = new Map<string, Promise<Loaded>>();
  const byteFlights = new Map<string, Promise<Loaded>>();
  const targetOf = (key: string | Buffer, p: Profile): Target =>
    typeof key === 'string' ? { key, id: key, flights: textFlights, p } : { key, id: key.toString('latin1'), flights: byteFlights, p };
  const nextLease = leaseSource();
  const probing: ProbeState = { mode: 'set' };
  const wrap = (error: unknown): never => {
    throw connection.wrapError(error);
  };

  const encode = <T>(codec: ReadCodec<T>, value: T, t: Target): string | Buffer => {
    const encoded = codec.encode(value);
    if (t.p.settings.leases && looksLikeLease(encoded)) {
      throw new UsageError(`the value loaded for ${displayKey(t.key)} starts with the lease marker bytes`, {
        hint: 'store it with a codec that adds a prefix',
      });
    }
    return encoded;
  };

  /** Run the loader under `lease` (or none) and fill; the loader's value is returned either way. */
  const loadAndFill = async <T>(t: Target, loader: () => T | Promise<T>, codec: ReadCodec<T>, lease: string | undefined): Promise<Loaded> => {
    t.p.counts.misses++;
    let value: T;
    let stored: string | Buffer;
    try {
      value = await loader();
      stored = encode(codec, value, t);
    } catch (error) {
      t.p.counts.loaderErrors++;
      if (lease !== undefined) await releaseLease(client, t.key, lease).catch(() => undefined);
      throw error;
    }
    if (!t.p.settings.leases) {
      await (t.p.ttlMs !== '0' ? client.set(t.key, stored, 'PX', t.p.ttlMs) : client.set(t.key, stored)).catch(wrap);
      t.p.counts.fills++;
    } else if (lease !== undefined) {
      let filled: boolean | undefined;
      try {
        filled = await fillLease(client, t.key, lease, stored, t.p.ttlMs);
      } catch (error) {
        // A server out of memory refuses the fill: the value is still good, only not cached.
        if (!/^OOM/.test(String((error as Error)?.message))) wrap(error);
        await releaseLease(client, t.key, lease).catch(() => undefined);
      }
      if (filled === true) t.p.counts.fills++;
      else if (filled === false) t.p.counts.staleFillsRefused++;
    }
    return { stored, value, own: true };
  };

  /** Another reader holds the lease (or none could be taken): wait for its value, else load without filling. */
  const waitFor = async <T>(t: Target, loader: () => T | Promise<T>, codec: ReadCodec<T>, seen: Buffer | null): Promise<Loaded> => {
    if (seen === null) return loadAndFill(t, loader, codec, undefined);
    const deadline = Date.now() + t.p.settings.waitMs;
    let current: Buffer | null = seen;
    let pause = POLL_FIRST_MS;
    for (;;) {
      if (current !== null && !isLease(current)) {
        t.p.counts.waits++;
        return { stored: current, value: undefined, own: false };
      }
      if (current === null) {
        const lease = nextLease();
        const again = await probe(client, probing, t.key, lease, t.p.leaseMs).catch(wrap);
        if (again.held) return loadAndFill(t, loader, codec, lease);
        if (again.current === null) return loadAndFill(t, loader, codec, undefined);
        current = again.current;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        t.p.counts.waitTimeouts++;
        return loadAndFill(t, loader, codec, undefined);
      }
      await sleep(Math.min(pause, left));
      pause = Math.min(pause * 2, POLL_MAX_MS);
      current = await client.getBuffer(t.key).catch(wrap);
    }
  };

  /** Await `flight` as the key's flight in this process (later misses of the key join it). */
  const settle = async <T>(t: Target, codec: ReadCodec<T>, flight: Promise<Loaded>): Promise<T> => {
    t.flights.set(t.id, flight);
    try {
      const loaded = await flight;
      return loaded.own ? (loaded.value as T) : codec.decode(asBytes(loaded.stored));
    } finally {
      if (t.flights.get(t.id) === flight) t.flights.delete(t.id);
    }
  };

  /** A read that joined the key's flight in this process gets its own copy of the value. */
  const join = async <T>(t: Target, codec: ReadCodec<T>, joined: Promise<Loaded>): Promise<T> => {
    const loaded = await joined;
    t.p.counts.waits++;
    return codec.decode(asBytes(loaded.stored));
  };

  /** Without leases: GET, and on a miss the loader and a plain SET (single flight in this process). */
  const readPlain = async <T>(t: Target, loader: () => T | Promise<T>, codec: ReadCodec<T>): Promise<T> => {
    const raw = await client.getBuffer(t.key).catch(wrap);
    if (raw !== null) {
      t.p.counts.hits++;
      return codec.decode(raw);
    }
    const joined = t.flights.get(t.id);
    if (joined) return join(t, codec, joined);
    return settle(t, codec, loadAndFill(t, loader, codec, undefined));
  };

  async function read<T>(input: string | Buffer, loader: () => T | Promise<T>, opts?: ReadOptions<T>): Promise<T> {
    let p = targets.cached(input, opts);
    const fresh = p === undefined;
    if (p === undefined) p = targets.resolve(input, opts);
    const codec = opts?.codec ?? (stringCodec as unknown as ReadCodec<T>);
    if (!p.settings.leases) return readPlain(targetOf(input, p), loader, codec);
    const lease = nextLease();
    let first: Probe | undefined;
    if (probing.mode === 'set') {
      // The hit path: one command, one await.
      let current: Buffer | null = null;
      try {
        current = await probeCommand(client, input, lease, p.leaseMs);
      } catch (error) {
        first = await probeAfterError(client, probing, error, input, lease, p.leaseMs).catch(wrap);
      }
      if (first === undefined) {
        if (current !== null && !isLease(current)) {
          p.counts.hits++;
          if (fresh) targets.keep(input, opts, p);
          return codec.decode(current);
        }
        first = current === null ? HELD : { held: false, current };
      }
    } else {
      first = await probe(client, probing, input, lease, p.leaseMs).catch(wrap);
    }
    if (!first.held && first.current !== null && !isLease(first.current)) {
      p.counts.hits++;
      if (fresh) targets.keep(input, opts, p);
      return codec.decode(first.current);
    }
    const t = targetOf(input, p);
    const joined = first.held ? undefined : t.flights.get(t.id);
    if (joined) return join(t, codec, joined);
    return settle(t, codec, first.held ? loadAndFill(t, loader, codec, lease) : waitFor(t, loader, codec, first.current));
  }

  return {
    read: read as CacheReader['read'],
    counts: () => counters.snapshot(),
    metrics: () => counters.render(),
  };
}
