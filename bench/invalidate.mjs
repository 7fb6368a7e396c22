// Benchmark: `cachectl invalidate pattern 'context:*'` against the ways people delete by pattern,
// measured side by side in one run on a throwaway server (or a throwaway 3-master cluster):
// N keys of several families, M of them matching, the M re-seeded before every method, a second
// client doing GETs in a loop to see how long the server stalls. Prints ratios and PASS/FAIL.
//
//   npm run build && node bench/invalidate.mjs [--keys 1000000] [--match 100000] [--repeat 3] [--cluster] [--valkey]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startThrowawayServer } from '../scripts/lib/throwaway-server.mjs';
import { startThrowawayCluster } from './lib/cluster.mjs';
import { TENANTS, VALUE, benchKeyspace, matchKey, otherKey, peakRss } from './lib/keyspace.mjs';
import { booleanFlag, numberFlag } from './lib/args.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/cachectl.js');
const PATTERN = 'context:*';

const N = numberFlag('keys', 1_000_000);
const M = numberFlag('match', 100_000);
const CLUSTER = booleanFlag('cluster');
const BINARY = booleanFlag('valkey') ? 'valkey-server' : 'redis-server';
// Rounds over all methods (interleaved, so noise from other work on the machine spreads evenly);
// each row shows the median time and the worst GET latency over its rounds.
const REPEAT = numberFlag('repeat', 3);
if (!Number.isInteger(N) || !Number.isInteger(M) || M < 1 || M >= N || !Number.isInteger(REPEAT) || REPEAT < 1) {
  console.error('usage: node bench/invalidate.mjs [--keys N] [--match M (< N)] [--repeat R] [--cluster] [--valkey]');
  process.exit(2);
}
if (!existsSync(path.join(ROOT, 'dist/core/operations/invalidate.js'))) {
  console.error('dist/ is missing: run "npm run build" first');
  process.exit(2);
}
const { connect } = await import('../dist/redis/connect.js');
const { resolveConfig } = await import('../dist/config/load.js');
const { invalidatePattern, invalidateFamily } = await import('../dist/core/operations/invalidate.js');
const { keySlot } = await import('../dist/redis/topology.js');

// --- servers and keyspace ----------------------------------------------------------------------

const env = CLUSTER ? await startThrowawayCluster({ masters: 3, binary: BINARY }) : await startThrowawayServer({ binary: BINARY });
const masterPorts = CLUSTER ? env.masters.map((m) => m.port) : [env.port];
const space = await benchKeyspace(masterPorts, keySlot);
const { masters, seed, dbsize } = space;

// --- the methods ---------------------------------------------------------------------------------

const FLOOR = `#!lua flags=allow-cross-slot-keys
local c = '0' local n = 0
repeat
  local s = redis.call('SCAN', c, 'MATCH', ARGV[1], 'COUNT', 10000)
  c = s[1]
  for _, k in ipairs(s[2]) do n = n + redis.call('UNLINK', k) end
until c == '0'
return n`;
const KEYS_UNLINK = `#!lua flags=allow-cross-slot-keys
local n = 0
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do n = n + redis.call('UNLINK', k) end
return n`;

async function deletePaged(master, keys) {
  if (keys.length === 0) return;
  if (!CLUSTER) return void (await master.del(...keys));
  const p = master.pipeline();
  for (const k of keys) p.del(k);
  await p.exec();
}

async function scanLoop(master, count, onPage) {
  let cursor = '0';
  do {
    const [next, keys] = await master.scanBuffer(cursor, 'MATCH', PATTERN, 'COUNT', count);
    cursor = next.toString();
    await onPage(keys);
  } while (cursor !== '0');
}

const config = resolveConfig({ tenants: TENANTS });
const connection = await connect({ url: env.url });
const ctx = { connection, config, auditDir: false }; // no audit line per bench round
const workDir = mkdtempSync(path.join(tmpdir(), 'cachectl-bench-'));
let cliRssMb = 0;

