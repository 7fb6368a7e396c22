// Benchmark: `cachectl ttl apply` (keys without a TTL get their family's policy) against the
// server-side floor — one EVAL per master looping SCAN + PTTL + PEXPIRE, which blocks the server —
// on a throwaway server (or 3-master cluster): N keys of the default families, M of them without a
// TTL, the M made TTL-less again before every round, a second client doing GETs in a loop to see
// how long the server stalls. Prints the ratio and PASS/FAIL (target ≤ 1.5× the floor, worst GET < 30 ms).
//
//   npm run build && node bench/ttl.mjs [--keys 1000000] [--missing 100000] [--repeat 3] [--cluster] [--valkey]
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startThrowawayServer } from '../scripts/lib/throwaway-server.mjs';
import { booleanFlag, numberFlag } from './lib/args.mjs';
import { startThrowawayCluster } from './lib/cluster.mjs';
import { TENANTS, benchKeyspace, matchKey, otherKey } from './lib/keyspace.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = numberFlag('keys', 1_000_000);
const M = numberFlag('missing', 100_000);
const REPEAT = numberFlag('repeat', 3);
const CLUSTER = booleanFlag('cluster');
const BINARY = booleanFlag('valkey') ? 'valkey-server' : 'redis-server';
if (!Number.isInteger(N) || !Number.isInteger(M) || M < 1 || M >= N || !Number.isInteger(REPEAT) || REPEAT < 1) {
  console.error('usage: node bench/ttl.mjs [--keys N] [--missing M (< N)] [--repeat R] [--cluster] [--valkey]');
  process.exit(2);
}
if (!existsSync(path.join(ROOT, 'dist/core/operations/ttl.js'))) {
  console.error('dist/ is missing: run "npm run build" first');
  process.exit(2);
}
const { connect } = await import('../dist/redis/connect.js');
const { resolveConfig } = await import('../dist/config/load.js');
const { ttlApply } = await import('../dist/core/operations/ttl.js');
const { keySlot } = await import('../dist/redis/topology.js');

const env = CLUSTER ? await startThrowawayCluster({ masters: 3, binary: BINARY }) : await startThrowawayServer({ binary: BINARY });
const masterPorts = CLUSTER ? env.masters.map((m) => m.port) : [env.port];
const space = await benchKeyspace(masterPorts, keySlot);
const { masters, seed, dbsize } = space;

// The M keys without a TTL are `context:*` keys (policy 1 h); every other key has a 2 h TTL (kept:
// `ttl apply` without --cap only sets TTLs where there is none).
const CONTEXT_TTL_MS = 3_600_000;
const FLOOR = `#!lua flags=allow-cross-slot-keys
local c = '0' local n = 0
repeat
  local s = redis.call('SCAN', c, 'COUNT', 10000)
  c = s[1]
  for _, k in ipairs(s[2]) do
    if redis.call('PTTL', k) == -1 then n = n + redis.call('PEXPIRE', k, ARGV[1]) end
  end
until c == '0'
return n`;
const EXPIRE_ALL = `#!lua flags=allow-cross-slot-keys
local c = '0'
repeat
  local s = redis.call('SCAN', c, 'COUNT', 10000)
  c = s[1]
  for _, k in ipairs(s[2]) do redis.call('EXPIRE', k, ARGV[1]) end
until c == '0'
return 0`;
const COUNT_BARE = `#!lua flags=no-writes,allow-cross-slot-keys
local c = '0' local n = 0
repeat
  local s = redis.call('SCAN', c, 'COUNT', 10000)
  c = s[1]
  for _, k in ipairs(s[2]) do if redis.call('PTTL', k) == -1 then n = n + 1 end end
until c == '0'
return n`;

const config = resolveConfig({ tenants: TENANTS });
const connection = await connect({ url: env.url });
const ctx = { connection, config, auditDir: false };
const sum = async (script, ...args) => (await Promise.all(masters.map((m) => m.eval(script, 0, ...args)))).reduce((a, b) => a + Number(b), 0);

const methods = [
  { id: 'floor', label: 'floor: one EVAL per master looping SCAN COUNT 10000 + PTTL + PEXPIRE (blocks)', run: async () => sum(FLOOR, CONTEXT_TTL_MS) },
  {
    id: 'ours',
    label: 'cachectl ttl apply (in-process, core function, bounded steps)',
    run: async () => (await ttlApply(ctx, { force: true })).applied,
  },
];

const fmtS = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
try {
  const seedStart = performance.now();
  await seed(otherKey, N - M);
  await Promise.all(masters.map((m) => m.eval(EXPIRE_ALL, 0, 7200)));
  const info = await masters[0].info('server');
  const version = /valkey_version:(\S+)/.exec(info)?.[1] ?? /redis_version:(\S+)/.exec(info)[1];
  console.log(
    `${CLUSTER ? '3-master cluster' : 'standalone'} ${BINARY.replace('-server', '')} ${version}: ${N - M} keys with a TTL seeded in ${fmtS(performance.now() - seedStart)}; ${M} context:* keys without a TTL re-seeded before each method\n`,
  );
  const results = Object.fromEntries(methods.map((m) => [m.id, { times: [], worst: 0, ok: true, note: '' }]));
  for (let round = 1; round <= REPEAT; round++) {
    for (const method of methods) {
      await seed(matchKey, M);
      if ((await dbsize()) !== N) throw new Error(`seeding left ${await dbsize()} keys, expected ${N}`);
      const bare = await sum(COUNT_BARE);
      if (bare !== M) throw new Error(`${bare} keys without a TTL before the run, expected ${M}`);
      const stop = await space.probe();
      const t = performance.now();
      const applied = await method.run();
      const ms = performance.now() - t;
      const worst = await stop();
      const left = await sum(COUNT_BARE);
      const r = results[method.id];
      r.times.push(ms);
      r.worst = Math.max(r.worst, worst);
      if (left !== 0 || applied !== M || (await dbsize()) !== N) Object.assign(r, { ok: false, note: `WRONG: applied ${applied}, ${left} left without TTL` });
      process.stderr.write(`  round ${round} ${method.id}: ${fmtS(ms)}\n`);
    }
  }
  for (const r of Object.values(results)) {
    const sorted = [...r.times].sort((a, b) => a - b);
    r.ms = sorted[Math.floor(sorted.length / 2)];
    r.best = sorted[0];
  }
  const floor = results.floor.ms;
  const ours = results.ours;
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  const rows = methods.map((m) => {
    const r = results[m.id];
    let check = r.note;
    if (m.id === 'floor') check ||= 'the yardstick';
    if (m.id === 'ours') check ||= `≤ 1.5× floor ${verdict(ours.ms <= 1.5 * floor)}; worst GET < 30 ms ${verdict(ours.worst < 30)}`;
    return [m.label, fmtS(r.ms), fmtS(r.best), `${(r.ms / floor).toFixed(2)}×`, `${r.worst.toFixed(1)} ms`, check];
  });
  const head = ['method', 'median', 'best', 'vs floor', 'worst GET', 'check'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 || i === 5 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log(
    `\nkeys ${N}, without TTL ${M}, ${CLUSTER ? '3 masters in parallel' : 'standalone'}, median of ${REPEAT} round(s), worst GET over all rounds; node ${process.version}`,
  );
  console.log(
    `rerun: node bench/ttl.mjs --keys ${N} --missing ${M} --repeat ${REPEAT}${CLUSTER ? ' --cluster' : ''}${BINARY === 'valkey-server' ? ' --valkey' : ''}`,
  );
} finally {
  await connection.close();
  space.close();
  await env.stop();
}
