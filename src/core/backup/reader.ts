/**
 * Reads a backup file as a stream of record batches, checking everything on the way: magic,
 * format version, every record's framing, the trailer's count and SHA-256, and that nothing follows
 * the trailer. Any problem is a `BackupFormatError` naming what is wrong and where.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UsageError } from '../../errors.js';
import { ByteQueue } from './byte-queue.js';
import { BackupFormatError } from './errors.js';
import {
  DUMP_FOOTER_SIZE,
  FORMAT_VERSION,
  MAGIC,
  MAX_HEADER_BYTES,
  MAX_KEY_BYTES,
  TRAILER_MARKER,
  TRAILER_SIZE,
  readInt64,
  type BackupHeader,
  type BackupRecord,
} from './format.js';

const READ_BUFFER = 1 << 20;

export interface BatchLimits {
  records: number;
  /** Payload bytes per batch (a batch always holds at least one record). */
  bytes: number;
}

/** A record's framing, read without copying it. */
export interface RecordInfo {
  keyLength: number;
  expireAtMs: number;
  dumpLength: number;
  /** RDB version from the payload's footer. */
  rdbVersion: number;
}

export class BackupReader {
  private readonly queue = new ByteQueue();
  private readonly hash = createHash('sha256');
  private held: Buffer = Buffer.alloc(0);
  private iterator: AsyncIterator<Buffer>;
  private ended = false;
  /** Uncompressed bytes read so far (for error positions). */
  private offset = 0;
  private records = 0;
  header!: BackupHeader;
  /** SHA-256 (hex) from the trailer, once the last batch was read. */
  sha256: string | undefined;

