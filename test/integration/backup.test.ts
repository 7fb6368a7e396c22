// backup → delete → restore on every server kind: every type, binary names and values, TTLs;
// damaged files refused before anything is written; --replace; expired keys; the capture sink.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { backup } from '../../src/core/backup/backup.js';
import { backupToDirectory } from '../../src/core/backup/directory.js';
import { dumpKeys, dumpPipelined } from '../../src/core/backup/dump.js';
import { BackupFormatError, BackupIncompatibleError } from '../../src/core/backup/errors.js';
import { createRouter } from '../../src/redis/topology.js';
import { restore } from '../../src/core/backup/restore.js';
import { payloadRdbVersion } from '../../src/core/backup/format.js';
import { openBackupSink } from '../../src/core/backup/sink.js';
import { verifyBackup } from '../../src/core/backup/verify.js';
import { scanMasters } from '../../src/core/keyspace/scan.js';
import { escapeGlob } from '../../src/core/glob.js';
import { PartialError } from '../../src/errors.js';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { describeValkey, randomPrefix, serverTargets } from '../helpers/targets.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCounter = 0;
const newFile = (ext = '.cbk') => path.join(dir, `b${++fileCounter}${ext}`);

interface Snapshot {
  dump: Buffer;
  pttl: number;
  /** Type-aware contents (hash tables may DUMP their entries in another order after RESTORE). */
  content: string;
  /** Compact encodings (listpack, intset, quicklist, strings, streams) DUMP byte for byte the same. */
  exactDump: boolean;
}

async function contentOf(connection: RedisConnection, key: Buffer): Promise<string> {
  const c = connection.client;
  const hex = (values: Buffer[]) => values.map((v) => v.toString('hex'));
  const type = await c.type(key);
  switch (type) {
    case 'string':
      return `string:${(await c.getBuffer(key))!.toString('hex')}`;
    case 'hash': {
      const flat = (await c.callBuffer('HGETALL', key)) as Buffer[];
      const pairs: string[] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]!.toString('hex')}=${flat[i + 1]!.toString('hex')}`);
      return `hash:${pairs.sort().join(',')}`;
    }
    case 'list':
      return `list:${hex(await c.lrangeBuffer(key, 0, -1)).join(',')}`;
    case 'set':
      return `set:${hex(await c.smembersBuffer(key))
        .sort()
        .join(',')}`;
    case 'zset':
      return `zset:${hex((await c.callBuffer('ZRANGE', key, 0, -1, 'WITHSCORES')) as Buffer[]).join(',')}`;
    case 'stream': {
      const entries = await c.xrange(key, '-', '+');
      const groups = await c.xinfo('GROUPS', key);
      const pending = await c.xpending(key, 'workers');
      return `stream:${JSON.stringify([entries, groups, pending])}`;
    }
    default:
      throw new Error(`unexpected type ${type}`);
  }
}

/** Every kind of value, binary names and values, keys with and without TTL. Returns the keys. */
async function seed(connection: RedisConnection, prefix: string): Promise<Buffer[]> {
  const c = connection.client;
  const k = (suffix: string | Buffer) => Buffer.concat([Buffer.from(prefix), Buffer.from(suffix)]);
  const keys = {
    string: k('string'),
    binaryName: k(Buffer.from([0x00, 0xff, 0x0a, 0x2a, 0x7b, 0x7d])),
    binaryValue: k('binary-value'),
    hash: k('hash'),
    bigHash: k('hash-big'),
    list: k('list'),
    set: k('set'),
    intset: k('intset'),
    zset: k('zset'),
    stream: k('stream'),
    ttl: k('ttl'),
    ttlHash: k('ttl-hash'),
    big: k('big'),
  };
  await c.set(keys.string, 'hello');
  await c.set(keys.binaryName, Buffer.from([0xde, 0xad, 0x00, 0xbe, 0xef]));
  await c.set(keys.binaryValue, randomBytes(2048));
  await c.hset(keys.hash, { a: '1', b: Buffer.from([0, 255]) });
  await c.hset(keys.bigHash, Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`])));
  await c.rpush(keys.list, 'a', 'b', Buffer.from([0]), 'c');
  await c.sadd(keys.set, 'x', 'y', 'z');
  await c.sadd(keys.intset, 1, 2, 3);
  await c.zadd(keys.zset, 1, 'one', 2.5, 'two', -3, 'minus');
  await c.xadd(keys.stream, '*', 'event', 'created', 'id', '1');
  await c.xadd(keys.stream, '*', 'event', 'updated', 'id', '1');
  await c.xgroup('CREATE', keys.stream, 'workers', '0');
  await c.xreadgroup('GROUP', 'workers', 'w1', 'COUNT', 1, 'STREAMS', keys.stream, '>');
  await c.set(keys.ttl, 'expiring', 'PX', 120_000);
  await c.hset(keys.ttlHash, 'f', 'v');
  await c.pexpire(keys.ttlHash, 90_000);
  await c.set(keys.big, randomBytes(3 << 20)); // larger than one script call and one read chunk
  return Object.values(keys);
}

