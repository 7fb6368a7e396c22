/**
 * `backup`: write every selected key (DUMP payload + expiry) to a file, from every master, with
 * memory bounded by a couple of batches per master. Queue keys are never included.
 */
import type { Redis } from 'ioredis';
import type { CachectlConfig } from '../../config/load.js';
import { CachectlError, ConnectionError, PartialError, type CachectlErrorOptions } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { KeyGuard } from '../guard.js';
import { coveredMasters, createRouter, readyMasters } from '../../redis/topology.js';
import { scanNode } from '../keyspace/scan.js';
import { BatchSizer, dumpKeys, dumpPipelined } from './dump.js';
import { FORMAT_VERSION, cachectlVersion, type BackupHeader, type BackupRecord } from './format.js';
import { planRead, resolveTargets, type BackupTarget, type ReadPlan } from './select.js';
import { describeServer } from './source.js';
import { BackupWriter } from './writer.js';

export interface BackupProgress {
  keys: number;
  skipped: number;
}

export interface BackupOptions {
  /** File to write; gzip-compressed when the name ends in `.gz`. */
  out: string;
  /** Replace an existing file (default: refuse). */
  overwrite?: boolean;
  /** Command recorded in the header (default `backup`). */
  command?: string;
  /** Stop after the batches in hand; the partial file is removed and a `PartialError` thrown. */
  signal?: AbortSignal;
  onProgress?: (progress: BackupProgress) => void;
  /** SCAN COUNT (default config.scan.count). */
  scanCount?: number;
  /** Only keys under `tenant:<tenant>:` (families bound to it, patterns checked, every key filtered). */
  tenant?: string;
}

export interface BackupSummary {
  /** Absolute path of the finished file. */
  file: string;
  /** Keys written. */
  keys: number;
  /** File size on disk. */
  bytes: number;
  /** Keys found by SCAN that were gone (deleted or expired) before DUMP. */
  skipped: number;
  durationMs: number;
  /** SHA-256 (hex) stored in the trailer. */
  sha256: string;
  /** Labels of what was selected. */
  selection: string[];
  /** False when the file could not be ended (kept as `FILE.partial`; `restore --partial` reads it). */
  complete?: boolean;
}

/** Back up the keys `targets` select into `options.out`. */
export async function backup(
  connection: RedisConnection,
  config: CachectlConfig,
  targets: readonly BackupTarget[],
  options: BackupOptions,
): Promise<BackupSummary> {
  const started = performance.now();
  const plan = planRead(resolveTargets(config, targets, options.tenant));
  let source;
  try {
    source = await describeServer(connection);
  } catch (error) {
    throw connection.wrapError(error);
  }
  const header: Omit<BackupHeader, 'rdbVersion'> = {
    format: FORMAT_VERSION,
    cachectl: cachectlVersion(),
    created: new Date().toISOString(),
    command: options.command ?? 'backup',
    sourceMode: 'scan',
    selection: plan.labels,
    source,
  };
  const writer = await BackupWriter.create(options.out, header, { overwrite: options.overwrite });
  const progress = { keys: 0, skipped: 0 };
  try {
    await readSelected(connection, config, plan, options, async (records, missing) => {
      await writer.writeRecords(records);
      progress.keys += records.length;
      progress.skipped += missing;
      options.onProgress?.({ ...progress });
    });
    if (options.signal?.aborted) {
      await writer.abort();
      throw new PartialError(`Backup interrupted after ${progress.keys} keys; no backup file was written`, progress, {
        hint: 'run the backup again to completion',
      });
    }
    const written = await writer.finish();
    return {
      file: written.file,
      keys: written.keys,
      bytes: written.bytes,
      skipped: progress.skipped,
      durationMs: Math.round(performance.now() - started),
      sha256: written.sha256,
      selection: plan.labels,
    };
  } catch (error) {
    await writer.abort();
    throw stoppedAfter(error instanceof CachectlError ? error : connection.wrapError(error), progress.keys);
  }
}

/** A connection lost (or timed out) mid-backup: same class and exit code, saying how far it got. */
function stoppedAfter(error: CachectlError, keys: number): CachectlError {
  if (!(error instanceof ConnectionError)) return error;
  const Same = error.constructor as new (message: string, options: CachectlErrorOptions) => ConnectionError;
  return new Same(`Backup stopped after ${keys} keys, no backup file was written: ${error.message}`, {
    cause: error.cause ?? error,
    hint: 'run the backup again once the server answers',
  });
}

type Consume = (records: BackupRecord[], missing: number) => Promise<void>;

/** Read exact keys (routed to their masters) and scan every master, feeding `consume`. */
async function readSelected(connection: RedisConnection, config: CachectlConfig, plan: ReadPlan, options: BackupOptions, consume: Consume): Promise<void> {
  const guard = new KeyGuard(config, options.tenant !== undefined ? { tenant: options.tenant } : {});
  const keep = (key: Buffer) => !guard.protects(key) && plan.accept(key);
  const batch = Math.max(1, config.scan.batch);
  const aborted = () => options.signal?.aborted === true;

  /** DUMP `keys` of one node in calls sized to a few MB of payload. */
  const dumpAll = async (node: Redis, keys: Buffer[], sizer: BatchSizer, countMissing: boolean) => {
    for (let i = 0; i < keys.length && !aborted();) {
      const chunk = keys.slice(i, (i += sizer.size()));
      const result = await dumpKeys(connection, node, chunk);
      sizer.observe(result);
      // Exact keys that do not exist are simply absent, not "skipped".
      await consume(result.records, countMissing ? result.missing : 0);
    }
  };

  // Before any work starts: a master the client lost (slots no node it has serves) fails the backup, naming the slots.
  if (plan.match !== undefined) await readyMasters(connection);
  const scanned = plan.match !== undefined ? coveredMasters(connection) : [];
  const exact = plan.exact.filter((key) => !guard.protects(key));
  const { groups, unrouted } = createRouter(connection)(exact, (key) => key);
  const tasks: Array<Promise<void>> = groups.map(({ node, items }) => dumpAll(node, items, new BatchSizer(batch), false));
  if (unrouted.length > 0) {
    const client = connection.client;
    tasks.push(
      (async () => {
        for (const key of unrouted) await consume((await dumpPipelined(client, [key], client)).records, 0);
      })(),
    );
  }
  if (plan.match !== undefined) {
    const scan = { match: plan.match, count: options.scanCount ?? config.scan.count, signal: options.signal };
    for (const node of scanned) {
      tasks.push(
        (async () => {
          const sizer = new BatchSizer(Math.max(batch, scan.count));
          // One batch being dumped while the next SCAN runs: two batches per master at most.
          let pending: Promise<void> | undefined;
          for await (const found of scanNode(node, scan)) {
            const task = dumpAll(node, found.filter(keep), sizer, true);
            task.catch(() => undefined);
            if (pending) await pending;
            pending = task;
          }
          await pending;
        })(),
      );
    }
  }
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
