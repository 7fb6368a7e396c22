#!/usr/bin/env node
// Benchmark of `cachectl stats` (npm run bench:stats [-- --keys N] [-- --rounds R]):
// N keys (default 1 000 000) in 6 families on a throwaway redis-server, and in the same run:
//   - one bare server-side SCAN pass (a single EVAL looping SCAN COUNT 1000): the floor for any
//     pass that visits every key;
//   - `stats --exact` (counts and TTL coverage of every key): target <= 2x the bare pass;
//   - `stats` sampled (10 000 keys): target <= 0.25x of --exact, every family share within
//     +-2 percentage points of the exact figure;
//   - peak RSS of this process while each runs (memory must stay flat as N grows).
// Sampled stats takes its queue list from the last maintenance record plus the sample (no pass).
// The default keyspace has no queues; `--queues Q` adds Q real BullMQ queues and runs the queue
// steps of maintenance once, as production does, so that the sampled row reads a record.
// Needs `npm run build` first (imports ../dist).
import { connect } from '../dist/redis/connect.js';
import { resolveConfig } from '../dist/config/load.js';
import { collectStats } from '../dist/core/stats/collect.js';
import { queueSteps } from '../dist/core/maintenance/queue-steps.js';
import { runMaintenance } from '../dist/core/maintenance/run.js';
import { seedQueue } from '../scripts/lib/seed.mjs';
import { startThrowawayServer } from '../scripts/lib/throwaway-server.mjs';
import { numberFlag } from './lib/args.mjs';

const KEYS = numberFlag('keys', 1_000_000);
const ROUNDS = numberFlag('rounds', 3);
const SAMPLE = numberFlag('sample', 10_000);
const QUEUES = process.argv.includes('--queues') ? numberFlag('queues', 0) : 0;

// Six families: name, key prefix the seed writes, share of the keyspace, share without TTL, TTL.
const FAMILIES = [
  ['userState', 'user:state:+2782', 0.3, 0.1, 86400],
  ['convMapping', 'tenant:acme:mapping:conv:', 0.2, 0, 604800],
  ['waMapping', 'tenant:globex:mapping:wa:+2783', 0.15, 1, 0],
  ['chatList', 'chats:device-7:chat-', 0.15, 0, 300],
  ['context', 'context:STORY-', 0.12, 0.05, 3600],
  ['sessions', 'session:s-', 0.08, 0, 43200],
];
const config = resolveConfig({ families: { sessions: { template: 'session:{sessionId}', ttlSeconds: 43200 } } });

// Server-side seeding (fast and deterministic): KEYS none; ARGV prefix, first, count, ttl, no-TTL every n-th.
const SEED = `
local prefix, first, count, ttl, every = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
for i = first, first + count - 1 do
  local key = prefix .. i
  if ttl > 0 and (every == 0 or i % every ~= 0) then redis.call('SET', key, 'v', 'EX', ttl) else redis.call('SET', key, 'v') end
end
return count`;
const BARE_SCAN = `local c = '0' local n = 0 repeat local r = redis.call('SCAN', c, 'COUNT', 1000) c = r[1] n = n + #r[2] until c == '0' return n`;

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const seconds = (ms) => `${(ms / 1000).toFixed(3)} s`;
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

/** Run `fn`, sampling this process's RSS every 5 ms; returns { ms, peakRss, value }. */
async function measure(fn) {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const start = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - start, peakRss: Math.max(peak, process.memoryUsage.rss()), value };
  } finally {
    clearInterval(timer);
  }
}

