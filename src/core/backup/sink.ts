/**
 * `--backup FILE` on destructive commands: the clearing engine hands over exactly the keys it
 * deleted (DUMP + PTTL taken in the same server-side step), and this sink streams them to a file.
 */
import type { RedisConnection } from '../../redis/connect.js';
import type { BackupSummary } from './backup.js';
import { FORMAT_VERSION, NO_EXPIRY, cachectlVersion, type BackupRecord } from './format.js';
import { describeServer } from './source.js';
import { BackupWriter } from './writer.js';

/**
 * One deleted key as the engine reports it. `ttlMs` is the remaining TTL at deletion: > 0 an
 * expiry, 0 or -1 none (both spellings are accepted: RESTORE's 0 and PTTL's -1), -2 key was gone.
 */
export interface CapturedEntry {
  key: Buffer;
  ttlMs: number;
  dump: Buffer;
}

export type CaptureFn = (entries: CapturedEntry[]) => Promise<void>;

export interface BackupSinkMeta {
  /** The server the command works on (its flavor and version go into the header). */
  connection: RedisConnection;
  /** The destructive command, e.g. `clear-all`. */
  command: string;
  /** Labels of what it selected (no placeholder values). */
  selection: string[];
  /** Replace an existing file (default: refuse). */
  overwrite?: boolean;
}

export interface BackupSink {
  /**
   * Write entries; safe to call concurrently (e.g. one caller per master). Resolves once they are
   * on disk (fsync, shared by callers arriving meanwhile); rejects if the file cannot be written.
   */
  capture: CaptureFn;
  /**
   * Finish the file (trailer, fsync, move into place), also after a failed capture: it then ends at
   * the last durable record, or stays `FILE.partial` with `complete: false` when even the trailer
   * does not fit (restorable with `restore --partial`).
   */
  close(): Promise<BackupSummary>;
  /** Remove the partial file; nothing is left behind. */
  abort(): Promise<void>;
}

/**
 * Open a backup file for a destructive command. The file is created (as `FILE.partial`) before
 * anything is deleted, so an unusable path fails the command before it touches the server.
 */
export async function openBackupSink(file: string, meta: BackupSinkMeta): Promise<BackupSink> {
  const started = performance.now();
  let source;
  try {
    source = await describeServer(meta.connection);
  } catch (error) {
    throw meta.connection.wrapError(error);
  }
  const writer = await BackupWriter.create(
    file,
    {
      format: FORMAT_VERSION,
      cachectl: cachectlVersion(),
      created: new Date().toISOString(),
      command: meta.command,
      sourceMode: 'capture',
      selection: meta.selection,
      source,
    },
    { overwrite: meta.overwrite, durable: true },
  );
  let skipped = 0;
  return {
    capture: async (entries) => {
      const now = Date.now();
      const records: BackupRecord[] = [];
      for (const entry of entries) {
        // A key that was already gone has no payload; the engine should not send it, but count it.
        if (!entry.dump || entry.dump.length === 0 || entry.ttlMs === -2) {
          skipped++;
          continue;
        }
        records.push({ key: entry.key, dump: entry.dump, expireAtMs: entry.ttlMs > 0 ? now + entry.ttlMs : NO_EXPIRY });
      }
      await writer.writeRecords(records);
    },
    close: async () => {
      const written = await writer.close();
      return {
        complete: written.complete,
        file: written.file,
        keys: written.keys,
        bytes: written.bytes,
        skipped,
        durationMs: Math.round(performance.now() - started),
        sha256: written.sha256,
        selection: meta.selection,
      };
    },
    abort: () => writer.abort(),
  };
}