async function snapshot(connection: RedisConnection, keys: Buffer[]): Promise<Map<string, Snapshot>> {
  const out = new Map<string, Snapshot>();
  for (const key of keys) {
    const dump = await connection.client.dumpBuffer(key);
    if (!dump) continue;
    const encoding = String(await connection.client.object('ENCODING', key));
    out.set(key.toString('latin1'), {
      dump,
      pttl: await connection.client.pttl(key),
      content: await contentOf(connection, key),
      exactDump: encoding !== 'hashtable' && encoding !== 'skiplist',
    });
  }
  return out;
}

async function remove(connection: RedisConnection, keys: Buffer[]): Promise<void> {
  for (const key of keys) await connection.client.del(key);
}

/** True when two gzip files decompress to the same bytes. */
function sameContents(a: Buffer, b: Buffer): boolean {
  try {
    return gunzipSync(a).equals(gunzipSync(b));
  } catch {
    return false;
  }
}

/** Keys under `prefix` on every master (SCAN, so nothing is missed on a cluster; a key SCAN returns twice counts once). */
async function keysUnder(connection: RedisConnection, prefix: string): Promise<number> {
  const seen = new Set<string>();
  await scanMasters(connection, { match: Buffer.concat([escapeGlob(prefix), Buffer.from('*')]) }, ({ keys }) => {
    for (const key of keys) seen.add(key.toString('latin1'));
  });
  return seen.size;
}

