// Durability of backup files without a server: group commit (shared fsync), interrupted files
// (cut vs damaged, zero tails), the record cap, a trailer that does not fit (tmpfs, root), and
// the safe-file helpers.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, lchownSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackupFormatError } from '../../src/core/backup/errors.js';
import { FORMAT_VERSION, NO_EXPIRY, type BackupHeader, type BackupRecord } from '../../src/core/backup/format.js';
import { BackupReader } from '../../src/core/backup/reader.js';
import { verifyBackup } from '../../src/core/backup/verify.js';
import { BackupWriter } from '../../src/core/backup/writer.js';
import { createExclusive, publish, secureDir } from '../../src/core/safe-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-durable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const fileName = (ext: string) => path.join(dir, `d${++counter}${ext}`);
const isRoot = process.getuid?.() === 0;

const HEADER: Omit<BackupHeader, 'rdbVersion'> = {
  format: FORMAT_VERSION,
  cachectl: 'test',
  created: new Date().toISOString(),
  command: 'invalidate',
  sourceMode: 'capture',
  selection: ['pattern t:*'],
  source: { target: 'redis://x', mode: 'standalone', flavor: 'redis', version: '7.0.15', redisVersion: '7.0.15', valkeyVersion: null, masters: ['x:1'] },
};

function payload(body: Buffer): Buffer {
  const footer = Buffer.alloc(10);
  footer.writeUInt16LE(10, 0);
  return Buffer.concat([body, footer]);
}

const records = (n: number, from = 0, size = 50): BackupRecord[] =>
  Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`t:${from + i}`), expireAtMs: NO_EXPIRY, dump: payload(randomBytes(size)) }));

async function written(ext: string, groups: number, perGroup: number): Promise<{ file: string; bytes: Buffer }> {
  const file = fileName(ext);
  const writer = await BackupWriter.create(file, HEADER, { durable: true });
  for (let g = 0; g < groups; g++) await writer.writeRecords(records(perGroup, g * perGroup));
  await writer.finish();
  return { file, bytes: readFileSync(file) };
}

async function readAll(file: string): Promise<{ keys: string[]; cut: boolean }> {
  const reader = await BackupReader.open(file);
  const keys: string[] = [];
  try {
    for await (const batch of reader.batches({ records: 100, bytes: 1 << 20 })) for (const r of batch) keys.push(r.key.toString());
  } finally {
    reader.close();
  }
  return { keys, cut: reader.cut !== undefined };
}

describe('group commit', () => {
  it('10 concurrent captures share fsyncs (at most 2) and all resolve once on disk', async () => {
    const writer = await BackupWriter.create(fileName('.cbk'), HEADER, { durable: true });
    await Promise.all(Array.from({ length: 10 }, (_, i) => writer.writeRecords(records(5, i * 5))));
    expect(writer.syncs).toBeLessThanOrEqual(2);
    expect(writer.keys).toBe(50);
    const done = await writer.finish();
    expect(done).toMatchObject({ keys: 50, complete: true });
    expect(statSync(done.file).mode & 0o777).toBe(0o600);
  });

  it('refuses a record over 16 MiB, naming the key', async () => {
    const writer = await BackupWriter.create(fileName('.cbk'), HEADER);
    await expect(writer.writeRecords([{ key: Buffer.from('t:huge'), expireAtMs: NO_EXPIRY, dump: payload(Buffer.alloc(16 << 20)) }])).rejects.toThrow(
      /t:huge.*too large/,
    );
    await writer.abort();
  });
});

describe('interrupted files', () => {
  for (const ext of ['.cbk', '.cbk.gz']) {
    it(`a file cut at any point gives its whole records, never more, in order (${ext})`, async () => {
      const { file, bytes } = await written(ext, 6, 20);
      const cut = fileName(ext);
      let last = -1;
      for (let length = 0; length < bytes.length; length += Math.max(1, Math.floor(bytes.length / 300))) {
        writeFileSync(cut, bytes.subarray(0, length));
        let keys: string[];
        try {
          keys = (await readAll(cut)).keys;
        } catch (error) {
          // Only a cut inside the header line is not a backup at all.
          expect(error).toBeInstanceOf(BackupFormatError);
          keys = [];
        }
        expect(keys).toEqual(Array.from({ length: keys.length }, (_, i) => `t:${i}`));
        expect(keys.length).toBeGreaterThanOrEqual(last);
        last = keys.length;
        if (length > 0 && keys.length >= 0) {
          const info = await verifyBackup(cut, { partial: true }).catch(() => undefined);
          if (info) expect(info).toMatchObject({ complete: false, keys: keys.length });
        }
      }
      expect(last).toBeGreaterThan(100);
      expect(await readAll(file)).toEqual({ keys: Array.from({ length: 120 }, (_, i) => `t:${i}`), cut: false });
    });
  }

  it('a zero-filled tail (a crash before the data reached the disk) counts as cut', async () => {
    const { bytes } = await written('.cbk', 3, 10);
    const file = fileName('.cbk');
    // Keep 2 groups' worth and a bit, then zeros as far as the original length.
    const keep = Math.floor(bytes.length * 0.7);
    writeFileSync(file, Buffer.concat([bytes.subarray(0, keep), Buffer.alloc(bytes.length - keep)]));
    const { keys, cut } = await readAll(file);
    expect(cut).toBe(true);
    expect(keys.length).toBeGreaterThan(10);
    await expect(verifyBackup(file)).rejects.toThrow(/interrupted backup: \d+ complete records, the rest of the file is cut/);
  });

  it('a changed byte in the middle is damage: the whole file is refused, even with --partial', async () => {
    const { bytes } = await written('.cbk', 3, 10);
    const file = fileName('.cbk');
    const copy = Buffer.from(bytes);
    copy[Math.floor(copy.length / 2)]! ^= 0x01;
    writeFileSync(file, copy.subarray(0, copy.length - 100)); // cut as well: damage still wins
    await expect(verifyBackup(file, { partial: true })).rejects.toThrow(/corrupted/);
  });
});