const server = await startThrowawayServer();
const connection = await connect({ url: server.url, commandTimeoutMs: 120_000 });
try {
  const node = connection.client;
  console.log(`cachectl stats benchmark: ${KEYS.toLocaleString('en-US')} keys in 6 families, ${ROUNDS} round(s), sample ${SAMPLE.toLocaleString('en-US')}`);
  const seedStart = performance.now();
  let written = 0;
  for (const [, prefix, share, noTtl, ttl] of FAMILIES) {
    const count = Math.round(KEYS * share);
    const every = noTtl === 0 ? 0 : Math.round(1 / noTtl);
    for (let first = 0; first < count; first += 50_000) {
      await node.eval(SEED, 0, prefix, first, Math.min(50_000, count - first), ttl, every);
    }
    written += count;
  }
  console.log(`seeded ${written.toLocaleString('en-US')} keys in ${seconds(performance.now() - seedStart)} (DBSIZE ${await node.dbsize()})`);
  if (QUEUES > 0) {
    for (let i = 0; i < QUEUES; i++) await seedQueue(server.url, `bench-q${i}`, { done: 20, failing: 2, waiting: 10 });
    const maintenance = await runMaintenance(connection, config, { steps: queueSteps() });
    written = await node.dbsize();
    console.log(
      `added ${QUEUES} BullMQ queue(s) and ran the queue steps of maintenance once (record: ${maintenance.run.discoveredQueues?.total ?? 'none'} queue(s)); DBSIZE ${written}`,
    );
  }
  globalThis.gc?.();
  const baseline = process.memoryUsage.rss();

  const runs = { bare: [], exact: [], sampled: [], sampledNoQueues: [], sampledScanQueues: [] };
  const peaks = { bare: 0, exact: 0, sampled: 0, sampledNoQueues: 0, sampledScanQueues: 0 };
  let exactStats;
  let sampledStats;
  for (let round = 0; round < ROUNDS; round++) {
    const bare = await measure(() => node.eval(BARE_SCAN, 0));
    const exact = await measure(() => collectStats(connection, config, { exact: true, sample: SAMPLE }));
    const sampled = await measure(() => collectStats(connection, config, { sample: SAMPLE }));
    const sampledNoQueues = await measure(() => collectStats(connection, config, { sample: SAMPLE, skipQueues: true }));
    const sampledScanQueues = await measure(() => collectStats(connection, config, { sample: SAMPLE, scanQueues: true }));
    for (const [name, m] of Object.entries({ bare, exact, sampled, sampledNoQueues, sampledScanQueues })) {
      runs[name].push(m.ms);
      peaks[name] = Math.max(peaks[name], m.peakRss);
    }
    // BullMQ's few keys with a TTL (stalled-check) may expire between the seed and a round.
    if (Math.abs(bare.value - written) > QUEUES * 5) throw new Error(`bare pass saw ${bare.value} keys, expected ${written}`);
    exactStats = exact.value;
    sampledStats = sampled.value;
  }

  // Ratios are taken within each round (the passes of a round run back to back), then the median
  // over rounds: on a shared machine the load drifts between rounds more than within one.
  const t = Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, median(list)]));
  const ratio = (a, b) => median(runs[a].map((ms, i) => ms / runs[b][i]));
  const exactVsBare = ratio('exact', 'bare');
  const sampledVsExact = ratio('sampled', 'exact');
  const noQueuesVsExact = ratio('sampledNoQueues', 'exact');
  const scanQueuesVsExact = ratio('sampledScanQueues', 'exact');
  console.log('\n| pass | median time | median ratio per round | target | peak RSS (baseline ' + mb(baseline) + ') |');
  console.log('|---|---|---|---|---|');
  console.log(`| bare server-side SCAN (one EVAL) | ${seconds(t.bare)} | 1.00x bare | floor | ${mb(peaks.bare)} |`);
  console.log(`| stats --exact | ${seconds(t.exact)} | ${exactVsBare.toFixed(2)}x bare | <= 2x | ${mb(peaks.exact)} |`);
  console.log(`| stats (sampled) | ${seconds(t.sampled)} | ${sampledVsExact.toFixed(2)}x exact | <= 0.25x | ${mb(peaks.sampled)} |`);
  console.log(`| stats (sampled, --no-queues) | ${seconds(t.sampledNoQueues)} | ${noQueuesVsExact.toFixed(2)}x exact | | ${mb(peaks.sampledNoQueues)} |`);
  console.log(
    `| stats (sampled, --scan-queues) | ${seconds(t.sampledScanQueues)} | ${scanQueuesVsExact.toFixed(2)}x exact | | ${mb(peaks.sampledScanQueues)} |`,
  );
  const d = sampledStats.queueDiscovery;
  console.log(
    `\nsampled row: queues by ${d.method}${d.asOf ? ` (maintenance record of ${d.asOf}: ${d.fromRecord} queue(s), ${d.fromSample} more from the sample)` : ''}${d.note ? `; ${d.note}` : ''}; ${sampledStats.queues.length} queue(s) listed, --exact listed ${exactStats.queues.length}`,
  );

  console.log('\n| family | exact keys | exact share | sampled share | difference |');
  console.log('|---|---|---|---|---|');
  let worst = 0;
  for (const f of exactStats.families) {
    const s = sampledStats.families.find((x) => x.name === f.name);
    const diff = Math.abs(s.share - f.share) * 100;
    worst = Math.max(worst, diff);
    console.log(`| ${f.name} | ${f.keys.toLocaleString('en-US')} | ${(f.share * 100).toFixed(2)}% | ${(s.share * 100).toFixed(2)}% | ${diff.toFixed(2)} pp |`);
  }
  const checks = [
    [`--exact within 2x of the bare pass (${exactVsBare.toFixed(2)}x)`, exactVsBare <= 2],
    [`sampled within 0.25x of --exact (${sampledVsExact.toFixed(2)}x)`, sampledVsExact <= 0.25],
    [`every family share within 2 pp (worst ${worst.toFixed(2)} pp)`, worst <= 2],
  ];
  console.log('');
  for (const [text, ok] of checks) console.log(`${ok ? 'ok  ' : 'MISS'} ${text}`);
  console.log(
    `\nruns (ms): ${Object.entries(runs)
      .map(([k, v]) => `${k} ${v.map((x) => x.toFixed(0)).join('/')}`)
      .join(', ')}`,
  );
} finally {
  await connection.close();
  await server.stop();
}