describe.each(serverTargets())('backup and restore on $name', (target) => {
  let connection: RedisConnection;
  let prefix: string;
  const config = () => resolveConfig({ queues: { prefixes: [`${prefix}bull`] } });
  const everything = () => [{ pattern: `${escapeGlob(prefix).toString()}*` }];

  beforeEach(async () => {
    connection = await connect({ url: target.url });
    prefix = randomPrefix('bk');
  });
  afterEach(async () => {
    await connection.close();
  });

  it.each(['.cbk', '.cbk.gz'])('round trip (%s): every key identical after backup → delete → restore', async (ext) => {
    const keys = await seed(connection, prefix);
    const before = await snapshot(connection, keys);
    expect(before.size).toBe(keys.length);
    const file = newFile(ext);
    const summary = await backup(connection, config(), everything(), { out: file });
    expect(summary).toMatchObject({ file, keys: keys.length, skipped: 0 });
    expect(summary.bytes).toBe(readFileSync(file).length);

    await remove(connection, keys);
    expect(await keysUnder(connection, prefix)).toBe(0);
    const result = await restore(connection, file);
    expect(result).toMatchObject({ keys: keys.length, restored: keys.length, failed: 0, skipped: { exists: 0, expired: 0 }, interrupted: false });

    const after = await snapshot(connection, keys);
    expect(after.size).toBe(keys.length);
    for (const [id, original] of before) {
      const restored = after.get(id)!;
      expect(restored.content, `contents of ${JSON.stringify(id)}`).toBe(original.content);
      if (original.exactDump) expect(restored.dump.equals(original.dump), `DUMP of ${JSON.stringify(id)}`).toBe(true);
      if (original.pttl < 0) expect(restored.pttl).toBe(-1);
      else {
        // Remaining TTL: never more than before, less only by the time the round trip took.
        expect(restored.pttl).toBeLessThanOrEqual(original.pttl);
        expect(restored.pttl).toBeGreaterThan(original.pttl - 10_000);
      }
    }
    // Type-aware reads agree too (the stream kept its group and pending entry).
    const groups = (await connection.client.xinfo(
      'GROUPS',
      keys.find((k) => k.toString().endsWith('stream'))!,
    )) as unknown[][];
    expect(groups[0]).toEqual(expect.arrayContaining(['name', 'workers', 'pending', 1]));
    await remove(connection, keys);
  });

  it('restored TTL is the original minus the time elapsed since the backup', async () => {
    const key = `${prefix}ttl`;
    const beforeSet = Date.now();
    await connection.client.set(key, 'v', 'PX', 60_000);
    const file = newFile();
    const beforeBackup = Date.now();
    await backup(connection, config(), everything(), { out: file });
    const afterBackup = Date.now();
    await new Promise((r) => setTimeout(r, 600));
    await connection.client.del(key);
    const beforeRestore = Date.now();
    await restore(connection, file);
    const pttl = await connection.client.pttl(key);
    const afterRead = Date.now();
    // At least the time between backup and restore is gone; at most the time around everything
    // (plus the backup's own duration: its expiries are taken at send time, conservatively).
    expect(pttl).toBeLessThanOrEqual(60_000 - (beforeRestore - afterBackup) + 1);
    expect(pttl).toBeGreaterThanOrEqual(60_000 - (afterRead - beforeSet) - (afterBackup - beforeBackup) - 1);
    // Timers may fire a millisecond early by Date.now(): the point is that real time passed.
    expect(beforeRestore - afterBackup).toBeGreaterThanOrEqual(550);
    await connection.client.del(key);
  });

  it.each(['.cbk', '.cbk.gz'])('truncated or corrupted (%s) files are refused before anything is written', async (ext) => {
    const keys = await seed(connection, prefix);
    const file = newFile(ext);
    await backup(connection, config(), everything(), { out: file });
    await remove(connection, keys);
    const whole = readFileSync(file);
    const damaged = newFile(ext);
    const variants: Array<[string, Buffer]> = [
      ['missing trailer', whole.subarray(0, whole.length - 44)],
      ['mid-trailer', whole.subarray(0, whole.length - 10)],
      ['mid-record', whole.subarray(0, Math.floor(whole.length * 0.6))],
      ['header only', whole.subarray(0, 120)],
      ['one byte short', whole.subarray(0, whole.length - 1)],
    ];
    for (const at of [Math.floor(whole.length / 2), whole.length - 50, 200]) {
      const flipped = Buffer.from(whole);
      flipped[at]! ^= 0x10;
      variants.push([`flipped byte ${at}`, flipped]);
    }
    for (const [name, bytes] of variants) {
      // Some gzip bits carry nothing (header time, unused Huffman code lengths, padding): a flip
      // there leaves the contents intact, and then the file is rightly accepted. Skip those.
      if (ext.endsWith('.gz') && sameContents(bytes, whole)) continue;
      writeFileSync(damaged, bytes);
      const error = await restore(connection, damaged, { replace: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(BackupFormatError);
      expect(await keysUnder(connection, prefix), name).toBe(0);
    }
    // The intact file still restores everything.
    expect((await restore(connection, file)).restored).toBe(keys.length);
    await remove(connection, keys);
  });

  it('existing keys are kept without --replace and overwritten with it', async () => {
    const a = `${prefix}a`;
    const b = `${prefix}b`;
    await connection.client.set(a, 'original-a');
    await connection.client.set(b, 'original-b');
    const file = newFile();
    await backup(connection, config(), everything(), { out: file });
    await connection.client.set(a, 'changed-a');
    await connection.client.del(b);

    const kept = await restore(connection, file);
    expect(kept).toMatchObject({ restored: 1, skipped: { exists: 1 }, failed: 0 });
    expect(await connection.client.get(a)).toBe('changed-a');
    expect(await connection.client.get(b)).toBe('original-b');

    await connection.client.set(b, 'changed-b');
    const replaced = await restore(connection, file, { replace: true });
    expect(replaced).toMatchObject({ restored: 2, skipped: { exists: 0 }, failed: 0 });
    expect(await connection.client.get(a)).toBe('original-a');
    expect(await connection.client.get(b)).toBe('original-b');
    await connection.client.del(a);
    await connection.client.del(b);
  });

  it('dry run counts without writing; keys expired since the backup are skipped; --ttl-mode none keeps them', async () => {
    await connection.client.set(`${prefix}short`, 'gone soon', 'PX', 300);
    await connection.client.set(`${prefix}long`, 'stays', 'PX', 60_000);
    await connection.client.set(`${prefix}forever`, 'stays');
    const file = newFile('.cbk.gz');
    await backup(connection, config(), everything(), { out: file });
    await new Promise((r) => setTimeout(r, 400));
    await connection.client.del(`${prefix}long`);

    const dry = await restore(connection, file, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, keys: 3, restored: 1, skipped: { exists: 1, expired: 1 } });
    expect(await connection.client.exists(`${prefix}long`)).toBe(0);

    const real = await restore(connection, file);
    expect(real).toMatchObject({ restored: 1, skipped: { exists: 1, expired: 1 } });
    expect(await connection.client.exists(`${prefix}short`)).toBe(0);
    expect(await connection.client.get(`${prefix}long`)).toBe('stays');

    await connection.client.del(`${prefix}long`);
    const none = await restore(connection, file, { ttlMode: 'none', match: `${escapeGlob(prefix).toString()}[ls]*` });
    expect(none).toMatchObject({ restored: 2, skipped: { exists: 0, expired: 0, unmatched: 1 } });
    expect(await connection.client.pttl(`${prefix}short`)).toBe(-1);
    expect(await connection.client.pttl(`${prefix}long`)).toBe(-1);
    for (const k of ['short', 'long', 'forever']) await connection.client.del(`${prefix}${k}`);
  });

  it('families with values read exact keys; queue keys are never included', async () => {
    const cfg = resolveConfig({
      queues: { prefixes: [`${prefix}bull`] },
      families: { testUser: { template: `${prefix}user:{id}` }, testCtx: { template: `${prefix}ctx:{story}*` } },
    });
    for (const id of ['1', '2', '3']) await connection.client.set(`${prefix}user:${id}`, id);
    await connection.client.set(`${prefix}ctx:S1:a`, 'a');
    await connection.client.set(`${prefix}ctx:S2:a`, 'b');
    await connection.client.set(`${prefix}bull:q:meta`, 'queue');

    const exact = newFile();
    const one = await backup(
      connection,
      cfg,
      [
        { family: 'testUser', values: { id: ['2', '3', '9'] } },
        { family: 'testCtx', values: { story: 'S1' } },
      ],
      { out: exact },
    );
    expect(one).toMatchObject({ keys: 3, skipped: 0, selection: ['testUser(id)', 'testCtx(story)'] });

    const all = newFile();
    const summary = await backup(connection, cfg, [{ pattern: `${escapeGlob(prefix).toString()}*` }, { family: 'testUser' }], { out: all });
    expect(summary.keys).toBe(5); // 3 users + 2 contexts, no duplicates, no queue key
    await connection.client.del(`${prefix}bull:q:meta`);
    for (const k of ['user:1', 'user:2', 'user:3', 'ctx:S1:a', 'ctx:S2:a']) await connection.client.del(`${prefix}${k}`);
    expect((await restore(connection, exact)).restored).toBe(3);
    expect(await connection.client.get(`${prefix}user:2`)).toBe('2');
    expect(await connection.client.exists(`${prefix}user:1`)).toBe(0);
    expect(await keysUnder(connection, prefix)).toBe(3);
    for (const k of ['user:2', 'user:3', 'ctx:S1:a']) await connection.client.del(`${prefix}${k}`);
  });

  it('the capture sink: entries DUMPed by hand restore to identical keys', async () => {
    const keys = await seed(connection, prefix);
    const before = await snapshot(connection, keys);
    const file = newFile('.cbk.gz');
    const sink = await openBackupSink(file, { connection, command: 'clear-all', selection: ['test'] });
    // Two concurrent callers, like two masters; PTTL -1 and the engine's 0 both mean "no expiry".
    const entries = keys.map((key, i) => {
      const s = before.get(key.toString('latin1'))!;
      return { key, dump: s.dump, ttlMs: s.pttl < 0 ? (i % 2 === 0 ? -1 : 0) : s.pttl };
    });
    await Promise.all([sink.capture(entries.slice(0, 5)), sink.capture(entries.slice(5))]);
    const summary = await sink.close();
    expect(summary).toMatchObject({ keys: keys.length, skipped: 0 });
    const info = await verifyBackup(file);
    expect(info.header).toMatchObject({ command: 'clear-all', sourceMode: 'capture', selection: ['test'] });

    await remove(connection, keys);
    expect((await restore(connection, file)).restored).toBe(keys.length);
    const after = await snapshot(connection, keys);
    for (const [id, original] of before) {
      expect(after.get(id)!.content).toBe(original.content);
      expect(after.get(id)!.pttl < 0).toBe(original.pttl < 0);
    }
    await remove(connection, keys);
  });

  it('an interrupted backup leaves no file; the sink can be aborted', async () => {
    await connection.client.set(`${prefix}x`, '1');
    const file = newFile();
    const controller = new AbortController();
    controller.abort();
    await expect(backup(connection, config(), everything(), { out: file, signal: controller.signal })).rejects.toBeInstanceOf(PartialError);
    const sink = await openBackupSink(newFile(), { connection, command: 'invalidate', selection: [] });
    await sink.capture([{ key: Buffer.from(`${prefix}x`), ttlMs: -1, dump: (await connection.client.dumpBuffer(`${prefix}x`))! }]);
    await sink.abort();
    expect(readdirSync(dir).filter((n) => n.startsWith(path.basename(file)) || n.endsWith('.partial'))).toEqual([]);
    await connection.client.del(`${prefix}x`);
  });

  it('keys gone between SCAN and DUMP are counted, not written (script and pipeline paths)', async () => {
    const present = Buffer.from(`${prefix}{here}`);
    const gone = Buffer.from(`${prefix}{here}gone`); // same slot: one node serves both
    await connection.client.set(present, 'x', 'PX', 30_000);
    const { groups } = createRouter(connection)([present], (k) => k);
    const node = groups[0]!.node;
    for (const result of [await dumpKeys(connection, node, [present, gone]), await dumpPipelined(node, [gone, present], node)]) {
      expect(result.missing).toBe(1);
      expect(result.records).toHaveLength(1);
      expect(result.records[0]!.key.equals(present)).toBe(true);
      expect(result.records[0]!.expireAtMs).toBeGreaterThan(Date.now() + 20_000);
      expect(result.bytes).toBe(result.records[0]!.dump.length);
    }
    await connection.client.del(present);
  });

  it('Ctrl-C before restore writes: the result says interrupted and nothing was written', async () => {
    await connection.client.set(`${prefix}i`, '1');
    const file = newFile();
    await backup(connection, config(), everything(), { out: file });
    await connection.client.del(`${prefix}i`);
    const controller = new AbortController();
    controller.abort();
    const result = await restore(connection, file, { signal: controller.signal });
    expect(result).toMatchObject({ interrupted: true, restored: 0, keys: 1 });
    expect(await connection.client.exists(`${prefix}i`)).toBe(0);
  });

  it('backupToDirectory names files by label and time and keeps the newest', async () => {
    await connection.client.set(`${prefix}d`, '1');
    const folder = path.join(dir, `dir-${target.name}`);
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const summary = await backupToDirectory(connection, config(), everything(), { dir: folder, keep: 2, label: 'pre-deploy' });
      expect(path.basename(summary.file)).toMatch(/^pre-deploy-\d{8}T\d{6}\.\d{3}Z\.cbk\.gz$/);
      expect(summary.keys).toBe(1);
      made.push(path.basename(summary.file));
      if (i === 2) expect(summary.removed.map((f) => path.basename(f))).toEqual([made[0]]);
    }
    expect(readdirSync(folder).sort()).toEqual(made.slice(1).sort());
    await connection.client.del(`${prefix}d`);
  });
});

