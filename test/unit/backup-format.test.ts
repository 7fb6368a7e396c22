// The backup file format without a server: writer → reader round trips, and every way a file can
// be cut short or damaged is refused.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ByteQueue } from '../../src/core/backup/byte-queue.js';
import { BackupFormatError } from '../../src/core/backup/errors.js';
import {
  FORMAT_VERSION,
  MAGIC,
  NO_EXPIRY,
  TRAILER_SIZE,
  payloadRdbVersion,
  readInt64,
  writeInt64,
  type BackupHeader,
  type BackupRecord,
} from '../../src/core/backup/format.js';
import { BackupReader } from '../../src/core/backup/reader.js';
import { verifyBackup } from '../../src/core/backup/verify.js';
import { BackupWriter } from '../../src/core/backup/writer.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const fileName = (ext: string) => path.join(dir, `f${++counter}${ext}`);

const HEADER: Omit<BackupHeader, 'rdbVersion'> = {
  format: FORMAT_VERSION,
  cachectl: 'test',
  created: new Date().toISOString(),
  command: 'backup',
  sourceMode: 'scan',
  selection: ['pattern t:*'],
  source: { target: 'redis://x', mode: 'standalone', flavor: 'redis', version: '7.0.15', redisVersion: '7.0.15', valkeyVersion: null, masters: ['x:1'] },
};

/** A fake DUMP payload: body, then RDB version (LE u16) and 8 checksum bytes, like the server's. */
function payload(body: Buffer, rdb = 10): Buffer {
  const footer = Buffer.alloc(10);
  footer.writeUInt16LE(rdb, 0);
  randomBytes(8).copy(footer, 2);
  return Buffer.concat([body, footer]);
}

function sampleRecords(): BackupRecord[] {
  return [
    { key: Buffer.from('t:plain'), expireAtMs: NO_EXPIRY, dump: payload(Buffer.from('hello')) },
    { key: Buffer.from([0x74, 0x00, 0xff, 0x0a, 0x7b]), expireAtMs: Date.now() + 60_000, dump: payload(randomBytes(37)) },
    { key: Buffer.alloc(0), expireAtMs: 2 ** 52, dump: payload(Buffer.alloc(0), 11) },
    { key: randomBytes(300), expireAtMs: 1, dump: payload(randomBytes(3 << 20)) }, // spans many read chunks
  ];
}

async function writeFile(file: string, records: BackupRecord[], batches = 2): Promise<void> {
  const writer = await BackupWriter.create(file, HEADER);
  const size = Math.ceil(records.length / batches);
  // Concurrent calls: the writer queues them in call order.
  await Promise.all(Array.from({ length: batches }, (_, i) => writer.writeRecords(records.slice(i * size, (i + 1) * size))));
  await writer.finish();
}

async function readAll(file: string): Promise<{ header: BackupHeader; records: BackupRecord[] }> {
  const reader = await BackupReader.open(file);
  const records: BackupRecord[] = [];
  try {
    for await (const batch of reader.batches({ records: 2, bytes: 1 << 20 }))
      records.push(...batch.map((r) => ({ ...r, key: Buffer.from(r.key), dump: Buffer.from(r.dump) })));
  } finally {
    reader.close();
  }
  return { header: reader.header, records };
}

describe('int64 fields', () => {
  it('round-trip -1, 0, 2^32 neighbours and the largest safe integer', () => {
    const buf = Buffer.alloc(8);
    for (const value of [-1, 0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, Date.now(), Number.MAX_SAFE_INTEGER]) {
      writeInt64(buf, value, 0);
      expect(readInt64(buf, 0)).toBe(value);
      expect(buf.readBigInt64BE(0)).toBe(BigInt(value));
    }
  });
});