const methods = [
  { id: 'floor', label: 'floor: one EVAL looping SCAN COUNT 10000 + UNLINK (blocks)', run: () => Promise.all(masters.map((m) => m.eval(FLOOR, 0, PATTERN))) },
  { id: 'keysEval', label: 'KEYS + UNLINK inside one EVAL (reference, blocks)', run: () => Promise.all(masters.map((m) => m.eval(KEYS_UNLINK, 0, PATTERN))) },
  {
    id: 'keysDel',
    label: 'KEYS from a client, then DEL',
    run: () =>
      Promise.all(
        masters.map(async (m) => {
          const keys = await m.keysBuffer(PATTERN);
          for (let i = 0; i < keys.length; i += 10_000) await deletePaged(m, keys.slice(i, i + 10_000));
        }),
      ),
  },
  {
    id: 'xargs',
    label: 'redis-cli --scan --pattern … | xargs redis-cli unlink',
    skip: CLUSTER ? 'n/a on a cluster (xargs batches keys of many slots into one UNLINK: CROSSSLOT)' : undefined,
    run: async () => {
      // Asynchronous spawn: a synchronous one would freeze this process's latency probe too.
      const port = masterPorts[0];
      const child = spawn('sh', ['-c', `redis-cli -p ${port} --scan --pattern '${PATTERN}' | xargs redis-cli -p ${port} unlink > /dev/null`], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const code = await new Promise((resolve) => child.on('close', resolve));
      if (code !== 0) throw new Error(`redis-cli | xargs failed: ${err}`);
    },
  },
  { id: 'count100', label: 'SCAN COUNT 100 loop, DEL per page', run: () => Promise.all(masters.map((m) => scanLoop(m, 100, (keys) => deletePaged(m, keys)))) },
  {
    id: 'clientScan',
    label: 'client SCAN COUNT 5000 + pipelined UNLINK',
    run: () =>
      Promise.all(
        masters.map((m) =>
          scanLoop(m, 5000, async (keys) => {
            if (keys.length === 0) return;
            const p = m.pipeline();
            for (const k of keys) p.unlink(k);
            await p.exec();
          }),
        ),
      ),
  },
  {
    id: 'ours',
    label: 'cachectl invalidate pattern (in-process, core function)',
    run: async () => {
      const summary = await invalidatePattern(ctx, PATTERN, { force: true });
      if (summary.deleted !== M) throw new Error(`ours deleted ${summary.deleted}, expected ${M}`);
    },
  },
  {
    id: 'oursCli',
    label: 'cachectl invalidate pattern (whole CLI process)',
    run: async () => {
      const child = spawn(process.execPath, [BIN, 'invalidate', 'pattern', PATTERN, '--yes', '--json', '--redis-url', env.url], {
        cwd: workDir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const rss = peakRss(child.pid);
      const code = await new Promise((resolve) => child.on('close', resolve));
      cliRssMb = rss();
      if (code !== 0) throw new Error(`cachectl exited ${code}: ${err}`);
      if (JSON.parse(out).deleted !== M) throw new Error(`cachectl deleted ${JSON.parse(out).deleted}, expected ${M}`);
    },
  },
];

// --- the run -------------------------------------------------------------------------------------

/**
 * Time the servers spent in scripts (EVAL/EVALSHA, INFO commandstats) since the last reset: the
 * busiest master's. It separates what a method costs on the server from round trips and start-up.
 */
async function scriptTime() {
  const per = await Promise.all(
    masters.map(async (m) => {
      let usec = 0;
      for (const line of (await m.info('commandstats')).split('\n')) {
        const hit = /^cmdstat_(?:eval|evalsha):calls=\d+,usec=(\d+)/.exec(line);
        if (hit) usec += Number(hit[1]);
      }
      return usec / 1000;
    }),
  );
  return Math.max(...per);
}

const fmtS = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
try {
  const seedStart = performance.now();
  await seed(otherKey, N - M);
  const info = await masters[0].info('server');
  const version = /valkey_version:(\S+)/.exec(info)?.[1] ?? /redis_version:(\S+)/.exec(info)[1];
  console.log(
    `${CLUSTER ? '3-master cluster' : 'standalone'} ${BINARY.replace('-server', '')} ${version}: ${N - M} other keys seeded in ${fmtS(performance.now() - seedStart)}; ${M} keys matching ${PATTERN} re-seeded before each method\n`,
  );
  const results = {};
  for (const method of methods)
    results[method.id] = method.skip ? { skipped: method.skip } : { times: [], scripts: [], worst: 0, ok: true, left: N - M, rss: 0 };
  for (let round = 1; round <= REPEAT; round++) {
    for (const method of methods) {
      if (method.skip) continue;
      await seed(matchKey, M);
      if ((await dbsize()) !== N) throw new Error(`seeding left ${await dbsize()} keys, expected ${N}`);
      const stop = await space.probe();
      await Promise.all(masters.map((m) => m.config('RESETSTAT')));
      const t = performance.now();
      await method.run();
      const ms = performance.now() - t;
      const scripts = await scriptTime();
      const worst = await stop();
      const left = await dbsize();
      const r = results[method.id];
      r.times.push(ms);
      r.scripts.push(scripts);
      r.worst = Math.max(r.worst, worst);
      if (left !== N - M) Object.assign(r, { ok: false, left });
      if (method.id === 'oursCli') r.rss = Math.max(r.rss, cliRssMb);
      process.stderr.write(`  round ${round} ${method.id}: ${fmtS(ms)}\n`);
    }
  }
  for (const r of Object.values(results)) {
    if (!r.times) continue;
    const sorted = [...r.times].sort((a, b) => a - b);
    r.ms = sorted[Math.floor(sorted.length / 2)];
    r.best = sorted[0];
    r.script = [...r.scripts].sort((a, b) => a - b)[Math.floor(r.scripts.length / 2)];
  }

  // Exact-family invalidation: 10 tenants + default, keys known, no scan.
  const times = [];
  for (let i = 0; i < 50; i++) {
    const id = `bench-${i}`;
    await Promise.all([...TENANTS, 'default'].map((t) => connection.client.set(`tenant:${t}:mapping:conv:${id}`, VALUE)));
    const t = performance.now();
    const summary = await invalidateFamily(ctx, 'convMapping', { conversationId: id }, { force: true });
    times.push(performance.now() - t);
    if (summary.deleted !== TENANTS.length + 1) throw new Error(`exact invalidation deleted ${summary.deleted}`);
  }
  times.sort((a, b) => a - b);
  // What the CLI costs before it does anything (Node start-up and module loading).
  const startup = performance.now();
  spawnSync(process.execPath, [BIN, '--version']);
  const startupMs = performance.now() - startup;
  const p50 = times[Math.floor(times.length / 2)];
  const p95 = times[Math.floor(times.length * 0.95)];

  const floor = results.floor.ms;
  const ours = results.ours.ms;
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  const rows = methods.map((m) => {
    const r = results[m.id];
    if (r.skipped) return [m.label, '—', '—', '—', '—', '—', r.skipped];
    let check = r.ok ? '' : `WRONG: ${r.left} keys left`;
    if (m.id === 'ours') check ||= `≤ 1.3× floor ${verdict(ours <= 1.3 * floor)}; worst GET < 30 ms ${verdict(r.worst < 30)}`;
    if (m.id === 'oursCli') check ||= `≤ 1.5× floor ${verdict(r.ms <= 1.5 * floor)}; peak RSS ${r.rss.toFixed(0)} MB < 150 MB ${verdict(r.rss < 150)}`;
    if (m.id === 'xargs') check ||= `ours ${(r.ms / ours).toFixed(1)}× faster (≥ 4×) ${verdict(r.ms / ours >= 4)}`;
    if (m.id === 'count100') check ||= `ours ${(r.ms / ours).toFixed(1)}× faster (≥ 2.5×) ${verdict(r.ms / ours >= 2.5)}`;
    if (m.id === 'floor') check ||= 'the yardstick';
    const scripts = r.script > 0 ? `${fmtS(r.script)} ${(r.script / results.floor.script).toFixed(2)}×` : '—';
    return [m.label, fmtS(r.ms), fmtS(r.best), `${(r.ms / floor).toFixed(2)}×`, scripts, `${r.worst.toFixed(1)} ms`, check];
  });
  rows.push(['cachectl --version (process start-up only, for reference)', fmtS(startupMs), '', '', '', '', '']);
  rows.push([
    `exact-family invalidation, ${TENANTS.length + 1} keys (in-process, 50 runs)`,
    `p50 ${p50.toFixed(2)} ms`,
    `p95 ${p95.toFixed(2)} ms`,
    '',
    '',
    '',
    `p50 < 5 ms ${verdict(p50 < 5)}`,
  ]);
  const head = ['method', 'median', 'best', 'vs floor', 'server in scripts', 'worst GET', 'check'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 || i === head.length - 1 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log(
    `\nkeys ${N}, matching ${M}, ${CLUSTER ? '3 masters in parallel' : 'standalone'}, median of ${REPEAT} round(s), worst GET over all rounds; server in scripts: EVAL/EVALSHA time of the busiest master (INFO commandstats); node ${process.version}`,
  );
  console.log(
    `rerun: node bench/invalidate.mjs --keys ${N} --match ${M} --repeat ${REPEAT}${CLUSTER ? ' --cluster' : ''}${BINARY === 'valkey-server' ? ' --valkey' : ''}`,
  );
} finally {
  await connection.close();
  space.close();
  await env.stop();
  rmSync(workDir, { recursive: true, force: true });
}
