/**
 * `restore`: verify the whole file first (a truncated or corrupted file is refused before anything
 * is written), ask every master whether it can read the payloads, then RESTORE each key with its
 * remaining TTL, routed to its slot's master. Existing keys are kept unless `replace`.
 */
import type { RedisConnection } from '../../redis/connect.js';
import { CachectlError, PartialError, UsageError } from '../../errors.js';
import { globMatch } from '../glob.js';
import { applyBatch, type ApplyItem, type ApplyTally } from './apply.js';
import { BackupFormatError } from './errors.js';
import { NO_EXPIRY, type BackupHeader, type BackupSource } from './format.js';
import { incompatible, probeTarget } from './probe.js';
import { BackupReader } from './reader.js';
import { createRouter } from '../../redis/topology.js';
import { describeServer, serverLabel } from './source.js';
import { READ_LIMITS, inspectBackup, requireComplete, type BackupInfo } from './verify.js';
import { checkBulkLimit } from './limits.js';
import type { Protection } from '../guard.js';

export type TtlMode = 'keep' | 'none';

/** What restore is about to do; handed to `confirm` before the first write. */
export interface RestorePlan {
  info: BackupInfo;
  /** "Redis 7.0.15" of the target (oldest master). */
  target: string;
  replace: boolean;
  dryRun: boolean;
  /** Keys restore will try to write (records minus those already expired under `keep`). */
  keys: number;
}

export interface RestoreProgress {
  done: number;
  total: number;
}

export interface RestoreOptions {
  /** Overwrite existing keys (RESTORE … REPLACE). Default: existing keys are kept and counted. */
  replace?: boolean;
  /** Verify, probe and count (EXISTS) without writing. */
  dryRun?: boolean;
  /** `keep` (default): remaining TTL, expired keys skipped; `none`: restore every key without a TTL. */
  ttlMode?: TtlMode;
  /** Only keys matching this glob. */
  match?: string | Buffer;
  /** Called after verification and before any write; throw to cancel (nothing is written). */
  confirm?: (plan: RestorePlan) => Promise<void> | void;
  /** Restore the whole records of an interrupted (cut) backup; default: refuse it (exit 2). */
  partial?: boolean;
  /**
   * The key guard's decision (`KeyGuard.protection`): protected keys (queues, cachectl's own) are
   * skipped and counted unless `includeProtected`.
   */
  protect?: (key: Buffer) => Protection | undefined;
  /** Restore protected keys too. */
  includeProtected?: boolean;
  /** Stop after the batch in hand; the result says `interrupted`. */
  signal?: AbortSignal;
  onProgress?: (progress: RestoreProgress) => void;
}

export interface RestoreResult {
  file: string;
  dryRun: boolean;
  replace: boolean;
  ttlMode: TtlMode;
  /** When the backup was taken, and by which command. */
  created: string;
  command: string;
  /** "Redis 7.0.15" of the backup's source and of the target. */
  source: string;
  target: string;
  /** Records in the file. */
  keys: number;
  /** Keys written (dry run: keys that would be written). */
  restored: number;
  skipped: { exists: number; expired: number; unmatched: number; protected: number };
  failed: number;
  /** False when the file was an interrupted backup (restored with `partial`). */
  complete: boolean;
  /** The first few failures, keys shown redis-cli style. */
  errors: Array<{ key: string; error: string }>;
  durationMs: number;
  interrupted: boolean;
}

/** Restore `file` into the server behind `connection`. */
export async function restore(connection: RedisConnection, file: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  const started = performance.now();
  const replace = options.replace === true;
  const dryRun = options.dryRun === true;
  const ttlMode = options.ttlMode ?? 'keep';
  if (ttlMode !== 'keep' && ttlMode !== 'none') throw new UsageError(`Unknown TTL mode "${String(ttlMode)}"`, { hint: 'use keep or none' });
  const match = options.match === undefined ? undefined : Buffer.from(options.match);

  const inspection = await inspectBackup(file);
  const { samples, ...info } = inspection;
  requireComplete(info, { partial: options.partial === true });
  await checkBulkLimit(connection, info.file, info.largest);
  const protect = options.includeProtected ? undefined : options.protect;
  let target: BackupSource;
  try {
    target = await describeServer(connection);
  } catch (error) {
    throw connection.wrapError(error);
  }
  const header: BackupHeader = info.header;
  await probeTarget(connection, samples, header.source, target);
  const planned = info.keys - (ttlMode === 'keep' ? info.expired : 0);
  await options.confirm?.({ info, target: serverLabel(target), replace, dryRun, keys: planned });

  const tally: ApplyTally = { restored: 0, exists: 0, failed: 0, errors: [] };
  const skipped = { expired: 0, unmatched: 0, protected: 0 };
  const settings = {
    replace,
    dryRun,
    explainRejected: (version: number, message: string) => incompatible(version, header.source, target, message).message,
  };
  const route = createRouter(connection);
  const reader = await BackupReader.open(info.file);
  let done = 0;
  let interrupted = false;
  const inflight: Array<Promise<void>> = [];
  try {
    // An interrupted file may still be growing: only the records verified above are read. A
    // complete file is read to its trailer again (a change since verification is caught).
    for await (const batch of reader.batches(READ_LIMITS, info.complete ? Infinity : info.keys)) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const now = Date.now();
      const items: ApplyItem[] = [];
      for (const record of batch) {
        if (match && !globMatch(match, record.key)) {
          skipped.unmatched++;
          continue;
        }
        if (protect?.(record.key) !== undefined) {
          skipped.protected++;
          continue;
        }
        let ttl = 0;
        if (ttlMode === 'keep' && record.expireAtMs !== NO_EXPIRY) {
          ttl = record.expireAtMs - now;
          // RESTORE takes 0 as "no expiry": a key with nothing left is expired, not eternal.
          if (ttl <= 0) {
            skipped.expired++;
            continue;
          }
        }
        items.push({ record, ttl });
      }
      done += batch.length;
      const progress = { done, total: info.keys };
      const sent = applyBatch(connection, route, items, settings, tally).then(() => options.onProgress?.(progress));
      sent.catch(() => undefined);
      inflight.push(sent);
      // Two batches in flight: the next one is read while the server works on this one.
      if (inflight.length >= 2) await inflight.shift();
    }
    await Promise.all(inflight);
  } catch (error) {
    await Promise.allSettled(inflight);
    if (error instanceof BackupFormatError) {
      throw new PartialError(`${error.message} (the file changed after it was verified); ${tally.restored} keys were restored`, summary(), {
        hint: 'restore from an unchanged copy of the backup',
      });
    }
    if (error instanceof CachectlError) throw error;
    throw new PartialError(`Restore stopped: ${connection.wrapError(error).message}; ${tally.restored} keys were restored`, summary(), {
      cause: error,
      hint: 'run restore again: keys already restored are skipped (or overwritten with --replace)',
    });
  } finally {
    reader.close();
  }
  return summary();

  function summary(): RestoreResult {
    return {
      file: info.file,
      dryRun,
      replace,
      ttlMode,
      created: header.created,
      command: header.command,
      source: serverLabel(header.source),
      target: serverLabel(target),
      keys: info.keys,
      restored: tally.restored,
      skipped: { exists: tally.exists, ...skipped },
      failed: tally.failed,
      errors: tally.errors,
      durationMs: Math.round(performance.now() - started),
      interrupted,
      complete: info.complete,
    };
  }
}
