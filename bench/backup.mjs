// Benchmark: `cachectl backup` and `cachectl restore` of N small keys on a throwaway redis-server,
// each beside its floor, measured in the same run:
//   backup floor   one EVAL looping SCAN + DUMP + PTTL over the keyspace, returning everything
//                  (the server's own cost, nothing written anywhere)
//   restore floor  a pipelined RESTORE loop with the payloads already in memory
// plus the older ioredis DUMP loop (a weak yardstick) and the cost of durability: the backup
// writer with an fsync per group (what `--backup` does) against one fsync at the end.
// Peak RSS of the cachectl process from /usr/bin/time -v (or /proc VmHWM polling).
//
//   npm run build && node bench/backup.mjs [--keys 1000000] [--gzip]
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startThrowawayServer } from '../scripts/lib/throwaway-server.mjs';
import { runCachectl } from './lib/run-cli.mjs';
import { booleanFlag, numberFlag } from './lib/args.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BATCH = 1000;
const RSS_LIMIT_MB = 200;
/** Targets against the floors: backup ≤ 2×, restore ≤ 1.5×. */
const LIMITS = { backup: 2, restore: 1.5 };

const KEYS = numberFlag('keys', 1_000_000);
const GZIP = booleanFlag('gzip');
if (!Number.isInteger(KEYS) || KEYS < 1) {
  console.error('usage: node bench/backup.mjs [--keys N] [--gzip]');
  process.exit(2);
}
if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) {
  console.error('dist/ is missing: run "npm run build" first');
  process.exit(2);
}

/** N small string keys, half of them with a TTL, written in pipelines. */
async function seed(redis) {
  for (let start = 0; start < KEYS; start += 10_000) {
    const p = redis.pipeline();
    for (let i = start; i < Math.min(KEYS, start + 10_000); i++) {
      const value = `{"id":${i},"step":"menu","n":${i % 97}}`;
      if (i % 2) p.set(`bench:user:${i}`, value, 'EX', 86_400);
      else p.set(`bench:user:${i}`, value);
    }
    await p.exec();
  }
}

/** Baseline backup: SCAN COUNT 1000 + pipelined DUMP/PTTL per page, payloads kept in memory. */
async function baselineDump(redis) {
  const out = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', 'bench:*', 'COUNT', BATCH);
    cursor = next.toString();
    if (keys.length === 0) continue;
    const p = redis.pipeline();
    for (const key of keys) p.dumpBuffer(key).pttl(key);
    const replies = await p.exec();
    for (let i = 0; i < keys.length; i++) out.push([keys[i], replies[2 * i][1], replies[2 * i + 1][1]]);
  } while (cursor !== '0');
  return out;
}

const FLOOR_SCRIPT = `
local cursor, out, n = '0', {}, 0
repeat
  local reply = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = reply[1]
  for _, key in ipairs(reply[2]) do
    out[n + 1] = key
    out[n + 2] = redis.call('DUMP', key)
    out[n + 3] = redis.call('PTTL', key)
    n = n + 3
  end
until cursor == '0'
return out`;

/** Backup floor: one EVAL doing the whole SCAN + DUMP + PTTL loop on the server. */
async function serverFloor(redis) {
  const reply = await redis.callBuffer('EVAL', FLOOR_SCRIPT, '0', 'bench:*');
  return reply.length / 3;
}

/** Writing `records` with the backup writer, an fsync per group of BATCH or only at the end. */
async function writerRun(records, file, durable) {
  const { BackupWriter } = await import('../dist/core/backup/writer.js');
  const header = {
    format: 2,
    cachectl: 'bench',
    created: new Date().toISOString(),
    command: 'bench',
    sourceMode: 'capture',
    selection: [],
    source: { target: 'bench', mode: 'standalone', flavor: 'redis', version: '7', redisVersion: '7', valkeyVersion: null, masters: [] },
  };
  const writer = await BackupWriter.create(file, header, { durable, overwrite: true });
  const start = performance.now();
  for (let i = 0; i < records.length; i += BATCH) {
    await writer.writeRecords(records.slice(i, i + BATCH).map(([key, dump, ttl]) => ({ key, dump, expireAtMs: ttl > 0 ? Date.now() + ttl : -1 })));
  }
  await writer.finish();
  return (performance.now() - start) / 1000;
}

/** Baseline restore (the restore floor): pipelined RESTORE of the payloads, BATCH per pipeline. */
async function baselineRestore(redis, records) {
  for (let start = 0; start < records.length; start += BATCH) {
    const p = redis.pipeline();
    for (const [key, dump, ttl] of records.slice(start, start + BATCH)) p.restore(key, ttl > 0 ? ttl : 0, dump);
    await p.exec();
  }
}

