/**
 * Reads a backup file as a stream of record batches, checking everything on the way: magic,
 * format version, every record's framing, the trailer's count and SHA-256, and that nothing follows
 * the trailer. Any problem is a `BackupFormatError` naming what is wrong and where.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { crc32, createGunzip } from 'node:zlib';
import { UsageError } from '../../errors.js';
import { ByteQueue } from './byte-queue.js';
import { BackupFormatError } from './errors.js';
import {
  DUMP_FOOTER_SIZE,
  FORMAT_VERSION,
  HEAD_SIZE,
  MAGIC,
  MAX_HEADER_BYTES,
  MAX_RECORD_BYTES,
  TRAILER_MARKER,
  TRAILER_SIZE,
  TRAILER_SIZE_V1,
  readInt64,
  type BackupHeader,
  type BackupRecord,
} from './format.js';
import { headerFormat, parseHeader } from './header.js';

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

/** Where an interrupted file stops. */
export interface CutPoint {
  /** Whole records before the cut. */
  records: number;
  /** Uncompressed byte offset of the cut. */
  at: number;
  /** What was found there. */
  reason: string;
}

/** The input ended (or turned to zeros) before the record or trailer in hand was whole. */
class Cut extends Error {}

export class BackupReader {
  private readonly queue = new ByteQueue();
  private readonly hash = createHash('sha256');
  private held: Buffer = Buffer.alloc(0);
  private iterator: AsyncIterator<Buffer>;
  private ended = false;
  /** Why the input ended early (gzip stream cut), if it did. */
  private endedEarly: string | undefined;
  /** Uncompressed bytes read so far (for error positions). */
  private offset = 0;
  private records = 0;
  header!: BackupHeader;
  /** SHA-256 (hex) from the trailer, once the last batch was read. */
  sha256: string | undefined;
  /** Set when the file stops before its trailer (an interrupted backup). */
  cut: CutPoint | undefined;

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

  /** True once the trailer was read and checked. */
  get complete(): boolean {
    return this.sha256 !== undefined;
  }

  /**
   * Yield the records in batches; the trailer is checked before the generator returns. A cut file
   * ends early with `cut` set; `limit` stops after that many records.
   */
  async *batches(limits: BatchLimits, limit = Infinity): AsyncGenerator<BackupRecord[]> {
    let batch: BackupRecord[] = [];
    let bytes = 0;
    let count = 0;
    for (let next = count < limit ? await this.nextRecord() : undefined; next; next = ++count < limit ? await this.nextRecord() : undefined) {
      const record = this.takeRecord(next);
      batch.push(record);
      bytes += record.key.length + record.dump.length;
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
      const { dump } = this.takeRecord(next);
      if (want(next)) onPayload(next, Buffer.from(dump));
    }
  }

  private get format(): number {
    return this.header.format;
  }

  /** Take the framed record from the queue (its whole length is queued). */
  private takeRecord(info: RecordInfo): BackupRecord {
    if (this.format === 1) {
      const key = this.take(info.keyLength);
      this.skip(12);
      return { key, expireAtMs: info.expireAtMs, dump: this.take(info.dumpLength) };
    }
    this.skip(HEAD_SIZE);
    const key = this.take(info.keyLength);
    const dump = this.take(info.dumpLength);
    this.skip(4);
    return { key, expireAtMs: info.expireAtMs, dump };
  }

  /**
   * Frame the next record: make sure all of it is queued and checked, and return its sizes,
   * leaving the queue at its start. After the last record, check the trailer and the end of the
   * input, and return undefined. A file that stops part-way sets `cut` and returns undefined.
   */
  private async nextRecord(): Promise<RecordInfo | undefined> {
    const at = this.offset;
    try {
      return this.format === 1 ? await this.nextV1(at) : await this.nextV2(at);
    } catch (error) {
      if (!(error instanceof Cut)) throw error;
      this.cut = { records: this.records, at, reason: error.message };
      return undefined;
    }
  }

  private where(at: number): string {
    return `record ${this.records + 1} at byte ${at}`;
  }

