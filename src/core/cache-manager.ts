/**
 * `CacheManager`: the library facade a service imports. Every method that deletes or writes runs
 * the same safety lifecycle as the CLI: a selection the CLI would ask about (large, broad, every
 * key of a family) throws a `SafetyError` unless the caller passes `force: true`; every such call
 * writes its audit line (to `config.logs.dir`) unless the caller passes `audit: false`. The static
 * methods keep the earlier `clear-cache.js` API (`CacheManager.clearAllCaches()` …) working:
 * connect, run, close.
 */
import path from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import { loadConfig, resolveConfig, type CachectlConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { connect, fromClient, type RedisConnection } from '../redis/connect.js';
import { connectionOptionsFrom } from '../redis/from-config.js';
import { backup, type BackupOptions, type BackupSummary, type BackupTarget, type RestoreOptions, type RestoreResult } from './backup/index.js';
import { restoreOperation } from './backup/operation.js';
import { runDoctor, type DoctorOptions, type DoctorResult } from './doctor/index.js';
import type { FamilyValues } from './families.js';
import type { RunSummary } from './keyspace/summary.js';
import { maintenanceOperation } from './maintenance/operation.js';
import type { MaintenanceOutcome } from './maintenance/run.js';
import { defaultSteps } from './maintenance/steps.js';
import { clearAll, type ClearAllOptions, type ClearAllResult } from './operations/clear-all.js';
import { clearOld, type ClearOldOptions } from './operations/clear-old.js';
import { clearUser, type ClearUserOptions, type ClearUserSummary } from './operations/clear-user.js';
import { invalidateConversation, invalidateFamily, invalidatePattern, type ConversationOptions } from './operations/invalidate.js';
import { countKeys, listKeys, type KeysOptions, type ListedKey } from './operations/keys.js';
import { auditDirOf, type ClearOptions, type OperationContext } from './operations/run.js';
import { plan, type Plan } from './plan.js';
import { resolveQueue } from './queues/bull.js';
import type { ClearQueuesOptions, ClearQueuesResult } from './queues/clear-all.js';
import { cleanQueue, type CleanOptions, type CleanResult } from './queues/clean.js';
import { inspectQueue, type InspectOptions, type QueueInspection } from './queues/inspect.js';
import { listQueues, type QueueSummary } from './queues/list.js';
import { queueOperation } from './queues/operation.js';
import { runLifecycle, type LifecycleOptions, type Outcome } from './safety/lifecycle.js';
import { collectStats, type StatsOptions, type StatsResult } from './stats/index.js';
import { ttlApply, type TtlApplyOptions, type TtlApplySummary } from './operations/ttl.js';
import { ttlReport, type TtlReport, type TtlReportOptions } from './ttl/report.js';
import {
  clearAllUserStates,
  clearOldUserStates,
  clearUserState,
  deletedCount,
  getMemoryStats,
  type LegacyStatsFields,
  type MemoryStats,
} from './legacy/user-states.js';
import { tenantMatch, tenantScope } from './tenant.js';
import { createReader, type CacheReader, type ReadOptions } from './read-through/index.js';
import type { ReadCodec } from './read-through/codec.js';

/** What every method that changes data accepts besides its own options. */
export interface SafetyOptions {
  /** Go ahead even when the run would need a confirmation on a terminal (default false: throw `SafetyError`). */
  force?: boolean;
  /** Write the audit line to `config.logs.dir` (default true). */
  audit?: boolean;
}

/** `getCacheStats()`: the statistics, with the earlier top-level fields too. */
export type CacheStats = StatsResult & LegacyStatsFields;

/** `clearAllCaches` options: the cache part, plus the earlier `clearQueueJobs`. */
export interface ClearAllCachesOptions extends Omit<ClearAllOptions, 'queues'>, SafetyOptions {
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
  /**
   * Restrict every method to keys under `tenant:<tenant>:` (like `cachectl --tenant`): only
   * tenant-scoped families take part, raw patterns must stay inside, and the engine refuses any
   * other key. Methods with no tenant-restricted meaning (stats, doctor, maintenance, queues,
   * `clearQueueJobs`) throw a `UsageError`.
   */
  tenant?: string;
}

/** What `keys()` selects: a family with values, or a raw glob. */
export type KeysTarget = { family: string; values?: FamilyValues; scanTenants?: boolean } | { pattern: string | Buffer };

export class CacheManager {
  private readonly config: CachectlConfig;
  private connectionPromise: Promise<RedisConnection> | undefined;
  private readonly owned: boolean;
  private readonly tenant: string | undefined;
  private readerPromise: Promise<CacheReader> | undefined;
  /** The reader once made: reads then go straight to it, without a promise of the manager's own. */
  private readerMade: CacheReader | undefined;

  constructor(options: CacheManagerOptions = {}) {
    if (options.tenant !== undefined) tenantScope(options.tenant);
    this.tenant = options.tenant;
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

  /**
   * Read-through: the cached value of `key`, or the loader's, stored only if no invalidation of the
   * key (exact, family, pattern, event) ran while the loader did (docs/read-through.md).
   */
  read(key: string | Buffer, loader: () => string | Promise<string>, options?: Omit<ReadOptions<string>, 'codec'>): Promise<string>;
  read<T>(key: string | Buffer, loader: () => T | Promise<T>, options: ReadOptions<T> & { codec: ReadCodec<T> }): Promise<T>;
  read<T>(key: string | Buffer, loader: () => T | Promise<T>, options: ReadOptions<T> = {}): Promise<T> {
    const read = (reader: CacheReader) =>
      (reader.read as <V>(k: string | Buffer, l: () => V | Promise<V>, o: ReadOptions<V>) => Promise<V>)(key, loader, options);
    return this.readerMade ? read(this.readerMade) : this.reader().then(read);
  }

  /** The manager's reader (one per manager: its counters are what `metrics()` renders). */
  async reader(): Promise<CacheReader> {
    if (this.readerPromise === undefined) {
      const made = this.connection().then((c) => createReader(this.config, c, this.tenant !== undefined ? { tenant: this.tenant } : {}));
      this.readerPromise = made;
      made.then(
        (reader) => {
          if (this.readerPromise === made) this.readerMade = reader;
        },
        () => {
          if (this.readerPromise === made) this.readerPromise = undefined;
        },
      );
    }
    return this.readerPromise;
  }

  /** Remove a family's entries: `invalidate('convMapping', { conversationId: 'abc' })`. */
  async invalidate(family: string, values: FamilyValues = {}, options: ClearOptions & SafetyOptions = {}): Promise<Outcome<RunSummary>> {
    return invalidateFamily(await this.context(options), family, values, this.scoped(options));
  }

  /** Remove every key matching a raw glob (queue keys and cachectl's own keys excluded). */
  async invalidatePattern(glob: string | Buffer, options: ClearOptions & SafetyOptions = {}): Promise<Outcome<RunSummary>> {
    return invalidatePattern(await this.context(options), glob, this.scoped(options));
  }

  /** Remove a conversation's mappings in every tenant namespace (`default` included). */
  async invalidateConversation(conversationId: string, options: ConversationOptions & SafetyOptions = {}): Promise<Outcome<RunSummary>> {
    return invalidateConversation(await this.context(options), conversationId, this.scoped(options));
  }

  /**
   * Remove every cache family. Accepts the earlier `{ clearUserStates, clearQueueJobs }`:
   * `clearUserStates: false` keeps user-keyed families; `clearQueueJobs: true` then, once the
   * families are cleared without failure, cleans finished jobs past retention and exports then
   * drains waiting/delayed jobs of every queue (active jobs are never touched), like
   * `cachectl clear-all --queue`; the result then carries `queues`.
   */
  async clearAllCaches(options: ClearAllCachesOptions = {}): Promise<Outcome<ClearAllResult & { queues?: ClearQueuesResult }>> {
    const { clearQueueJobs, queueOptions, ...rest } = options;
    if (clearQueueJobs) this.unscoped('clearAllCaches({ clearQueueJobs })');
    const ctx = await this.context(options);
    const queues = clearQueueJobs ? { logsDir: auditDirOf({ ...ctx, auditDir: undefined }), ...queueOptions } : undefined;
    return clearAll(ctx, { ...this.scoped(rest), ...(queues ? { queues } : {}) });
  }

  /** Remove entries older than `olderThanHours` / `hours` (default: per family, else 24). */
  async clearOldData(options: ClearOldOptions & SafetyOptions = {}): Promise<Outcome<RunSummary>> {
    return clearOld(await this.context(options), this.scoped(options));
  }

  /** Remove everything cached about one user (phone number in any spelling, or an id). */
  async clearUserCache(userId: string, options: ClearUserOptions & SafetyOptions = {}): Promise<Outcome<ClearUserSummary>> {
    return clearUser(await this.context(options), userId, this.scoped(options));
  }

  /** List the keys a family selection or glob matches (read-only; protected keys excluded). */
  async *keys(target: KeysTarget, options: KeysOptions = {}): AsyncGenerator<ListedKey> {
    const ctx = await this.context();
    const scoped = this.scoped(options);
    yield* listKeys(ctx, planOf(ctx, target, scoped.tenant), scoped);
  }

  /** Count the keys a family selection or glob matches, per node. */
  async countKeys(target: KeysTarget, options: KeysOptions = {}): Promise<RunSummary> {
    const ctx = await this.context();
    const scoped = this.scoped(options);
    return countKeys(ctx, planOf(ctx, target, scoped.tenant), scoped);
  }

  /**
   * Statistics: server, memory, keyspace, families, queues, maintenance (`stats`). The earlier
   * fields are there too: `timestamp`, `memory`, and `queue` / `userStates` (= `summary.queue` /
   * `summary.userStates`).
   */
  async getCacheStats(options: StatsOptions = {}): Promise<CacheStats> {
    this.unscoped('getCacheStats');
    const stats = await collectStats(await this.connection(), this.config, options);
    return Object.assign(stats, { queue: stats.summary.queue, userStates: stats.summary.userStates });
  }

  /**
   * Earlier API: delete every `userState` key; returns how many were deleted. A whole family, so it
   * needs `force: true` (or `maxKeys`) like every library call that would ask on a terminal.
   */
  async clearAllUserStates(options: ClearOptions & SafetyOptions = {}): Promise<number> {
    return deletedCount(await clearAllUserStates(await this.context(options), this.scoped(options)));
  }

  /** Earlier API: delete `userState` keys older than `hours` (default: the family's age); returns the count. */
  async clearOldUserStates(hours?: number, options: ClearOptions & SafetyOptions = {}): Promise<number> {
    return deletedCount(await clearOldUserStates(await this.context(options), hours, this.scoped(options)));
  }

  /** Earlier API: delete one user's `userState` keys (any spelling of the number); returns the count. */
  async clearUserState(phone: string, options: ClearOptions & SafetyOptions & { country?: string } = {}): Promise<number> {
    return deletedCount(await clearUserState(await this.context(options), phone, this.scoped(options)));
  }

  /** Earlier API: `{ totalKeys, userStateKeys, memory, timestamp }` (read-only, queues not inspected). */
  async getMemoryStats(options: { exact?: boolean } = {}): Promise<MemoryStats> {
    this.unscoped('getMemoryStats');
    return getMemoryStats({ connection: await this.connection(), config: this.config }, options);
  }

  /** Health checks with pass / warn / fail (`doctor`). */
  async doctor(options: DoctorOptions = {}): Promise<DoctorResult> {
    this.unscoped('doctor');
    return runDoctor(await this.connection(), this.config, options);
  }

  /** One maintenance run under the lock, with the configured policy (`maintenance`). */
  async performMaintenance(
    options: {
      hours?: number;
      signal?: AbortSignal;
      logDir?: string;
      dryRun?: boolean;
      /** Keep what clear-old deletes in this folder, one file per run (default: `maintenance.archive`). */
      archive?: { dir: string; keepDays?: number };
    } & SafetyOptions = {},
  ): Promise<MaintenanceOutcome> {
    this.unscoped('performMaintenance');
    const ctx = await this.context(options);
    const logDir = options.logDir ?? auditDirOf({ ...ctx, auditDir: undefined });
    const archive = options.archive ? { dir: path.resolve(options.archive.dir), keepDays: options.archive.keepDays } : undefined;
    const op = maintenanceOperation(ctx.connection, this.config, { steps: defaultSteps(archive ? { archive } : {}), ...options, archive, logDir });
    return runLifecycle(this.env(ctx), op, lifecycle(options));
  }

  /** Write matching keys (DUMP + TTL) to a backup file (`backup`). */
  async backup(targets: readonly BackupTarget[], options: BackupOptions): Promise<BackupSummary> {
    return backup(await this.connection(), this.config, targets, this.scoped(options));
  }

  /** Put a backup file's keys back (`restore`); asks like the CLI (`force`) for `replace` or many keys. */
  async restore(file: string, options: Omit<RestoreOptions, 'confirm'> & SafetyOptions = {}): Promise<RestoreResult> {
    const match = this.tenant !== undefined ? tenantMatch(options.match, tenantScope(this.tenant)) : options.match;
    const ctx = await this.context(options);
    const { force: _force, audit: _audit, dryRun: _dry, ...restoreOptions } = options;
    const op = restoreOperation(ctx.connection, this.config, file, { ...restoreOptions, ...(match !== undefined ? { match } : {}) });
    return runLifecycle(this.env(ctx), op, lifecycle(options));
  }

  /** Every BullMQ queue under the configured prefixes, with counts (`queues`). */
  async listQueues(): Promise<QueueSummary[]> {
    this.unscoped('listQueues');
    return listQueues(await this.connection(), { prefixes: this.config.queues.prefixes });
  }

  /** One queue in detail: counts, failure reasons, recent failures (`queues inspect`). */
  async inspectQueue(name: string, options: InspectOptions = {}): Promise<QueueInspection> {
    this.unscoped('inspectQueue');
    const connection = await this.connection();
    return inspectQueue(connection, await resolveQueue(connection, name, this.config.queues.prefixes), options);
  }

  /** Remove finished (or stale) jobs of one queue in bounded batches; never active ones (`queues clean`). */
  async cleanQueue(name: string, options: CleanOptions & SafetyOptions): Promise<CleanResult> {
    this.unscoped('cleanQueue');
    const ctx = await this.context(options);
    const ref = await resolveQueue(ctx.connection, name, this.config.queues.prefixes);
    const unprocessed = options.state !== 'completed' && options.state !== 'failed';
    const op = queueOperation(ctx.connection, this.config, {
      command: 'queues clean',
      describe: (n) => `remove ${n === undefined ? '' : `${n} `}${options.state} jobs of ${ref.key}`,
      refs: [ref],
      count: async () => (await cleanQueue(ctx.connection, ref, { ...options, dryRun: true })).matched,
      ...(unprocessed ? { always: 'these jobs have not run yet and are not backed up' } : {}),
      execute: (dryRun) => cleanQueue(ctx.connection, ref, { ...options, dryRun }),
      changes: (r) => r.removed,
      incomplete: (r) => r.stoppedBy === 'signal',
      auditResult: (r) => ({ state: r.state, graceMs: r.graceMs, matched: r.matched, removed: r.removed, stoppedBy: r.stoppedBy }),
    });
    return runLifecycle(this.env(ctx), op, lifecycle(options));
  }

  /** How every family with a TTL policy stands against it, per family and master (`cachectl ttl`; read-only). */
  async ttlReport(options: TtlReportOptions = {}): Promise<TtlReport> {
    return ttlReport(await this.connection(), this.config, this.scoped(options));
  }

  /**
   * Give the keys of every family with `ttlSeconds` their policy TTL (`cachectl ttl apply`): keys
   * without a TTL, and with `cap` keys above it. A run estimated above `safety.confirmAbove` keys
   * needs `force` (or `maxKeys`).
   */
  async applyTtlPolicy(options: TtlApplyOptions & SafetyOptions = {}): Promise<Outcome<TtlApplySummary>> {
    return ttlApply(await this.context(options), this.scoped(options));
  }

  /** Close the connection if this manager opened it. */
  async close(): Promise<void> {
    const pending = this.connectionPromise;
    this.connectionPromise = undefined;
    this.readerPromise = undefined;
    this.readerMade = undefined;
    if (!pending || !this.owned) return;
    await (await pending.catch(() => undefined))?.close();
  }

  /** Earlier API: connect (REDIS_URL / config file), clear every cache family, close. */
  static async clearAllCaches(options: ClearAllCachesOptions = {}): Promise<Outcome<ClearAllResult>> {
    return CacheManager.once((m) => m.clearAllCaches(options));
  }

  /** Earlier API: connect, `clearOldData({ olderThanHours })`, close. */
  static async clearOldData(options: ClearOldOptions & SafetyOptions = {}): Promise<Outcome<RunSummary>> {
    return CacheManager.once((m) => m.clearOldData(options));
  }

  /** Earlier API: connect, `clearUserCache(userId)`, close. */
  static async clearUserCache(userId: string, options: ClearUserOptions & SafetyOptions = {}): Promise<Outcome<ClearUserSummary>> {
    return CacheManager.once((m) => m.clearUserCache(userId, options));
  }

  /** Earlier API: connect, `getCacheStats()`, close. */
  static async getCacheStats(options: StatsOptions = {}): Promise<CacheStats> {
    return CacheManager.once((m) => m.getCacheStats(options));
  }

  /** Earlier API: connect, `clearAllUserStates()`, close. */
  static async clearAllUserStates(options: ClearOptions & SafetyOptions = {}): Promise<number> {
    return CacheManager.once((m) => m.clearAllUserStates(options));
  }

  /** Earlier API: connect, `clearOldUserStates(hours)`, close. */
  static async clearOldUserStates(hours?: number, options: ClearOptions & SafetyOptions = {}): Promise<number> {
    return CacheManager.once((m) => m.clearOldUserStates(hours, options));
  }

  /** Earlier API: connect, `clearUserState(phone)`, close. */
  static async clearUserState(phone: string, options: ClearOptions & SafetyOptions & { country?: string } = {}): Promise<number> {
    return CacheManager.once((m) => m.clearUserState(phone, options));
  }

  /** Earlier API: connect, `getMemoryStats()`, close. */
  static async getMemoryStats(options: { exact?: boolean } = {}): Promise<MemoryStats> {
    return CacheManager.once((m) => m.getMemoryStats(options));
  }

  /** Earlier API: connect, `performMaintenance()`, close. */
  static async performMaintenance(options: { hours?: number } & SafetyOptions = {}): Promise<MaintenanceOutcome> {
    return CacheManager.once((m) => m.performMaintenance(options));
  }

  /** Options with the manager's tenant (a different per-call `tenant` is a usage error). */
  private scoped<T extends { tenant?: string }>(options: T): T {
    if (this.tenant === undefined) return options;
    if (options.tenant !== undefined && options.tenant !== this.tenant) {
      throw new UsageError(`tenant "${options.tenant}" differs from the manager's tenant "${this.tenant}"`, {
        hint: 'a tenant-restricted manager works on its own tenant only',
      });
    }
    return { ...options, tenant: this.tenant };
  }

  /** Refuse a method that cannot be restricted to one tenant. */
  private unscoped(method: string): void {
    if (this.tenant !== undefined) {
      throw new UsageError(`${method}() cannot be restricted to tenant "${this.tenant}"`, { hint: 'use a CacheManager without the tenant option for it' });
    }
  }

  private async context(options: SafetyOptions = {}): Promise<OperationContext> {
    return { connection: await this.connection(), config: this.config, ...(options.audit === false ? { auditDir: false } : {}) };
  }

  private env(ctx: OperationContext) {
    return { connection: ctx.connection, config: ctx.config, auditDir: auditDirOf(ctx) };
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

function lifecycle(options: SafetyOptions & { dryRun?: boolean }): LifecycleOptions {
  return { ...(options.force !== undefined ? { force: options.force } : {}), ...(options.dryRun !== undefined ? { dryRun: options.dryRun } : {}) };
}

function planOf(ctx: OperationContext, target: KeysTarget, tenant: string | undefined): Plan {
  const options = { ...(tenant !== undefined ? { tenant } : {}), ...('scanTenants' in target && target.scanTenants ? { scanTenants: true } : {}) };
  return 'pattern' in target
    ? plan(ctx.config, [{ kind: 'pattern', pattern: target.pattern }], options)
    : plan(ctx.config, [{ kind: 'family', family: target.family, values: target.values ?? {} }], options);
}

function isResolved(config: CacheManagerOptions['config']): config is CachectlConfig {
  return (
    config !== undefined &&
    'password' in config &&
    Object.values((config as CachectlConfig).families ?? {}).every((f) => typeof f === 'object' && f !== null && 'parsed' in f)
  );
}