describeValkey('backups across server kinds', () => {
  const redisTarget = serverTargets().find((t) => t.name === 'redis')!;
  const valkeyTarget = serverTargets().find((t) => t.name === 'valkey')!;
  let redis: RedisConnection;
  let valkey: RedisConnection;
  let prefix: string;
  beforeEach(async () => {
    redis = await connect({ url: redisTarget.url });
    valkey = await connect({ url: valkeyTarget.url });
    prefix = randomPrefix('bkx');
  });
  afterEach(async () => {
    await redis.close();
    await valkey.close();
  });

  it('a Valkey payload the Redis server cannot read: the real server reply decides, the error names both versions, nothing is written', async () => {
    await valkey.client.set(`${prefix}a`, 'from valkey');
    await valkey.client.hset(`${prefix}h`, 'f', 'v');
    const file = newFile('.cbk.gz');
    await backup(valkey, resolveConfig({}), [{ pattern: `${prefix}*` }], { out: file });
    // What the server itself says about this payload (RESTORE without our code in between).
    const payload = (await valkey.client.dumpBuffer(`${prefix}a`))!;
    const serverRejects = await redis.client.call('RESTORE', `${prefix}raw`, '0', payload).then(
      () => false,
      (e: Error) => /DUMP payload version or checksum are wrong/.test(e.message),
    );
    await redis.client.del(`${prefix}raw`);
    // A server reads payloads up to the RDB version it writes itself (Redis 7.0: 10, Valkey 8.0: 11).
    await redis.client.set(`${prefix}own`, 'x');
    const ownVersion = payloadRdbVersion((await redis.client.dumpBuffer(`${prefix}own`))!);
    await redis.client.del(`${prefix}own`);
    expect(serverRejects).toBe(payloadRdbVersion(payload) > ownVersion);
    const redisVersion = (await redis.client.info('server')).match(/redis_version:(\S+)/)![1]!;
    const valkeyVersion = (await valkey.client.info('server')).match(/valkey_version:(\S+)/)![1]!;

    const outcome = await restore(redis, file).then(
      (r) => r,
      (e: unknown) => e,
    );
    if (serverRejects) {
      expect(outcome).toBeInstanceOf(BackupIncompatibleError);
      const message = (outcome as Error).message;
      expect(message).toContain(`Redis ${redisVersion}`);
      expect(message).toContain(`Valkey ${valkeyVersion}`);
      expect(message).toMatch(/RDB version \d+/);
      expect(message).toMatch(/DUMP payload version or checksum are wrong/);
      expect((outcome as BackupIncompatibleError).exitCode).toBe(1);
    } else {
      expect(outcome).toMatchObject({ restored: 2, failed: 0 });
    }
    // Neither the probe nor the refused restore left anything behind.
    expect(await keysUnder(redis, prefix)).toBe(serverRejects ? 0 : 2);
    expect(await keysUnder(redis, 'cachectl:restore-probe:')).toBe(0);
    await valkey.client.del(`${prefix}a`, `${prefix}h`);
    if (!serverRejects) await redis.client.del(`${prefix}a`, `${prefix}h`);
  });

  it('a Redis backup restores into Valkey', async () => {
    await redis.client.set(`${prefix}s`, 'from redis', 'PX', 60_000);
    await redis.client.zadd(`${prefix}z`, 1, 'a', 2, 'b');
    const file = newFile();
    await backup(redis, resolveConfig({}), [{ pattern: `${prefix}*` }], { out: file });
    const result = await restore(valkey, file);
    expect(result).toMatchObject({ restored: 2, failed: 0, source: expect.stringMatching(/^Redis /), target: expect.stringMatching(/^Valkey /) });
    expect(await valkey.client.get(`${prefix}s`)).toBe('from redis');
    expect(await valkey.client.pttl(`${prefix}s`)).toBeGreaterThan(50_000);
    expect(await valkey.client.zrange(`${prefix}z`, 0, -1, 'WITHSCORES')).toEqual(['a', '1', 'b', '2']);
    await redis.client.del(`${prefix}s`, `${prefix}z`);
    await valkey.client.del(`${prefix}s`, `${prefix}z`);
  });
});

