/**
 * Writes a backup file as `FILE.partial` (created exclusively, never through a link) and moves it
 * into place only once the trailer is on disk, so a file under the final name is always complete.
 *
 * Records are written in groups (each its own gzip member for `.gz`). A `writeRecords` call
 * resolves once its group is written, and in `durable` mode once it is also fsynced: callers that
 * arrive while a group is being written share the next one (group commit, no timer). If a write
 * fails, every waiting call rejects, the file is cut back to the last whole group, and `close()`
 * still tries to end the file there (or keeps it as an interrupted `.partial`).
 */
import { createHash, type Hash } from 'node:crypto';
import { lstat, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { CachectlError, UsageError } from '../../errors.js';
import { createExclusive, publish } from '../safe-file.js';
import { displayKey } from '../display.js';
import { MAX_RECORD_BYTES, encodePreamble, encodeRecords, encodeTrailer, payloadRdbVersion, type BackupHeader, type BackupRecord } from './format.js';

const gzip = promisify(gzipCallback);

export interface BackupWriterOptions {
  /** Replace an existing file (default: refuse). An existing `FILE.partial` is never replaced. */
  overwrite?: boolean;
  /** gzip the file (default: when the name ends in `.gz`). */
  gzip?: boolean;
  /** fsync every group before its `writeRecords` resolves (the `--backup` sink). */
  durable?: boolean;
}

/** What a finished backup file holds. */
export interface WrittenFile {
  /** The final name, or the `.partial` name when the file could not be ended (`complete: false`). */
  file: string;
  keys: number;
  /** Size on disk (compressed size for `.gz`). */
  bytes: number;
  /** SHA-256 (hex) stored in the trailer, over the uncompressed bytes before it ('' when incomplete). */
  sha256: string;
  /** False when the trailer could not be written: the file is restorable with `restore --partial`. */
  complete: boolean;
}

/** gzip level 1: DUMP payloads of small keys compress about as well, at a third of the CPU. */
const GZIP_LEVEL = 1;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class BackupWriter {
  private readonly hash: Hash = createHash('sha256');
  private pending: BackupRecord[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  private failure: unknown;
  private headerWritten = false;
  private closed = false;
  /** Records on disk (durable in `durable` mode). */
  private count = 0;
  /** Bytes on disk after the last whole group. */
  private offset = 0;
  /** fsync calls made (for tests and the bench). */
  syncs = 0;

  private constructor(
    readonly file: string,
    private readonly partial: string,
    private readonly header: Omit<BackupHeader, 'rdbVersion'>,
    private readonly handle: FileHandle,
    private readonly compress: boolean,
    private readonly durable: boolean,
    private readonly overwrite: boolean,
  ) {}

  /** Create `FILE.partial` (fails before any server work if the path is unusable). */
  static async create(file: string, header: Omit<BackupHeader, 'rdbVersion'>, options: BackupWriterOptions = {}): Promise<BackupWriter> {
    const target = path.resolve(file);
    const overwrite = options.overwrite === true;
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isDirectory()) throw new UsageError(`Backup file ${file} is a folder`, { hint: 'give a file name, e.g. cleared.cbk.gz' });
    if (!overwrite && existing) {
      throw new UsageError(`Backup file ${file} already exists`, { hint: 'choose another name, or remove the old file first' });
    }
    const partial = `${target}.partial`;
    const handle = await createExclusive(partial, 'Backup file');
    const compress = options.gzip ?? target.endsWith('.gz');
    return new BackupWriter(target, partial, header, handle, compress, options.durable === true, overwrite);
  }

  /** Records written so far. */
  get keys(): number {
    return this.count;
  }

  /** Append records. Safe to call concurrently; resolves once they are written (durable mode: synced). */
  writeRecords(records: readonly BackupRecord[]): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.fileError(this.failure));
    if (this.closed) return Promise.reject(new CachectlError(`Backup file ${this.file} is already closed`));
    if (records.length === 0) return this.flushing ?? Promise.resolve();
    const large = records.find((r) => r.key.length + r.dump.length > MAX_RECORD_BYTES);
    if (large) {
      return Promise.reject(
        new UsageError(`Key ${displayKey(large.key)} is too large to back up (${large.key.length + large.dump.length} bytes serialized; the limit is 16 MiB)`, {
          hint: "leave it out of the selection (back it up with the server's own tools)",
        }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push(...records);
      this.waiters.push({ resolve, reject });
      this.kick();
    });
  }

  /** Write the trailer, sync and move into place. Throws if a write failed before. */
  async finish(): Promise<WrittenFile> {
    await this.idle();
    if (this.failure !== undefined) {
      await this.abort();
      throw this.fileError(this.failure);
    }
    return this.end(false);
  }

  /**
   * End the file with what is on disk, even after a failed write: the trailer is written at the
   * last whole group; if even that fails, the `.partial` file is kept (`complete: false`).
   */
  async close(): Promise<WrittenFile> {
    await this.idle();
    return this.end(true);
  }

  /** Stop and remove the partial file. Idempotent. */
  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
    await unlink(this.partial).catch(() => undefined);
  }

  private async end(keepOnFailure: boolean): Promise<WrittenFile> {
    this.closed = true;
    let digest: Buffer | undefined;
    try {
      const preamble = this.headerWritten ? Buffer.alloc(0) : encodePreamble({ ...this.header, rdbVersion: null });
      this.hash.update(preamble);
      digest = this.hash.digest();
      const tail = Buffer.concat([preamble, encodeTrailer(this.count, digest)]);
      await this.append(this.compress ? await gzip(tail, { level: GZIP_LEVEL }) : tail);
      await this.handle.sync();
      await this.handle.close();
    } catch (error) {
      await this.handle.truncate(this.offset).catch(() => undefined);
      await this.handle.sync().catch(() => undefined);
      await this.handle.close().catch(() => undefined);
      if (!keepOnFailure || this.count === 0) {
        await unlink(this.partial).catch(() => undefined);
        throw this.fileError(error);
      }
      return { file: this.partial, keys: this.count, bytes: this.offset, sha256: '', complete: false };
    }
    try {
      await publish(this.partial, this.file, { overwrite: this.overwrite, what: 'Backup file' });
    } catch (error) {
      if (error instanceof CachectlError) throw error;
      throw this.fileError(error);
    }
    const { size } = await stat(this.file);
    return { file: this.file, keys: this.count, bytes: size, sha256: digest.toString('hex'), complete: true };
  }

  private async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Start writing the pending group unless a write is in flight. */
  private kick(): void {
    if (this.flushing || this.pending.length === 0) return;
    const records = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    this.flushing = this.flush(records).then(
      () => waiters.forEach((w) => w.resolve()),
      (error: unknown) => {
        this.failure ??= error;
        const failed = this.fileError(error);
        for (const w of [...waiters, ...this.waiters]) w.reject(failed);
        this.pending = [];
        this.waiters = [];
      },
    );
    void this.flushing.finally(() => {
      this.flushing = undefined;
      this.kick();
    });
  }

  private async flush(records: BackupRecord[]): Promise<void> {
    const parts: Buffer[] = [];
    if (!this.headerWritten) parts.push(encodePreamble({ ...this.header, rdbVersion: payloadRdbVersion(records[0]!.dump) }));
    parts.push(encodeRecords(records));
    const plain = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    try {
      await this.append(this.compress ? await gzip(plain, { level: GZIP_LEVEL }) : plain);
      if (this.durable) {
        this.syncs++;
        await this.handle.sync();
      }
    } catch (error) {
      // Cut back to the last whole group: what is on disk stays a readable (interrupted) file.
      await this.handle.truncate(this.offset).catch(() => undefined);
      throw error;
    }
    this.headerWritten = true;
    this.hash.update(plain);
    this.count += records.length;
  }

  /** Write all of `chunk` at the end; `offset` moves only once all of it is written. */
  private async append(chunk: Buffer): Promise<void> {
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, done, chunk.length - done, this.offset + done);
      done += bytesWritten;
    }
    this.offset += chunk.length;
  }

  private fileError(error: unknown): CachectlError {
    if (error instanceof CachectlError) return error;
    const code = (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message ?? 'error';
    return new CachectlError(`Writing backup file ${this.file} failed (${code})`, {
      hint: 'check free disk space and permissions',
      cause: error,
    });
  }
}
