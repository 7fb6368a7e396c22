/**
 * The backup file format (docs/backup.md): magic line, JSON header line, framed records, a trailer
 * with the record count and a SHA-256 over every byte before it. All integers are big-endian. The
 * file is gzip-compressed when its name ends in `.gz` (one gzip member per group of records, so a
 * file cut at any point still decompresses up to its last whole group).
 *
 *   "CACHECTL-BACKUP\n"
 *   <header JSON>\n
 * format 2 (written):
 *   record   [u32 keyLen][u32 dumpLen][i64 expireAtMs][u32 CRC-32 of those 16 bytes][key][dump]
 *            [u32 CRC-32 of the record's bytes before it]
 *   trailer  [u32 0xFFFFFFFF][u32 0][u64 count][u32 CRC-32 of those 16 bytes][32 bytes SHA-256]
 *            [u32 CRC-32 of the trailer's bytes before it]
 * format 1 (still read):
 *   record   [u32 keyLen][key][i64 expireAtMs][u32 dumpLen][dump]
 *   trailer  [u32 0xFFFFFFFF][u64 count][32 bytes SHA-256]
 *
 * The fixed head of a format-2 record is checked before its lengths are trusted, so a file that
 * stops part-way (cut) is told apart from one whose bytes were changed (damaged).
 */
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';

export const MAGIC = Buffer.from('CACHECTL-BACKUP\n', 'latin1');
export const FORMAT_VERSION = 2;
/** A key length no key can have (Redis keys are at most 512 MB): marks the trailer. */
export const TRAILER_MARKER = 0xffffffff;
/** Format-1 trailer. */
export const TRAILER_SIZE_V1 = 4 + 8 + 32;
/** Format-2 record head: key length, payload length, expiry, CRC-32 of those. */
export const HEAD_SIZE = 4 + 4 + 8 + 4;
/** Format-2 trailer: a head (marker, 0, count, CRC) + SHA-256 + CRC-32. */
export const TRAILER_SIZE = HEAD_SIZE + 32 + 4;
/** Largest record (key + payload) written or read: bounds memory for any input (docs/backup.md). */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Largest header line a reader accepts. */
export const MAX_HEADER_BYTES = 1 << 20;
/** Redis' own limit for a key (and, by default, for one bulk string). */
export const MAX_KEY_BYTES = 512 * 1024 * 1024;
/** A DUMP payload ends with a 2-byte RDB version and an 8-byte CRC64. */
export const DUMP_FOOTER_SIZE = 10;
/** `expireAtMs` of a key without a TTL. */
export const NO_EXPIRY = -1;

/** One key as stored: its name, absolute expiry (ms since epoch, or -1) and DUMP payload. */
export interface BackupRecord {
  key: Buffer;
  expireAtMs: number;
  dump: Buffer;
}

/** The server a backup was taken from. */
export interface BackupSource {
  /** Printable server name (no password). */
  target: string;
  mode: string;
  flavor: string;
  /** The product version (valkey_version on Valkey, redis_version on Redis). */
  version: string;
  redisVersion: string;
  valkeyVersion: string | null;
  /** `host:port` of every master read from. */
  masters: string[];
}

/** The JSON header line. Unknown fields are ignored by readers of the same format version. */
export interface BackupHeader {
  format: number;
  /** cachectl version that wrote the file. */
  cachectl: string;
  /** When the backup started (ISO 8601, UTC). */
  created: string;
  /** The command that wrote it: `backup`, or a destructive command run with `--backup`. */
  command: string;
  /** How keys were read: `scan` (backup) or `capture` (keys a destructive command deleted). */
  sourceMode: 'scan' | 'capture';
  /** Labels of the families / patterns selected (placeholder values are not recorded). */
  selection: string[];
  source: BackupSource;
  /** RDB version of the first payload (null when the file holds no keys); every payload carries its own. */
  rdbVersion: number | null;
}

/** RDB version stored in the footer of a DUMP payload (little-endian u16), or -1 if too short. */
export function payloadRdbVersion(dump: Buffer): number {
  if (dump.length < DUMP_FOOTER_SIZE) return -1;
  return dump.readUInt16LE(dump.length - DUMP_FOOTER_SIZE);
}

/** Encode the magic and header line. */
export function encodePreamble(header: BackupHeader): Buffer {
  return Buffer.concat([MAGIC, Buffer.from(`${JSON.stringify(header)}\n`, 'utf8')]);
}

/** Size of a record on disk (format 2). */
export function recordSize(record: BackupRecord): number {
  return HEAD_SIZE + record.key.length + record.dump.length + 4;
}

/** Encode records into one buffer (one allocation per batch keeps writes cheap). */
export function encodeRecords(records: readonly BackupRecord[]): Buffer {
  let size = 0;
  for (const r of records) size += recordSize(r);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const r of records) {
    const start = at;
    at = out.writeUInt32BE(r.key.length, at);
    at = out.writeUInt32BE(r.dump.length, at);
    at = writeInt64(out, r.expireAtMs, at);
    at = out.writeUInt32BE(crc32(out.subarray(start, at)), at);
    at += r.key.copy(out, at);
    at += r.dump.copy(out, at);
    at = out.writeUInt32BE(crc32(out.subarray(start, at)), at);
  }
  return out;
}

/** Encode the trailer: marker, record count, SHA-256 of everything before the trailer, CRCs. */
export function encodeTrailer(count: number, sha256: Buffer): Buffer {
  const out = Buffer.alloc(TRAILER_SIZE);
  out.writeUInt32BE(TRAILER_MARKER, 0);
  writeInt64(out, count, 8);
  out.writeUInt32BE(crc32(out.subarray(0, 16)), 16);
  sha256.copy(out, HEAD_SIZE);
  out.writeUInt32BE(crc32(out.subarray(0, TRAILER_SIZE - 4)), TRAILER_SIZE - 4);
  return out;
}

/** Write a safe integer (≥ -1) as a two's-complement i64; returns the next offset. */
export function writeInt64(buf: Buffer, value: number, at: number): number {
  const high = Math.floor(value / 0x1_0000_0000);
  buf.writeInt32BE(high, at);
  buf.writeUInt32BE(value - high * 0x1_0000_0000, at + 4);
  return at + 8;
}

/** Read an i64 written by `writeInt64` (exact for safe integers). */
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4);
}

let cachedVersion: string | undefined;

/** cachectl's own version, read once on first use (importing stays side-effect free). */
export function cachectlVersion(): string {
  if (cachedVersion === undefined) {
    try {
      // src/core/backup → package.json, and the same from dist/core/backup.
      const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
      cachedVersion = (JSON.parse(text) as { version?: string }).version ?? 'unknown';
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}