describe('ByteQueue', () => {
  it('takes exact sizes across chunk boundaries and finds bytes', () => {
    const q = new ByteQueue();
    const data = randomBytes(1000);
    for (let at = 0; at < data.length; at += 7) q.push(data.subarray(at, at + 7));
    expect(q.indexOf(data[500]!, 1000)).toBe(data.indexOf(data[500]!));
    const out: Buffer[] = [];
    for (const n of [1, 6, 7, 13, 100, 0, 873]) out.push(q.take(n));
    expect(Buffer.concat(out).equals(data)).toBe(true);
    expect(q.length).toBe(0);
    expect(() => q.take(1)).toThrow(RangeError);
  });

  it('reads u32 and single bytes in place (straddling chunks too) and skips without copying', () => {
    const q = new ByteQueue();
    const data = randomBytes(100);
    for (let at = 0; at < data.length; at += 3) q.push(data.subarray(at, at + 3));
    for (const offset of [0, 1, 2, 3, 50, 96]) {
      expect(q.uint32At(offset)).toBe(data.readUInt32BE(offset));
      expect(q.byteAt(offset)).toBe(data[offset]);
    }
    q.skip(7);
    expect(q.uint32At(0)).toBe(data.readUInt32BE(7));
    q.skip(0);
    expect(q.take(3).equals(data.subarray(7, 10))).toBe(true);
    expect(() => q.skip(91)).toThrow(RangeError);
    q.skip(90);
    expect(q.length).toBe(0);
  });
});