  private async nextV2(at: number): Promise<RecordInfo | undefined> {
    await this.need(HEAD_SIZE, () => `the file ends after record ${this.records}`);
    await this.checkCrc(0, HEAD_SIZE - 4, () => `${this.where(at)} has a damaged length field`);
    const keyLength = this.queue.uint32At(0);
    const dumpLength = this.queue.uint32At(4);
    const expireAtMs = (this.queue.uint32At(8) | 0) * 0x1_0000_0000 + this.queue.uint32At(12);
    if (keyLength === TRAILER_MARKER) {
      await this.readTrailerV2(at);
      return undefined;
    }
    this.checkSizes(at, keyLength, dumpLength, expireAtMs);
    const total = HEAD_SIZE + keyLength + dumpLength + 4;
    await this.need(total, () => `the file ends inside ${this.where(at)}`);
    await this.checkCrc(0, total - 4, () => `${this.where(at)} does not match its checksum`);
    this.records++;
    return { keyLength, expireAtMs, dumpLength, rdbVersion: this.rdbVersionAt(HEAD_SIZE + keyLength + dumpLength) };
  }

  private async nextV1(at: number): Promise<RecordInfo | undefined> {
    await this.need(4, () => `the file ends after record ${this.records}`);
    const keyLength = this.queue.uint32At(0);
    if (keyLength === TRAILER_MARKER) {
      this.skip(4);
      await this.readTrailerV1(at);
      return undefined;
    }
    if (keyLength > MAX_RECORD_BYTES) throw this.tooLarge(at, keyLength);
    await this.need(4 + keyLength + 12, () => `the file ends inside ${this.where(at)}`);
    const expireAtMs = (this.queue.uint32At(4 + keyLength) | 0) * 0x1_0000_0000 + this.queue.uint32At(8 + keyLength);
    const dumpLength = this.queue.uint32At(12 + keyLength);
    this.checkSizes(at, keyLength, dumpLength, expireAtMs);
    const total = 4 + keyLength + 12 + dumpLength;
    await this.need(total, () => `the file ends inside ${this.where(at)}`);
    this.skip(4);
    this.records++;
    return { keyLength, expireAtMs, dumpLength, rdbVersion: this.rdbVersionAt(keyLength + 12 + dumpLength) };
  }

  /** Lengths and expiry of a record, checked before its bytes are waited for. */
  private checkSizes(at: number, keyLength: number, dumpLength: number, expireAtMs: number): void {
    if (keyLength + dumpLength > MAX_RECORD_BYTES) throw this.tooLarge(at, keyLength + dumpLength);
    if (expireAtMs < -1) throw this.corrupt(`${this.where(at)} has an invalid expiry ${expireAtMs}`);
    if (dumpLength < DUMP_FOOTER_SIZE) throw this.corrupt(`${this.where(at)} has a payload of ${dumpLength} bytes (too short)`);
  }

  private tooLarge(at: number, bytes: number): BackupFormatError {
    return new BackupFormatError(`Backup file ${this.file} is refused: ${this.where(at)} declares ${bytes} bytes, more than the 16 MiB limit`, {
      hint: 'cachectl never writes records that large; the file was crafted or damaged; nothing was restored',
    });
  }

  private rdbVersionAt(end: number): number {
    const footer = end - DUMP_FOOTER_SIZE;
    return this.queue.byteAt(footer) | (this.queue.byteAt(footer + 1) << 8);
  }

  /**
   * The CRC-32 of queued bytes [from, to) against the u32 stored at `to`. A mismatch is a cut when
   * the stored CRC and everything after it to the end of the input are zeros (a tail the system
   * never wrote), and damage otherwise.
   */
  private async checkCrc(from: number, to: number, what: () => string): Promise<void> {
    const stored = this.queue.uint32At(to);
    const actual = crc32(this.queue.peek(from, to - from));
    if (stored === actual) return;
    if (await this.zerosToEnd(to)) throw new Cut(`the rest of the file is zeros (${what()})`);
    throw this.corrupt(what());
  }

  /** True when every byte from queued position `from` to the end of the input is zero. */
  private async zerosToEnd(from: number): Promise<boolean> {
    if (!this.queue.zeroFrom(from)) return false;
    // Read on to the end, dropping zero chunks as they come (memory stays bounded).
    while (await this.more(true)) if (!this.queue.zeroFrom(from)) return false;
    return true;
  }

  private async readTrailerV2(at: number): Promise<void> {
    await this.need(TRAILER_SIZE, () => `the file ends inside the trailer at byte ${at}`);
    await this.checkCrc(0, TRAILER_SIZE - 4, () => `the trailer at byte ${at} does not match its checksum`);
    const trailer = this.take(TRAILER_SIZE);
    const count = readInt64(trailer, 8);
    if (count !== this.records) throw this.corrupt(`the trailer counts ${count} records but the file holds ${this.records}`);
    await this.expectEnd(trailer.subarray(HEAD_SIZE, HEAD_SIZE + 32).toString('hex'), TRAILER_SIZE);
  }