async function timed(fn) {
  const start = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - start) / 1000, value };
}

const server = await startThrowawayServer({ args: ['--maxmemory-policy', 'noeviction'] });
const work = mkdtempSync(path.join(tmpdir(), 'cachectl-bench-backup-'));
const redis = new Redis(server.url);
const results = [];
let failed = false;
try {
  console.log(`seeding ${KEYS.toLocaleString('en-US')} keys on ${server.url} …`);
  await seed(redis);
  const startup = await runCachectl(['--version'], work);

  // --- backup -------------------------------------------------------------------------------
  const floor = await timed(() => serverFloor(redis));
  if (floor.value !== KEYS) throw new Error(`floor saw ${floor.value} keys`);
  const base = await timed(() => baselineDump(redis));
  const file = path.join(work, GZIP ? 'bench.cbk.gz' : 'bench.cbk');
  const ours = await runCachectl(['backup', 'pattern', 'bench:*', '--out', file, '--json', '--redis-url', server.url], work);
  if (ours.code !== 0) throw new Error(`cachectl backup exited ${ours.code}: ${ours.stderr}`);
  const summary = JSON.parse(ours.stdout);
  if (summary.keys !== KEYS || base.value.length !== KEYS) throw new Error(`backup counts differ: ${summary.keys} / ${base.value.length} / ${KEYS}`);
  results.push({ step: 'backup', floor: floor.seconds, loop: base.seconds, ours });

  // --- cost of durability (writer only: fsync per group vs once at the end) -----------------
  const durable = await writerRun(base.value, path.join(work, 'durable.cbk'), true);
  const lazy = await writerRun(base.value, path.join(work, 'lazy.cbk'), false);

  // --- restore ------------------------------------------------------------------------------
  await redis.flushall(); // the bench's own throwaway server
  const baseRestore = await timed(() => baselineRestore(redis, base.value));
  if ((await redis.dbsize()) !== KEYS) throw new Error('baseline restore lost keys');
  base.value.length = 0;
  await redis.flushall();
  const restored = await runCachectl(['restore', file, '--yes', '--json', '--redis-url', server.url], work);
  if (restored.code !== 0) throw new Error(`cachectl restore exited ${restored.code}: ${restored.stderr}`);
  const restoreResult = JSON.parse(restored.stdout);
  if (restoreResult.restored !== KEYS || (await redis.dbsize()) !== KEYS) throw new Error(`restore count ${restoreResult.restored} ≠ ${KEYS}`);
  results.push({ step: 'restore', floor: baseRestore.seconds, loop: baseRestore.seconds, ours: restored });

  // --- report -------------------------------------------------------------------------------
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))[1];
  console.log(
    `\n${KEYS.toLocaleString('en-US')} keys, Redis ${redisVersion}, file ${path.basename(file)} ${(statSync(file).size / 1048576).toFixed(1)} MiB; cachectl process start-up ${startup.seconds.toFixed(2)} s (included below)`,
  );
  console.log('step     |   floor | ioredis loop | cachectl | vs floor | w/o start-up | peak RSS');
  for (const r of results) {
    const ratio = r.ours.seconds / r.floor;
    const net = (r.ours.seconds - startup.seconds) / r.floor;
    const okRatio = ratio <= LIMITS[r.step];
    const okRss = r.ours.rssMb < RSS_LIMIT_MB;
    if (!okRatio || !okRss) failed = true;
    console.log(
      `${r.step.padEnd(8)} | ${r.floor.toFixed(2).padStart(5)} s | ${r.loop.toFixed(2).padStart(10)} s | ${r.ours.seconds.toFixed(2).padStart(6)} s | ${ratio.toFixed(2).padStart(5)}× ${okRatio ? '✓' : '✗'} | ${net.toFixed(2).padStart(11)}× | ${r.ours.rssMb.toFixed(0).padStart(4)} MB ${okRss ? '✓' : '✗'}`,
    );
  }
  console.log(`targets: backup ≤ ${LIMITS.backup}× and restore ≤ ${LIMITS.restore}× their floors, peak RSS < ${RSS_LIMIT_MB} MB`);
  console.log(
    `durability (writer, ${KEYS.toLocaleString('en-US')} records in groups of ${BATCH}): fsync per group ${durable.toFixed(2)} s, fsync at the end ${lazy.toFixed(2)} s (${(durable / lazy).toFixed(2)}×)`,
  );
} finally {
  redis.disconnect();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