describe('without scripts (ACL denies EVAL): the per-key pipeline path gives the same results', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startServer();
    const admin = new Redis(server.port, '127.0.0.1');
    await admin.call('ACL', 'SETUSER', 'noscripts', 'on', '>pw-noscripts', '~*', '+@all', '-@scripting');
    admin.disconnect();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('backup → delete → restore, with --replace and BUSYKEY outcomes', async () => {
    const connection = await connect({ url: `redis://noscripts:pw-noscripts@127.0.0.1:${server.port}` });
    try {
      await expect(connection.client.eval('return 1', 0)).rejects.toThrow(/NOPERM/);
      const prefix = randomPrefix('bkacl');
      const keys = await seed(connection, prefix);
      const before = await snapshot(connection, keys);
      const file = newFile('.cbk.gz');
      expect((await backup(connection, resolveConfig({}), [{ pattern: `${prefix}*` }], { out: file })).keys).toBe(keys.length);
      await connection.client.del(keys[0]!);
      const partial = await restore(connection, file);
      expect(partial).toMatchObject({ restored: 1, skipped: { exists: keys.length - 1 }, failed: 0 });
      await remove(connection, keys);
      expect((await restore(connection, file, { replace: true })).restored).toBe(keys.length);
      const after = await snapshot(connection, keys);
      for (const [id, original] of before) expect(after.get(id)!.content).toBe(original.content);
    } finally {
      await connection.close();
    }
  });
});