describe.each(['.cbk', '.cbk.gz'])('writer and reader (%s)', (ext) => {
  it('round-trips binary keys, payloads and expiries, in order', async () => {
    const file = fileName(ext);
    const records = sampleRecords();
    await writeFile(file, records);
    const { header, records: back } = await readAll(file);
    expect(header).toEqual({ ...HEADER, rdbVersion: 10 });
    expect(back).toHaveLength(records.length);
    back.forEach((r, i) => {
      expect(r.key.equals(records[i]!.key)).toBe(true);
      expect(r.dump.equals(records[i]!.dump)).toBe(true);
      expect(r.expireAtMs).toBe(records[i]!.expireAtMs);
    });
    const raw = readFileSync(file);
    const plain = ext.endsWith('.gz') ? gunzipSync(raw) : raw;
    expect(ext.endsWith('.gz')).toBe(raw[0] === 0x1f && raw[1] === 0x8b);
    expect(plain.subarray(0, MAGIC.length).equals(MAGIC)).toBe(true);

    const info = await verifyBackup(file);
    expect(info).toMatchObject({ keys: 4, withTtl: 3, expired: 1, compressed: ext.endsWith('.gz'), rdbVersions: [10, 11], bytes: raw.length });
    expect(info.sha256).toBe(plain.subarray(plain.length - 36, plain.length - 4).toString('hex'));
  });

  it('an empty backup is valid (header, no records, trailer)', async () => {
    const file = fileName(ext);
    await writeFile(file, [], 1);
    const info = await verifyBackup(file);
    expect(info.keys).toBe(0);
    expect(info.header.rdbVersion).toBeNull();
  });

  it('never leaves a complete-looking file before finish(); abort() removes the partial file', async () => {
    const file = fileName(ext);
    const writer = await BackupWriter.create(file, HEADER);
    await writer.writeRecords(sampleRecords().slice(0, 2));
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.partial`)).toBe(true);
    await expect(verifyBackup(`${file}.partial`)).rejects.toBeInstanceOf(BackupFormatError);
    await writer.abort();
    expect(readdirSync(dir).filter((n) => n.startsWith(path.basename(file)))).toEqual([]);
  });
});

describe('writer refusals', () => {
  it('an existing file is not replaced unless asked', async () => {
    const file = fileName('.cbk');
    writeFileSync(file, 'precious');
    await expect(BackupWriter.create(file, HEADER)).rejects.toThrow(/already exists/);
    expect(readFileSync(file, 'utf8')).toBe('precious');
    const writer = await BackupWriter.create(file, HEADER, { overwrite: true });
    await writer.finish();
    expect((await verifyBackup(file)).keys).toBe(0);
  });

  it('a folder that does not exist is a usage error before anything else', async () => {
    await expect(BackupWriter.create(path.join(dir, 'missing', 'x.cbk'), HEADER)).rejects.toMatchObject({
      code: 'CACHECTL_USAGE',
      message: expect.stringMatching(/ENOENT/),
    });
  });
});

describe('damaged files are refused', () => {
  const small: BackupRecord[] = [
    { key: Buffer.from('a'), expireAtMs: NO_EXPIRY, dump: payload(Buffer.from('xy')) },
    { key: Buffer.from('bb'), expireAtMs: 123456789, dump: payload(Buffer.from('z')) },
  ];

  it('cut at every byte offset (plain)', async () => {
    const file = fileName('.cbk');
    await writeFile(file, small, 1);
    const whole = readFileSync(file);
    const cut = fileName('.cbk');
    const messages = new Set<string>();
    for (let length = 0; length < whole.length; length++) {
      writeFileSync(cut, whole.subarray(0, length));
      const error = await verifyBackup(cut).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, `cut at ${length}`).toBeInstanceOf(BackupFormatError);
      messages.add((error as Error).message.replace(/\d+/g, 'N').replace(cut, 'FILE'));
    }
    expect([...messages].join('\n')).toMatch(/ends inside record/);
    expect([...messages].join('\n')).toMatch(/interrupted backup: N complete records, the rest of the file is cut \(the file ends after record N\)/);
    expect([...messages].join('\n')).toMatch(/ends inside the trailer/);
  });

  it('every single flipped byte (plain)', async () => {
    const file = fileName('.cbk');
    await writeFile(file, small, 1);
    const whole = readFileSync(file);
    const damaged = fileName('.cbk');
    for (let at = 0; at < whole.length; at++) {
      const copy = Buffer.from(whole);
      copy[at]! ^= 0x01;
      writeFileSync(damaged, copy);
      await expect(verifyBackup(damaged), `flip at ${at}`).rejects.toBeInstanceOf(BackupFormatError);
    }
  });

  it('cut or flipped gzip files', async () => {
    const file = fileName('.cbk.gz');
    await writeFile(file, sampleRecords(), 2);
    const whole = readFileSync(file);
    const damaged = fileName('.cbk.gz');
    for (const length of [1, 10, 100, Math.floor(whole.length / 2), whole.length - 40, whole.length - 1]) {
      writeFileSync(damaged, whole.subarray(0, length));
      await expect(verifyBackup(damaged), `cut at ${length}`).rejects.toBeInstanceOf(BackupFormatError);
    }
    const flipFile = fileName('.cbk.gz');
    const mixed = Array.from({ length: 8 }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      expireAtMs: i,
      dump: payload(i % 2 ? randomBytes(40) : Buffer.alloc(60, i)),
    }));
    await writeFile(flipFile, mixed, 2);
    const flipWhole = readFileSync(flipFile);
    const plain = gunzipSync(flipWhole);
    let refused = 0;
    for (let at = 0; at < flipWhole.length; at += 3) {
      const copy = Buffer.from(flipWhole);
      copy[at]! ^= 0x40;
      writeFileSync(damaged, copy);
      const error = await verifyBackup(damaged).then(
        () => undefined,
        (e: unknown) => e,
      );
      // A few gzip bits carry nothing (header time and OS, unused code lengths, padding): the
      // contents are intact and the file is rightly accepted. Every other flip is refused.
      let intact: boolean;
      try {
        intact = gunzipSync(copy).equals(plain);
      } catch {
        intact = false;
      }
      if (intact) expect(error, `harmless flip at ${at}`).toBeUndefined();
      else {
        expect(error, `flip at ${at}`).toBeInstanceOf(BackupFormatError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(flipWhole.length / 3 / 2);
  });

  it('bytes after the trailer, a newer format, and files that are no backup at all', async () => {
    const file = fileName('.cbk');
    await writeFile(file, small, 1);
    const whole = readFileSync(file);
    const other = fileName('.cbk');
    writeFileSync(other, Buffer.concat([whole, Buffer.from('x')]));
    await expect(verifyBackup(other)).rejects.toThrow(/unexpected bytes after the trailer/);

    const newer = Buffer.from(whole.toString('latin1').replace('"format":2', '"format":9'), 'latin1');
    writeFileSync(other, newer);
    await expect(verifyBackup(other)).rejects.toThrow(/uses backup format 9/);

    writeFileSync(other, '{"not":"a backup"}\n');
    await expect(verifyBackup(other)).rejects.toThrow(/not a cachectl backup file/);
    await expect(verifyBackup(path.join(dir, 'nope.cbk'))).rejects.toMatchObject({ code: 'CACHECTL_USAGE', message: expect.stringMatching(/ENOENT/) });
  });

  it('the trailer is exactly the last bytes and holds the record count', async () => {
    const file = fileName('.cbk');
    await writeFile(file, small, 1);
    const whole = readFileSync(file);
    const trailer = whole.subarray(whole.length - TRAILER_SIZE);
    expect(trailer.readUInt32BE(0)).toBe(0xffffffff);
    expect(readInt64(trailer, 8)).toBe(2);
  });
});

describe('payloadRdbVersion', () => {
  it('reads the little-endian version before the checksum', () => {
    expect(payloadRdbVersion(payload(Buffer.from('abc'), 11))).toBe(11);
    expect(payloadRdbVersion(Buffer.alloc(5))).toBe(-1);
  });
});
