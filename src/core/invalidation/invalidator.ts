/**
 * The in-process invalidator a service embeds: `handle(event)` after it processes a message,
 * `invalidate(family, values)` after it writes. With `failSafe: true` an invalidation failure never
 * breaks message processing: it is logged, counted and handed to `onError`, never swallowed silently.
 */
import type { CachectlConfig } from '../../config/load.js';
import { CachectlError } from '../../errors.js';
import { fromClient, type RedisClient, type RedisConnection } from '../../redis/connect.js';
import type { FamilyValues } from '../families.js';
import { InvalidationEngine, type ApplyResult, type InvalidationStats } from './engine.js';
import type { InvalidationEvent } from './event.js';
import type { PassReport } from './pattern-pass.js';

/** Minimal logger: `console`, pino, winston and the like all fit. */
export interface InvalidatorLogger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn?(message: string, meta?: Record<string, unknown>): void;
  debug?(message: string, meta?: Record<string, unknown>): void;
}

export interface InvalidatorOptions {
  /**
   * `true`: never reject; failures are logged, counted (`stats().failures`) and passed to `onError`,
   * and the call resolves with `{ ok: false, error }`. `false` (default): reject with a `CachectlError`.
   */
  failSafe?: boolean;
  onError?: (error: CachectlError, context: { event?: InvalidationEvent; family?: string }) => void;
  logger?: InvalidatorLogger;
  /** A second connection for keyspace passes, so exact deletes never queue behind a pass. */
  passConnection?: RedisConnection | RedisClient;
  /** Observe each pattern pass (pattern count, keys examined / deleted, duration). */
  onPass?: (report: PassReport) => void;
  /** Called as a pass starts (before it snapshots nothing else: requests made now join the next pass). */
  onPassStart?: (pass: number, patterns: number) => void;
}

/** The result of one `handle` / `invalidate` call. */
export interface HandleResult extends ApplyResult {
  ok: boolean;
  /** Set when `ok` is false (fail-safe mode). */
  error?: CachectlError;
}

export interface Invalidator {
  /** Apply the rules for `event`; resolves once every key it names is gone. */
  handle(event: InvalidationEvent): Promise<HandleResult>;
  /** Invalidate a family with placeholder values (absent placeholder = any value; undefined = error). */
  invalidate(family: string, values: FamilyValues): Promise<HandleResult>;
  /** Wait until no pattern pass is pending or running. */
  flush(): Promise<void>;
  stats(): InvalidationStats;
  /** Finish pending passes, then refuse further calls. Never closes a connection it was given. */
  close(): Promise<void>;
}

/** Wrap a connection or a plain ioredis client. */
export function asConnection(redis: RedisConnection | RedisClient): RedisConnection {
  return 'masters' in redis && 'wrapError' in redis ? redis : fromClient(redis);
}

/** Create an invalidator over `redis` (a `RedisConnection` or an ioredis `Redis` / `Cluster`). */
export function createInvalidator(config: CachectlConfig, redis: RedisConnection | RedisClient, options: InvalidatorOptions = {}): Invalidator {
  const connection = asConnection(redis);
  const engine = new InvalidationEngine(config, connection, {
    ...(options.passConnection ? { passConnection: asConnection(options.passConnection) } : {}),
    ...(options.onPass ? { onPass: options.onPass } : {}),
    ...(options.onPassStart ? { onPassStart: options.onPassStart } : {}),
  });
  let closed = false;

  const guarded = async (work: () => Promise<ApplyResult>, context: { event?: InvalidationEvent; family?: string }): Promise<HandleResult> => {
    try {
      if (closed) {
        engine.noteFailure();
        throw new CachectlError('The invalidator is closed', { hint: 'create a new one with createInvalidator()' });
      }
      return { ok: true, ...(await work()) };
    } catch (raw) {
      const error = raw instanceof CachectlError ? raw : connection.wrapError(raw);
      if (!options.failSafe) throw error;
      report(error, context);
      return { ok: false, matched: false, exactKeys: 0, patterns: 0, deleted: 0, error };
    }
  };

  const report = (error: CachectlError, context: { event?: InvalidationEvent; family?: string }): void => {
    const what = context.event ? `event ${String(context.event.type)}` : `family ${context.family}`;
    try {
      options.logger?.error(`cachectl: invalidation of ${what} failed: ${error.message}`, { code: error.code, ...(error.hint ? { hint: error.hint } : {}) });
      options.onError?.(error, context);
    } catch {
      // a throwing logger or callback must not break the caller either
    }
  };

  return {
    handle: (event) => guarded(() => engine.apply(event), { event }),
    invalidate: (family, values) => guarded(() => engine.invalidate(family, values), { family }),
    flush: () => engine.passes.idle(),
    stats: () => engine.stats(),
    close: async () => {
      closed = true;
      await engine.passes.idle();
    },
  };
}
