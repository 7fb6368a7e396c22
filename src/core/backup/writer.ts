/**
 * Streams records into a backup file with bounded memory: writes wait for `drain`, the file is
 * written as `FILE.partial` and renamed only once the trailer is on disk, so a crashed or
 * interrupted run never leaves a file that looks complete.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { CachectlError, UsageError } from '../../errors.js';
import { encodePreamble, encodeRecords, encodeTrailer, payloadRdbVersion, type BackupHeader, type BackupRecord } from './format.js';

export interface BackupWriterOptions {
  /** Replace an existing file (default: refuse). */
  overwrite?: boolean;
  /** gzip the file (default: when the name ends in `.gz`). */
  gzip?: boolean;
}

/** What a finished backup file holds. */
export interface WrittenFile {
  file: string;
  keys: number;
  /** Size on disk (compressed size for `.gz`). */
  bytes: number;
  /** SHA-256 (hex) stored in the trailer, over the uncompressed bytes before it. */
  sha256: string;
}

/** gzip level 1: DUMP payloads of small keys compress about as well, at a third of the CPU. */
const GZIP_LEVEL = 1;
const FILE_BUFFER = 1 << 20;

export class BackupWriter {
  private readonly hash: Hash = createHash('sha256');
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private headerWritten = false;
  private closed = false;
  private count = 0;

  private constructor(
    readonly file: string,
    private readonly partial: string,
    private readonly header: Omit<BackupHeader, 'rdbVersion'>,
    private readonly out: Writable,
    private readonly done: Promise<void>,
    private readonly overwrite: boolean,
  ) {}

  /** Create `FILE.partial` (fails before any server work if the path is unusable). */
  static async create(file: string, header: Omit<BackupHeader, 'rdbVersion'>, options: BackupWriterOptions = {}): Promise<BackupWriter> {
    const target = path.resolve(file);
    const overwrite = options.overwrite === true;
    if (!overwrite && existsSync(target)) {
      throw new UsageError(`Backup file ${file} already exists`, { hint: 'choose another name, or remove the old file first' });
    }
    const partial = `${target}.partial`;
    const stream = createWriteStream(partial, { flags: 'w', mode: 0o600, highWaterMark: FILE_BUFFER });
    try {
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', reject);
      });
    } catch (error) {
      throw new UsageError(`Cannot write backup file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
        hint: 'check that the folder exists and is writable',
        cause: error,
      });
    }
    const gzip = options.gzip ?? target.endsWith('.gz');
    let out: Writable = stream;
    let done: Promise<void>;
    if (gzip) {
      const zip = createGzip({ level: GZIP_LEVEL, chunkSize: 64 * 1024 });
      out = zip;
      done = pipeline(zip, stream);
    } else {
      done = new Promise<void>((resolve, reject) => {
        stream.once('close', () => resolve());
        stream.on('error', reject);
      });
    }
    const writer = new BackupWriter(target, partial, header, out, done, overwrite);
    // Keep the rejection observed; the next write or finish reports it.
    done.catch((error: unknown) => {
      writer.failure ??= error;
    });
    return writer;
  }

  /** Records written so far. */
  get keys(): number {
    return this.count;
  }

  /** Append records (safe to call concurrently: writes are queued in call order). */
  writeRecords(records: readonly BackupRecord[]): Promise<void> {
    if (records.length === 0) return this.chain;
    const task = this.chain.then(async () => {
      if (!this.headerWritten) await this.writeHeader(payloadRdbVersion(records[0]!.dump));
      await this.write(encodeRecords(records));
      this.count += records.length;
    });
    this.chain = task.catch(() => undefined);
    return task;
  }

  /** Write the trailer, flush to disk and rename into place. */
  async finish(): Promise<WrittenFile> {
    await this.chain;
    this.ensureOpen();
    if (!this.headerWritten) await this.writeHeader(null);
    const digest = this.hash.digest();
    await this.write(encodeTrailer(this.count, digest), false);
    this.closed = true;
    this.out.end();
    try {
      await this.done;
      const handle = await open(this.partial, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (!this.overwrite && existsSync(this.file)) {
        throw new UsageError(`Backup file ${this.file} appeared while the backup ran`, { hint: 'choose another name' });
      }
      await rename(this.partial, this.file);
    } catch (error) {
      await rm(this.partial, { force: true });
      throw this.fileError(error);
    }
    const { size } = await stat(this.file);
    return { file: this.file, keys: this.count, bytes: size, sha256: digest.toString('hex') };
  }

  /** Stop and remove the partial file. Idempotent. */
  async abort(): Promise<void> {
    this.closed = true;
    this.out.destroy();
    await this.done.catch(() => undefined);
    await rm(this.partial, { force: true });
  }

  private async writeHeader(rdbVersion: number | null): Promise<void> {
    this.headerWritten = true;
    await this.write(encodePreamble({ ...this.header, rdbVersion }));
  }

  private async write(chunk: Buffer, hashed = true): Promise<void> {
    this.ensureOpen();
    if (hashed) this.hash.update(chunk);
    if (!this.out.write(chunk)) await drained(this.out);
    this.ensureOpen();
  }

  private ensureOpen(): void {
    if (this.failure !== undefined) throw this.fileError(this.failure);
    if (this.closed) throw new CachectlError(`Backup file ${this.file} is already closed`);
  }

  private fileError(error: unknown): CachectlError {
    if (error instanceof CachectlError) return error;
    const code = (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message ?? 'error';
    return new CachectlError(`Writing backup file ${this.file} failed (${code})`, {
      hint: 'check free disk space and permissions; no complete backup file was left behind',
      cause: error,
    });
  }
}

/** Resolve on `drain`; reject when the stream fails or closes first. */
function drained(stream: Writable): Promise<void> {
  if (stream.destroyed) return Promise.reject(stream.errored ?? new Error('stream closed'));
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(stream.errored ?? new Error('stream closed'));
    };
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}