  private async readTrailerV1(at: number): Promise<void> {
    await this.need(TRAILER_SIZE_V1 - 4, () => `the file ends inside the trailer at byte ${at}`);
    const rest = this.take(TRAILER_SIZE_V1 - 4);
    const count = readInt64(rest, 0);
    if (count !== this.records) throw this.corrupt(`the trailer counts ${count} records but the file holds ${this.records}`);
    await this.expectEnd(rest.subarray(8, 40).toString('hex'), TRAILER_SIZE_V1);
  }

  private async expectEnd(stored: string, trailerSize: number): Promise<void> {
    while (this.queue.length === 0) if (!(await this.more())) break;
    if (this.queue.length > 0) throw this.corrupt(`unexpected bytes after the trailer (at byte ${this.offset})`);
    // The trailer is there but the gzip stream around it is not finished: the write was cut.
    if (this.endedEarly !== undefined) throw new Cut(`the trailer is there, but ${this.endedEarly}`);
    // Everything but the last TRAILER_SIZE bytes was hashed (see more()); `held` ends with the trailer.
    this.hash.update(this.held.subarray(0, Math.max(0, this.held.length - trailerSize)));
    const actual = this.hash.digest('hex');
    if (actual !== stored) throw this.corrupt('the SHA-256 checksum does not match the contents');
    this.sha256 = stored;
  }

  /** Make sure `n` bytes are queued, or stop as a cut. */
  private async need(n: number, message: () => string): Promise<void> {
    while (this.queue.length < n) {
      if (!(await this.more())) throw new Cut(this.endedEarly ? `${message()} (${this.endedEarly})` : message());
    }
  }

  /** Stop reading (safe to call more than once). */
  close(): void {
    this.source.destroy();
  }

  private async readHeader(): Promise<void> {
    while (this.queue.length < MAGIC.length) {
      if (!(await this.more())) {
        throw new BackupFormatError(`${this.file} is not a cachectl backup file (the file is too short to be a cachectl backup)`, {
          hint: 'check the file name',
        });
      }
    }
    if (!this.take(MAGIC.length).equals(MAGIC)) {
      throw new BackupFormatError(`${this.file} is not a cachectl backup file (bad magic)`, {
        hint: 'give restore a file written by "cachectl backup" or --backup',
      });
    }
    let end: number;
    while ((end = this.queue.indexOf(0x0a, MAX_HEADER_BYTES)) < 0) {
      if (this.queue.length >= MAX_HEADER_BYTES) throw this.corrupt('the header line is too long');
      if (!(await this.more())) {
        throw new BackupFormatError(`Backup file ${this.file} is truncated: the file ends inside the header${this.endedEarly ? ` (${this.endedEarly})` : ''}`, {
          hint: 'the backup did not finish or the copy is incomplete; it holds no record; nothing was restored',
        });
      }
    }
    let raw: unknown;
    try {
      raw = JSON.parse(this.take(end + 1).toString('utf8'));
    } catch {
      throw this.corrupt('the header is not valid JSON');
    }
    const format = headerFormat(raw);
    if (format === undefined) throw this.corrupt('the header has no format version');
    const header = raw as BackupHeader;
    if (format > FORMAT_VERSION) {
      throw new BackupFormatError(`${this.file} uses backup format ${header.format}, written by cachectl ${header.cachectl}`, {
        hint: `this cachectl reads format ${FORMAT_VERSION}; restore with cachectl ${header.cachectl} or newer`,
      });
    }
    const parsed = parseHeader(raw);
    if ('problem' in parsed) throw this.corrupt(`the ${parsed.problem}`);
    this.header = parsed.header;
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
  private async more(dropZeros = false): Promise<boolean> {
    if (this.ended) return false;
    let next: IteratorResult<Buffer>;
    try {
      next = await this.iterator.next();
    } catch (error) {
      const failure = this.readError(error);
      if (!(failure instanceof Cut)) throw failure;
      this.ended = true;
      this.endedEarly = failure.message;
      return false;
    }
    if (next.done) {
      this.ended = true;
      return false;
    }
    const chunk = next.value;
    // Checking a zero tail: an all-zero chunk is counted, not kept.
    if (dropZeros && chunk.every((byte) => byte === 0)) return true;
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
      return new Cut('the compressed data ends early');
    }
    if (typeof err?.code === 'string' && err.code.startsWith('Z_')) return this.corrupt(`gzip: ${err.message}`);
    return error as Error;
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
