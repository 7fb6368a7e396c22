/**
 * Checking a backup file end to end without touching any server: framing, count, checksum, and
 * what restore would meet (RDB versions of the payloads, keys already expired).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { BackupFormatError } from './errors.js';
import { formatCount } from '../stats/format.js';
import { NO_EXPIRY, type BackupHeader } from './format.js';
import { BackupReader, type CutPoint } from './reader.js';

/** What a verified backup file holds. */
export interface BackupInfo {
  file: string;
  header: BackupHeader;
  /** Records in the file (checked against the trailer). */
  keys: number;
  /** Keys stored with an expiry. */
  withTtl: number;
  /** Keys whose expiry has passed at verification time (restore skips them with --ttl-mode keep). */
  expired: number;
  /** Size on disk. */
  bytes: number;
  compressed: boolean;
  /** SHA-256 (hex) from the trailer, checked against the contents. */
  sha256: string;
  /** Distinct RDB versions of the payloads. */
  rdbVersions: number[];
  /** False for an interrupted backup: `keys` whole records, then the file is cut. */
  complete: boolean;
  /** Where an interrupted backup stops. */
  cut?: CutPoint;
  /** Largest record (key + payload) in bytes. */
  largest: number;
}

export interface VerifyOptions {
  /** Accept an interrupted backup (its whole records); default: refuse it. */
  partial?: boolean;
}

/** A verified file plus one small payload per RDB version (to probe a target before restoring). */
export interface Inspection extends BackupInfo {
  samples: Map<number, Buffer>;
}

export const READ_LIMITS = { records: 1000, bytes: 8 << 20 };

/**
 * Read the whole file and check magic, format version, every record's framing, the trailer's
 * count and SHA-256. Throws `BackupFormatError` (exit code 2) on any problem.
 */
export async function verifyBackup(file: string, options: VerifyOptions = {}): Promise<BackupInfo> {
  const { samples: _samples, ...info } = await inspectBackup(file);
  requireComplete(info, options);
  return info;
}

/** Refuse an interrupted backup unless `partial`: a cut file cannot say what it is missing. */
export function requireComplete(info: BackupInfo, options: VerifyOptions): void {
  if (info.complete || options.partial) return;
  const n = formatCount(info.keys);
  throw new BackupFormatError(
    `Backup file ${info.file} is an interrupted backup: ${n} complete records, the rest of the file is cut (${info.cut?.reason ?? 'no trailer'})`,
    {
      hint: `restore --partial puts back those ${n} records (the file cannot say what is missing); nothing was restored`,
    },
  );
}

/** `verifyBackup` that also keeps the smallest payload of each RDB version. */
export async function inspectBackup(file: string): Promise<Inspection> {
  const absolute = path.resolve(file);
  const reader = await BackupReader.open(absolute);
  const now = Date.now();
  let keys = 0;
  let withTtl = 0;
  let expired = 0;
  let largest = 0;
  const samples = new Map<number, Buffer>();
  try {
    await reader.walk(
      (record) => {
        keys++;
        largest = Math.max(largest, record.keyLength + record.dumpLength);
        if (record.expireAtMs !== NO_EXPIRY) {
          withTtl++;
          if (record.expireAtMs <= now) expired++;
        }
        const sample = samples.get(record.rdbVersion);
        return !sample || record.dumpLength < sample.length;
      },
      (record, dump) => samples.set(record.rdbVersion, dump),
    );
  } finally {
    reader.close();
  }
  const { size } = await stat(absolute);
  return {
    file: absolute,
    header: reader.header,
    keys,
    withTtl,
    expired,
    bytes: size,
    compressed: reader.compressed,
    sha256: reader.sha256 ?? '',
    rdbVersions: [...samples.keys()].sort((a, b) => a - b),
    complete: reader.complete,
    ...(reader.cut ? { cut: reader.cut } : {}),
    largest,
    samples,
  };
}
