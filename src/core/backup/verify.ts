/**
 * Checking a backup file end to end without touching any server: framing, count, checksum, and
 * what restore would meet (RDB versions of the payloads, keys already expired).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { NO_EXPIRY, type BackupHeader } from './format.js';
import { BackupReader } from './reader.js';

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
export async function verifyBackup(file: string): Promise<BackupInfo> {
  const { samples: _samples, ...info } = await inspectBackup(file);
  return info;
}

/** `verifyBackup` that also keeps the smallest payload of each RDB version. */
export async function inspectBackup(file: string): Promise<Inspection> {
  const absolute = path.resolve(file);
  const reader = await BackupReader.open(absolute);
  const now = Date.now();
  let keys = 0;
  let withTtl = 0;
  let expired = 0;
  const samples = new Map<number, Buffer>();
  try {
    await reader.walk(
      (record) => {
        keys++;
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
    samples,
  };
}