describe("a standalone backup restores into the cluster, each key on its slot's master", () => {
  const [redisTarget, clusterTarget] = serverTargets();
  it('keys spread over every master', async () => {
    const source = await connect({ url: redisTarget!.url });
    const cluster = await connect({ url: clusterTarget!.url });
    const prefix = randomPrefix('bkrc');
    try {
      const names = Array.from({ length: 60 }, (_, i) => `${prefix}${i}`);
      for (const name of names) await source.client.set(name, name);
      const file = newFile();
      await backup(source, resolveConfig({}), [{ pattern: `${prefix}*` }], { out: file });
      expect(await restore(cluster, file)).toMatchObject({ restored: 60, failed: 0 });
      // Each master holds some of them (SCAN sees only the node's own keys).
      const perMaster = new Map<string, number>();
      await scanMasters(cluster, { match: `${prefix}*` }, ({ nodeName, keys }) => {
        perMaster.set(nodeName, (perMaster.get(nodeName) ?? 0) + keys.length);
      });
      expect([...perMaster.values()].filter((n) => n > 0)).toHaveLength(3);
      expect([...perMaster.values()].reduce((a, b) => a + b, 0)).toBe(60);
      for (const name of names) expect(await cluster.client.get(name)).toBe(name);
      for (const name of names) {
        await source.client.del(name);
        await cluster.client.del(name);
      }
    } finally {
      await source.close();
      await cluster.close();
    }
  });
});
