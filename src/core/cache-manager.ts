/**
 * `CacheManager`: the library facade a service imports. Each method delegates to an operation
 * function with this manager's connection and configuration, so other areas (stats, queues,
 * maintenance) extend it by adding methods the same way. The static methods keep the earlier
 * `clear-cache.js` API (`CacheManager.clearAllCaches()` …) working: connect, run, close.
 */
import type { Cluster, Redis } from 'ioredis';
import { loadConfig, resolveConfig, type CachectlConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { connect, fromClient, type RedisConnection } from '../redis/connect.js';
import { connectionOptionsFrom } from '../redis/from-config.js';
import type { FamilyValues } from './families.js';
import type { RunSummary } from './keyspace/summary.js';
import { clearAll, type ClearAllOptions } from './operations/clear-all.js';
import { clearOld, type ClearOldOptions } from './operations/clear-old.js';
import { clearUser, type ClearUserOptions, type ClearUserSummary } from './operations/clear-user.js';
import type { ClearOptions, OperationContext } from './operations/execute.js';
import { invalidateConversation, invalidateFamily, invalidatePattern, planFamily, planPattern, type ConversationOptions } from './operations/invalidate.js';
import { countKeys, listKeys, type KeysOptions, type ListedKey } from './operations/keys.js';
import { backup, restore, type BackupOptions, type BackupSummary, type BackupTarget, type RestoreOptions, type RestoreResult } from './backup/index.js';
import { runDoctor, type DoctorOptions, type DoctorResult } from './doctor/index.js';
import { runMaintenance, type MaintenanceOutcome } from './maintenance/run.js';
import { defaultSteps } from './maintenance/steps.js';
import { clearQueuesAfterCaches, type ClearQueuesOptions, type ClearQueuesResult } from './queues/clear-all.js';
import { cleanQueue, type CleanOptions, type CleanResult } from './queues/clean.js';
import { resolveQueue } from './queues/bull.js';
import { inspectQueue, type InspectOptions, type QueueInspection } from './queues/inspect.js';
import { listQueues, type QueueSummary } from './queues/list.js';
import { collectStats, type StatsOptions, type StatsResult } from './stats/index.js';

/** `clearAllCaches` options: the cache part, plus the earlier `clearQueueJobs`. */
export interface ClearAllCachesOptions extends ClearAllOptions {
  /** Also clear queues after the families (see `clearAllCaches`). */
  clearQueueJobs?: boolean;
  /** For the queue part: which queues, where backups go (default `<logs.dir>/backups`)… */
  queueOptions?: Omit<ClearQueuesOptions, 'dryRun' | 'signal'>;
}

export interface CacheManagerOptions {
  /** A connection made with `connect()` / `fromClient()`; the manager does not close it. */
  connection?: RedisConnection;
  /** An ioredis client your service already has; the manager does not close it. */
  redis?: Redis | Cluster;
  /**
   * Resolved config, or a config object validated like a config file. Default: `loadConfig()`
   * (REDIS_URL / REDIS_PASSWORD, and CACHECTL_CONFIG or ./cachectl.config.json).
   */
  config?: CachectlConfig | ConfigInput;
}

/** What `keys()` selects: a family with values, or a raw glob. */
export type KeysTarget = { family: string; values?: FamilyValues; scanTenants?: boolean } | { pattern: string | Buffer };

export class CacheManager {
  private readonly config: CachectlConfig;
  private connectionPromise: Promise<RedisConnection> | undefined;
  private readonly owned: boolean;

  constructor(options: CacheManagerOptions = {}) {
    this.config = isResolved(options.config)
      ? options.config
      : options.config
        ? resolveConfig(options.config, process.env.REDIS_PASSWORD || undefined)
        : loadConfig({ file: process.env.CACHECTL_CONFIG || undefined });
    if (options.connection) this.connectionPromise = Promise.resolve(options.connection);
    else if (options.redis) this.connectionPromise = Promise.resolve(fromClient(options.redis));
    this.owned = !options.connection && !options.redis;
  }

  /** The connection (opened from the configuration on first use when none was given). */
  async connection(): Promise<RedisConnection> {
    if (!this.connectionPromise) {
      this.connectionPromise = connect(connectionOptionsFrom(this.config));
      // A failed connect must not stick: the next call tries again.
      this.connectionPromise.catch(() => (this.connectionPromise = undefined));
    }
    return this.connectionPromise;
  }

  /** The resolved configuration this manager uses. */
  get settings(): CachectlConfig {
    return this.config;
  }

  protected async context(): Promise<OperationContext> {
    return { connection: await this.connection(), config: this.config };
  }

  /** Remove a family's entries: `invalidate('convMapping', { conversationId: 'abc' })`. */
  async invalidate(family: string, values: FamilyValues = {}, options: ClearOptions = {}): Promise<RunSummary> {
    return invalidateFamily(await this.context(), family, values, options);
  }

  /** Remove every key matching a raw glob (queue keys excluded). */
  async invalidatePattern(glob: string | Buffer, options: ClearOptions = {}): Promise<RunSummary> {
    return invalidatePattern(await this.context(), glob, options);
  }

  /** Remove a conversation's mappings in every tenant namespace (`default` included). */
  async invalidateConversation(conversationId: string, options: ConversationOptions = {}): Promise<RunSummary> {
    return invalidateConversation(await this.context(), conversationId, options);
  }

  /**
   * Remove every cache family. Accepts the earlier `{ clearUserStates, clearQueueJobs }`:
   * `clearUserStates: false` keeps user-keyed families; `clearQueueJobs: true` then, once the
   * families are cleared without failure, cleans finished jobs past retention and exports then
   * drains waiting/delayed jobs of every queue (active jobs are never touched), like
   * `cachectl clear-all --queue`; the result then carries `queues`.
   */
  async clearAllCaches(options: ClearAllCachesOptions = {}): Promise<RunSummary & { queues?: ClearQueuesResult }> {
    const { clearQueueJobs, queueOptions, ...cacheOptions } = options;
    const ctx = await this.context();
    const summary = await clearAll(ctx, cacheOptions);
    if (!clearQueueJobs || summary.interrupted || summary.failed > 0) return summary;
    const queues = await clearQueuesAfterCaches(ctx.connection, this.config, {
      dryRun: options.dryRun,
      ...(options.signal ? { signal: options.signal } : {}),
      ...queueOptions,
    });
    return { ...summary, queues };
  }

  /** Remove entries older than `olderThanHours` / `hours` (default: per family, else 24). */
  async clearOldData(options: ClearOldOptions = {}): Promise<RunSummary> {
    return clearOld(await this.context(), options);
  }

  /** Remove everything cached about one user (phone number in any spelling, or an id). */
  async clearUserCache(userId: string, options: ClearUserOptions = {}): Promise<ClearUserSummary> {
    return clearUser(await this.context(), userId, options);
  }

  /** List the keys a family selection or glob matches (read-only; queue keys excluded). */
  async *keys(target: KeysTarget, options: KeysOptions = {}): AsyncGenerator<ListedKey> {
    const ctx = await this.context();
    yield* listKeys(ctx, selectionsOf(ctx, target), options);
  }

  /** Count the keys a family selection or glob matches, per node. */
  async countKeys(target: KeysTarget, options: KeysOptions = {}): Promise<RunSummary> {
    const ctx = await this.context();
    return countKeys(ctx, selectionsOf(ctx, target), options);
  }

  /** Statistics: server, memory, keyspace, families, queues, maintenance (`stats`). */
  async getCacheStats(options: StatsOptions = {}): Promise<StatsResult> {
    return collectStats(await this.connection(), this.config, options);
  }

  /** Health checks with pass / warn / fail (`doctor`). */
  async doctor(options: DoctorOptions = {}): Promise<DoctorResult> {
    return runDoctor(await this.connection(), this.config, options);
  }

  /** One maintenance run under the lock, with the configured policy (`maintenance`). */
  async performMaintenance(options: { hours?: number; signal?: AbortSignal; logDir?: string } = {}): Promise<MaintenanceOutcome> {
    return runMaintenance(await this.connection(), this.config, { steps: defaultSteps(this.config), ...options });
  }

  /** Write matching keys (DUMP + TTL) to a backup file (`backup`). */
  async backup(targets: readonly BackupTarget[], options: BackupOptions): Promise<BackupSummary> {
    return backup(await this.connection(), this.config, targets, options);
  }

  /** Put a backup file's keys back (`restore`). */
  async restore(file: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    return restore(await this.connection(), file, options);
  }

  /** Every BullMQ queue under the configured prefixes, with counts (`queues`). */
  async listQueues(): Promise<QueueSummary[]> {
    return listQueues(await this.connection(), { prefixes: this.config.queues.prefixes });
  }

  /** One queue in detail: counts, failure reasons, recent failures (`queues inspect`). */
  async inspectQueue(name: string, options: InspectOptions = {}): Promise<QueueInspection> {
    const connection = await this.connection();
    return inspectQueue(connection, await resolveQueue(connection, name, this.config.queues.prefixes), options);
  }

  /** Remove finished (or stale) jobs of one queue in bounded batches; never active ones (`queues clean`). */
  async cleanQueue(name: string, options: CleanOptions): Promise<CleanResult> {
    const connection = await this.connection();
    return cleanQueue(connection, await resolveQueue(connection, name, this.config.queues.prefixes), options);
  }

  /** Close the connection if this manager opened it. */
  async close(): Promise<void> {
    const pending = this.connectionPromise;
    this.connectionPromise = undefined;
    if (!pending || !this.owned) return;
    await (await pending.catch(() => undefined))?.close();
  }

  /** Earlier API: connect (REDIS_URL / config file), clear every cache family, close. */
  static async clearAllCaches(options: ClearAllCachesOptions = {}): Promise<RunSummary & { queues?: ClearQueuesResult }> {
    return CacheManager.once((m) => m.clearAllCaches(options));
  }

  /** Earlier API: connect, `clearOldData({ olderThanHours })`, close. */
  static async clearOldData(options: ClearOldOptions = {}): Promise<RunSummary> {
    return CacheManager.once((m) => m.clearOldData(options));
  }

  /** Earlier API: connect, `clearUserCache(userId)`, close. */
  static async clearUserCache(userId: string, options: ClearUserOptions = {}): Promise<ClearUserSummary> {
    return CacheManager.once((m) => m.clearUserCache(userId, options));
  }

  /** Earlier API: connect, `getCacheStats()`, close. */
  static async getCacheStats(options: StatsOptions = {}): Promise<StatsResult> {
    return CacheManager.once((m) => m.getCacheStats(options));
  }

  /** Earlier API: connect, `performMaintenance()`, close. */
  static async performMaintenance(options: { hours?: number } = {}): Promise<MaintenanceOutcome> {
    return CacheManager.once((m) => m.performMaintenance(options));
  }

  private static async once<T>(work: (manager: CacheManager) => Promise<T>): Promise<T> {
    const manager = new CacheManager();
    try {
      return await work(manager);
    } finally {
      await manager.close();
    }
  }
}

function selectionsOf(ctx: OperationContext, target: KeysTarget) {
  return 'pattern' in target ? planPattern(target.pattern) : planFamily(ctx, target.family, target.values ?? {}, { scanTenants: target.scanTenants === true });
}

function isResolved(config: CacheManagerOptions['config']): config is CachectlConfig {
  return config !== undefined && 'password' in config && Object.values((config as CachectlConfig).families ?? {}).every((f) => typeof f === 'object' && f !== null && 'parsed' in f);
}