  private constructor(
    readonly file: string,
    readonly compressed: boolean,
    private readonly source: Readable,
  ) {
    this.iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Open `file` (gzip detected from its first bytes) and read its header. */
  static async open(file: string): Promise<BackupReader> {
    const compressed = await sniffGzip(file);
    const raw = createReadStream(file, { highWaterMark: READ_BUFFER });
    let source: Readable = raw;
    if (compressed) {
      const gunzip = createGunzip({ chunkSize: 256 * 1024 });
      raw.on('error', (error) => gunzip.destroy(error));
      source = raw.pipe(gunzip);
    }
    const reader = new BackupReader(file, compressed, source);
    try {
      await reader.readHeader();
    } catch (error) {
      reader.close();
      throw error;
    }
    return reader;
  }

  /** Yield the records in batches; the trailer is checked before the generator returns. */
  async *batches(limits: BatchLimits): AsyncGenerator<BackupRecord[]> {
    let batch: BackupRecord[] = [];
    let bytes = 0;
    for (let next = await this.nextRecord(); next; next = await this.nextRecord()) {
      const key = this.take(next.keyLength);
      this.skip(12);
      const dump = this.take(next.dumpLength);
      batch.push({ key, expireAtMs: next.expireAtMs, dump });
      bytes += key.length + dump.length;
      if (batch.length >= limits.records || bytes >= limits.bytes) {
        yield batch;
        batch = [];
        bytes = 0;
      }
    }
    if (batch.length > 0) yield batch;
  }

  /**
   * Check every record without building it (the verification pass). `want` sees each record's
   * framing and says whether its payload is needed; `onPayload` then gets a copy.
   */
  async walk(want: (record: RecordInfo) => boolean, onPayload: (record: RecordInfo, dump: Buffer) => void): Promise<void> {
    for (let next = await this.nextRecord(); next; next = await this.nextRecord()) {
      this.skip(next.keyLength + 12);
      if (want(next)) onPayload(next, Buffer.from(this.take(next.dumpLength)));
      else this.skip(next.dumpLength);
    }
  }

  /**
   * Frame the next record: make sure all of it is queued (from its length prefix on) and return
   * its sizes, leaving the queue at the key. After the last record, check the trailer and the end
   * of the input, and return undefined.
   */
  private async nextRecord(): Promise<RecordInfo | undefined> {
    const at = this.offset;
    await this.need(4, () => `the trailer is missing (the file ends after record ${this.records} at byte ${at})`);
    const keyLength = this.queue.uint32At(0);
    this.skip(4);
    if (keyLength === TRAILER_MARKER) {
      await this.readTrailer();
      await this.expectEnd();
      return undefined;
    }
    const where = () => `record ${this.records + 1} at byte ${at}`;
    if (keyLength > MAX_KEY_BYTES) throw this.corrupt(`${where()} has an impossible key length ${keyLength}`);
    await this.need(keyLength + 12, () => `the file ends inside ${where()}`);
    const high = this.queue.uint32At(keyLength);
    const expireAtMs = (high | 0) * 0x1_0000_0000 + this.queue.uint32At(keyLength + 4);
    const dumpLength = this.queue.uint32At(keyLength + 8);
    if (expireAtMs < -1) throw this.corrupt(`${where()} has an invalid expiry ${expireAtMs}`);
    if (dumpLength < DUMP_FOOTER_SIZE) throw this.corrupt(`${where()} has a payload of ${dumpLength} bytes (too short)`);
    const total = keyLength + 12 + dumpLength;
    await this.need(total, () => `the file ends inside ${where()}`);
    const footer = total - DUMP_FOOTER_SIZE;
    const rdbVersion = this.queue.byteAt(footer) | (this.queue.byteAt(footer + 1) << 8);
    this.records++;
    return { keyLength, expireAtMs, dumpLength, rdbVersion };
  }

  /** Stop reading (safe to call more than once). */
  close(): void {
    this.source.destroy();
  }

  private async readHeader(): Promise<void> {
    await this.need(MAGIC.length, () => 'the file is too short to be a cachectl backup', true);
    if (!this.take(MAGIC.length).equals(MAGIC)) {
      throw new BackupFormatError(`${this.file} is not a cachectl backup file (bad magic)`, {
        hint: 'give restore a file written by "cachectl backup" or --backup',
      });
    }
    let end: number;
    while ((end = this.queue.indexOf(0x0a, MAX_HEADER_BYTES)) < 0) {
      if (this.queue.length >= MAX_HEADER_BYTES) throw this.corrupt('the header line is too long');
      if (!(await this.more())) throw this.truncated('the file ends inside the header');
    }
    let header: BackupHeader;
    try {
      header = JSON.parse(this.take(end + 1).toString('utf8')) as BackupHeader;
    } catch {
      throw this.corrupt('the header is not valid JSON');
    }
    if (typeof header !== 'object' || header === null || typeof header.format !== 'number') {
      throw this.corrupt('the header has no format version');
    }
    if (header.format > FORMAT_VERSION) {
      throw new BackupFormatError(`${this.file} uses backup format ${header.format}, written by cachectl ${header.cachectl}`, {
        hint: `this cachectl reads format ${FORMAT_VERSION}; restore with cachectl ${header.cachectl} or newer`,
      });
    }
    this.header = header;
  }

  private async readTrailer(): Promise<void> {
    const at = this.offset - 4;
    await this.need(TRAILER_SIZE - 4, () => `the file ends inside the trailer at byte ${at}`);
    const rest = this.take(TRAILER_SIZE - 4);
    const count = readInt64(rest, 0);
    const stored = rest.subarray(8, 40).toString('hex');
    if (count !== this.records) throw this.corrupt(`the trailer counts ${count} records but the file holds ${this.records}`);
    this.sha256 = stored;
  }

  private async expectEnd(): Promise<void> {
    while (this.queue.length === 0) if (!(await this.more())) break;
    if (this.queue.length > 0) throw this.corrupt(`unexpected bytes after the trailer (at byte ${this.offset})`);
    // Everything but the trailer was hashed (see more()); `held` is exactly the trailer now.
    const actual = this.hash.digest('hex');
    if (actual !== this.sha256) throw this.corrupt('the SHA-256 checksum does not match the contents');
  }

  /** Make sure `n` bytes are queued, or fail with a truncation message. */
  private async need(n: number, message: () => string, header = false): Promise<void> {
    while (this.queue.length < n) {
      if (!(await this.more())) {
        if (header) throw new BackupFormatError(`${this.file} is not a cachectl backup file (${message()})`, { hint: 'check the file name' });
        throw this.truncated(message());
      }
    }
  }

  private take(n: number): Buffer {
    this.offset += n;
    return this.queue.take(n);
  }

  private skip(n: number): void {
    this.offset += n;
    this.queue.skip(n);
  }

  /**
   * Queue the next chunk; false at the end of the input. Hashes everything except the last
   * TRAILER_SIZE bytes seen so far, so at the end the hash covers exactly what precedes the trailer.
   */
  private async more(): Promise<boolean> {
    if (this.ended) return false;
    let next: IteratorResult<Buffer>;
    try {
      next = await this.iterator.next();
    } catch (error) {
      throw this.readError(error);
    }
    if (next.done) {
      this.ended = true;
      return false;
    }
    const chunk = next.value;
    this.queue.push(chunk);
    if (chunk.length >= TRAILER_SIZE) {
      this.hash.update(this.held);
      this.hash.update(chunk.subarray(0, chunk.length - TRAILER_SIZE));
      this.held = chunk.subarray(chunk.length - TRAILER_SIZE);
    } else {
      const joined = Buffer.concat([this.held, chunk]);
      const cut = Math.max(0, joined.length - TRAILER_SIZE);
      this.hash.update(joined.subarray(0, cut));
      this.held = joined.subarray(cut);
    }
    return true;
  }

  private readError(error: unknown): Error {
    const err = error as NodeJS.ErrnoException;
    if (err?.code === 'ENOENT' || err?.code === 'EACCES' || err?.code === 'EISDIR') {
      return new UsageError(`Cannot read backup file ${this.file} (${err.code})`, { hint: 'check the path and permissions' });
    }
    if (err?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(String(err?.message))) {
      return this.truncated('the compressed data ends early');
    }
    if (typeof err?.code === 'string' && err.code.startsWith('Z_')) return this.corrupt(`gzip: ${err.message}`);
    return error as Error;
  }

  private truncated(what: string): BackupFormatError {
    return new BackupFormatError(`Backup file ${this.file} is truncated: ${what}`, {
      hint: 'the backup did not finish or the copy is incomplete; nothing was restored',
    });
  }

  private corrupt(what: string): BackupFormatError {
    return new BackupFormatError(`Backup file ${this.file} is corrupted: ${what}`, {
      hint: 'the file was changed or damaged after it was written; nothing was restored',
    });
  }
}

/** gzip streams start with 1f 8b. */
async function sniffGzip(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`Cannot read backup file ${file} (${code})`, { hint: 'check the path and permissions' });
  }
  try {
    const probe = Buffer.alloc(2);
    const { bytesRead } = await handle.read(probe, 0, 2, 0);
    return bytesRead === 2 && probe[0] === 0x1f && probe[1] === 0x8b;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`Cannot read backup file ${file} (${code})`, { hint: 'give a backup file, not a folder' });
  } finally {
    await handle.close();
  }
}