describe.skipIf(!isRoot)('a full disk (tmpfs; root)', () => {
  it('a failed group rejects its callers and is cut back; close() keeps the file restorable', async () => {
    const mount = path.join(dir, 'small');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]);
    try {
      const writer = await BackupWriter.create(path.join(mount, 'f.cbk'), HEADER, { durable: true });
      await writer.writeRecords(records(100, 0, 500));
      // Another process takes the rest of the space.
      const fd = openSync(path.join(mount, 'filler'), 'w');
      try {
        for (;;) writeSync(fd, Buffer.alloc(4096, 1));
      } catch {
        // full
      } finally {
        closeSync(fd);
      }
      await expect(writer.writeRecords(records(100, 100, 500))).rejects.toThrow(/ENOSPC/);
      const done = await writer.close();
      expect(done.keys).toBe(100);
      const { keys } = await readAll(done.file);
      expect(keys).toEqual(Array.from({ length: 100 }, (_, i) => `t:${i}`));
      expect(statSync(done.file).size).toBe(done.bytes);
    } finally {
      execFileSync('umount', [mount]);
    }
  });

  it('when even the trailer does not fit, the file stays FILE.partial (complete: false) and reads as interrupted', async () => {
    const mount = path.join(dir, 'tiny');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]);
    try {
      const writer = await BackupWriter.create(path.join(mount, 'f.cbk'), HEADER, { durable: true });
      await writer.writeRecords(records(99, 0, 500));
      // One more record ending the file exactly on a page: no slack left in its last page.
      const slack = 4096 - (statSync(path.join(mount, 'f.cbk.partial')).size % 4096);
      const key = Buffer.from('t:99');
      await writer.writeRecords([{ key, expireAtMs: NO_EXPIRY, dump: payload(randomBytes(slack + 4096 - 20 - key.length - 4 - 10)) }]);
      expect(statSync(path.join(mount, 'f.cbk.partial')).size % 4096).toBe(0);
      const fd = openSync(path.join(mount, 'filler'), 'w');
      const fillUp = () => {
        try {
          for (;;) writeSync(fd, Buffer.alloc(512, 1));
        } catch {
          // full
        }
      };
      fillUp();
      await expect(writer.writeRecords(records(100, 100, 500))).rejects.toThrow(/ENOSPC/);
      fillUp(); // the space given back by the cut is taken again
      closeSync(fd);
      const done = await writer.close();
      expect(done).toMatchObject({ complete: false, keys: 100, file: path.join(mount, 'f.cbk.partial') });
      await expect(verifyBackup(done.file)).rejects.toThrow(/interrupted backup: 100 complete records/);
      expect(await readAll(done.file)).toEqual({ keys: Array.from({ length: 100 }, (_, i) => `t:${i}`), cut: true });
    } finally {
      execFileSync('umount', [mount]);
    }
  });
});

describe('safe files', () => {
  it('createExclusive refuses a link or a file at the name and never writes through it', async () => {
    const target = fileName('.txt');
    writeFileSync(target, 'keep');
    const link = fileName('.partial');
    symlinkSync(target, link);
    await expect(createExclusive(link)).rejects.toThrow(/symbolic link already has that name/);
    expect(readFileSync(target, 'utf8')).toBe('keep');
    await expect(createExclusive(target)).rejects.toThrow(/a file already has that name/);
  });

  it('publish without overwrite keeps the data in the temporary file when the name is taken', async () => {
    const temp = fileName('.partial');
    const file = fileName('.cbk');
    writeFileSync(temp, 'data');
    writeFileSync(file, 'other');
    await expect(publish(temp, file)).rejects.toThrow(/the data is kept in/);
    expect(readFileSync(temp, 'utf8')).toBe('data');
    expect(readFileSync(file, 'utf8')).toBe('other');
  });

  it('secureDir creates missing levels 0700 and follows only trusted links', async () => {
    const made = await secureDir(path.join(dir, 'a', 'b'));
    expect(statSync(made).mode & 0o777).toBe(0o700);
    const link = path.join(dir, 'trusted');
    symlinkSync(made, link);
    await expect(secureDir(path.join(link, 'c'))).resolves.toBe(path.join(link, 'c'));
    if (isRoot) {
      const foreign = path.join(dir, 'foreign');
      symlinkSync(made, foreign);
      lchownSync(foreign, 65534, 65534);
      await expect(secureDir(path.join(foreign, 'd'))).rejects.toThrow(/symbolic link owned by another user/);
    }
  });
});
