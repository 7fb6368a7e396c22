#!/usr/bin/env node
// Benchmark of `cachectl exporter` and `stats --top` (npm run bench:exporter [-- --keys N]):
// N keys (default 1 000 000) in 6 families with values of varied size, plus Q BullMQ queues, on
// a throwaway redis-server. Measured in the same run:
//   - the exporter's refresh with its default budget (steps of ~10 ms, at most 1 % of the
//     server's time) for R refreshes: server time per refresh (INFO commandstats, every command
//     but the probe's GETs), the exporter's own count of its census steps, the longest step,
//     the share of the server's time over the whole window (queue discovery pass included), and
//     the commands above 10 ms in the server's slow log, and the worst GET latency another client
//     saw (target < 30 ms) beside the worst GET of the same probe over an equally long window with
//     no exporter (the machine's own noise); scrapes every S seconds;
//   - the biggest keys: `redis-cli --memkeys` and `--bigkeys` (every key, one by one) beside
//     `stats --top 20` sampled and `stats --top 20 --exact`, in-process and as a whole CLI process.
// Needs `npm run build` first (imports ../dist).
import { spawn } from 'node:child_process';
import { connect } from '../dist/redis/connect.js';
import { resolveConfig } from '../dist/config/load.js';
import { collectStats } from '../dist/core/stats/collect.js';
import { Exporter } from '../dist/core/exporter/exporter.js';
import { seedQueue } from '../scripts/lib/seed.mjs';
import { startThrowawayServer } from '../scripts/lib/throwaway-server.mjs';
import { numberFlag } from './lib/args.mjs';
import { benchKeyspace } from './lib/keyspace.mjs';

const KEYS = numberFlag('keys', 1_000_000);
const REFRESHES = numberFlag('refreshes', 3);
const QUEUES = numberFlag('queues', 5);
const SCRAPE_SECONDS = numberFlag('scrape-every', 5);
const TOP_ROUNDS = numberFlag('rounds', 2);

// name, key prefix, share of the keyspace, share without TTL, TTL, largest value (bytes)
const FAMILIES = [
  ['userState', 'user:state:+2782', 0.3, 0.1, 86400, 400],
  ['convMapping', 'tenant:acme:mapping:conv:', 0.2, 0, 604800, 120],
  ['waMapping', 'tenant:globex:mapping:wa:+2783', 0.15, 1, 0, 60],
  ['chatList', 'chats:device-7:chat-', 0.15, 0, 300, 2000],
  ['context', 'context:STORY-', 0.12, 0.05, 3600, 4000],
  ['sessions', 'session:s-', 0.08, 0, 43200, 300],
];
const config = resolveConfig({ tenants: ['acme', 'globex'], families: { sessions: { template: 'session:{sessionId}', ttlSeconds: 43200 } } });

// Server-side seeding. KEYS none; ARGV prefix, first, count, ttl, no-TTL every n-th, largest value.
const SEED = `
local prefix, first, count, ttl, every, largest = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
for i = first, first + count - 1 do
  local key = prefix .. i
  local value = string.rep('v', 1 + (i * 7919) % largest)
  if ttl > 0 and (every == 0 or i % every ~= 0) then redis.call('SET', key, value, 'EX', ttl) else redis.call('SET', key, value) end
end
return count`;

const ms = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

/** usec per command from INFO commandstats. */
async function commandUsec(node) {
  const text = await node.info('commandstats');
  const out = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  return out;
}
/** Server time (ms) between two commandstats readings, every command but the probe's GET. */
function serverMsBetween(a, b) {
  let usec = 0;
  for (const [name, now] of Object.entries(b)) if (name !== 'get') usec += now.usec - (a[name]?.usec ?? 0);
  return usec / 1000;
}

function timeProcess(command, args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d.toString()));
    child.stderr.on('data', (d) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve({ ms: performance.now() - started, out }) : reject(new Error(`${command} exited ${code}: ${out.slice(-500)}`)),
    );
  });
}

const server = await startThrowawayServer();
const connection = await connect({ url: server.url, commandTimeoutMs: 120_000 });
const space = await benchKeyspace([server.port], () => 0);
try {
  const node = connection.client;
  console.log(`cachectl exporter benchmark: ${KEYS.toLocaleString('en-US')} keys in 6 families, ${QUEUES} queue(s), ${REFRESHES} refresh(es)`);
  const seedStart = performance.now();
  for (const [, prefix, share, noTtl, ttl, largest] of FAMILIES) {
    const count = Math.round(KEYS * share);
    const every = noTtl === 0 ? 0 : Math.round(1 / noTtl);
    for (let first = 0; first < count; first += 50_000) await node.eval(SEED, 0, prefix, first, Math.min(50_000, count - first), ttl, every, largest);
  }
  await node.set('blob:export', 'b'.repeat(300_000));
  for (let i = 0; i < QUEUES; i++) await seedQueue(server.url, `bench-q${i}`, { done: 20, failing: 2, waiting: 10 });
  console.log(`seeded in ${ms(performance.now() - seedStart)} (DBSIZE ${await node.dbsize()})\n`);

  // --- the exporter's refresh ---------------------------------------------------------------
  const exporter = new Exporter(config, {
    url: server.url,
    open: (url) => connect({ url }),
    refreshMs: 1, // back to back: each refresh is measured on its own
  });
  // The server's own view: every command slower than 10 ms goes to the slow log.
  await node.config('SET', 'slowlog-log-slower-than', '10000');
  await node.config('SET', 'slowlog-max-len', '10000');
  await node.slowlog('RESET');
  const stopProbe = await space.probe();
  const windowStart = performance.now();
  const statsAtStart = await commandUsec(node);
  exporter.start();
  const scrapes = [];
  const scraper = setInterval(async () => {
    const t = performance.now();
    await exporter.scrape();
    scrapes.push(performance.now() - t);
  }, SCRAPE_SECONDS * 1000);
  const rows = [];
  let before = statsAtStart;
  let seen = 0;
  while (seen < REFRESHES) {
    await new Promise((r) => setTimeout(r, 100));
    const health = exporter.health();
    if (health.refreshes.failed > 0) throw new Error('a refresh failed');
    if (health.refreshes.ok === seen) continue;
    seen = health.refreshes.ok;
    const now = await commandUsec(node);
    const text = await exporter.scrape();
    const figure = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    rows.push({
      wallMs: figure('cachectl_exporter_refresh_duration_seconds') * 1000,
      censusMs: figure('cachectl_exporter_refresh_server_seconds') * 1000,
      longestMs: figure('cachectl_exporter_refresh_longest_step_seconds') * 1000,
      serverMs: serverMsBetween(before, now),
    });
    before = now;
  }
  clearInterval(scraper);
  const windowMs = performance.now() - windowStart;
  const totalServerMs = serverMsBetween(statsAtStart, await commandUsec(node));
  const worstGet = await stopProbe();
  await exporter.stop();
  const slow = (await node.slowlog('GET', '10000')).filter((e) => !/^(info|slowlog|config)$/i.test(String(e[3][0])));
  const longestServerMs = Math.max(0, ...slow.map((e) => Number(e[2]) / 1000));
  // Baseline: the same probe for as long, with nothing else talking to the server (the noise of
  // this shared machine: other processes, scheduling).
  const stopBaseline = await space.probe();
  await new Promise((r) => setTimeout(r, windowMs));
  const baselineGet = await stopBaseline();

  console.log('| refresh | wall time | server time (commandstats) | census steps (client round trips) | longest step |');
  console.log('|---|---|---|---|---|');
  rows.forEach((r, i) => console.log(`| ${i + 1} | ${ms(r.wallMs)} | ${ms(r.serverMs)} | ${ms(r.censusMs)} | ${ms(r.longestMs)} |`));
  const share = totalServerMs / windowMs;
  console.log(
    `\nwindow ${ms(windowMs)}: exporter server time ${ms(totalServerMs)} = ${(share * 100).toFixed(2)} % of the server (refreshes, queue discovery pass, ${scrapes.length} scrape(s))`,
  );
  console.log(`scrape while refreshing: median ${ms(median(scrapes) ?? 0)}, worst ${ms(Math.max(0, ...scrapes))}`);
  const slowNames = slow.map(
    (e) => `${String(e[3][0]).toLowerCase()}${String(e[3][0]).toUpperCase() === 'EVALSHA' ? ` ${e[3][3]}` : ''} ${ms(Number(e[2]) / 1000)}`,
  );
  console.log(`server side: ${slow.length} command(s) of the exporter above 10 ms (slow log)${slow.length ? `: ${slowNames.slice(0, 10).join(', ')}` : ''}`);
  console.log(`worst GET of another client during the window: ${ms(worstGet)} (baseline, as long with no exporter: ${ms(baselineGet)})`);

  // --- biggest keys -------------------------------------------------------------------------
  const port = String(server.port);
  const topRuns = { memkeys: [], bigkeys: [], sampled: [], exact: [], cliSampled: [], cliExact: [] };
  let exactTop;
  for (let round = 0; round < TOP_ROUNDS; round++) {
    topRuns.memkeys.push((await timeProcess('redis-cli', ['-p', port, '--memkeys'])).ms);
    topRuns.bigkeys.push((await timeProcess('redis-cli', ['-p', port, '--bigkeys'])).ms);
    let t = performance.now();
    await collectStats(connection, config, { top: 20, skipQueues: true });
    topRuns.sampled.push(performance.now() - t);
    t = performance.now();
    exactTop = await collectStats(connection, config, { top: 20, exact: true, skipQueues: true });
    topRuns.exact.push(performance.now() - t);
    const env = ['--redis-url', server.url];
    topRuns.cliSampled.push((await timeProcess(process.execPath, ['bin/cachectl.js', ...env, 'stats', '--top', '20', '--json', '--no-queues'])).ms);
    topRuns.cliExact.push((await timeProcess(process.execPath, ['bin/cachectl.js', ...env, 'stats', '--top', '20', '--exact', '--json', '--no-queues'])).ms);
  }
  const t = Object.fromEntries(Object.entries(topRuns).map(([k, v]) => [k, median(v)]));
  console.log(`\n| biggest keys | median time (${TOP_ROUNDS} round(s)) | vs redis-cli --memkeys |`);
  console.log('|---|---|---|');
  const row = (label, value) => console.log(`| ${label} | ${ms(value)} | ${(value / t.memkeys).toFixed(2)}x |`);
  row('redis-cli --memkeys (every key, MEMORY USAGE one by one)', t.memkeys);
  row('redis-cli --bigkeys', t.bigkeys);
  row('stats --top 20 (sampled, in-process)', t.sampled);
  row('stats --top 20 --exact (every key measured, in-process)', t.exact);
  row('cachectl stats --top 20 --json (whole CLI process)', t.cliSampled);
  row('cachectl stats --top 20 --exact --json (whole CLI process)', t.cliExact);
  const biggest = exactTop.top.unknown.keys[0];
  console.log(
    `\n--exact found the biggest key of no family: ${biggest?.key} (${biggest?.bytes} bytes); per family max: ${exactTop.top.families.map((f) => `${f.family} ${f.spread?.max ?? '-'}`).join(', ')}`,
  );

  const worstLongest = Math.max(...rows.map((r) => r.longestMs));
  const checks = [
    [`worst GET of another client < 30 ms (${ms(worstGet)}; baseline without the exporter ${ms(baselineGet)})`, worstGet < 30],
    [`exporter share of server time <= 1 % (${(share * 100).toFixed(2)} %)`, share <= 0.01],
    [
      `no exporter command above 10 ms on the server (slow log: ${slow.length}, longest ${ms(longestServerMs)}; longest census round trip ${ms(worstLongest)})`,
      slow.length === 0,
    ],
    [`stats --top 20 --exact faster than redis-cli --memkeys (${(t.exact / t.memkeys).toFixed(2)}x)`, t.exact < t.memkeys],
  ];
  console.log('');
  for (const [text, ok] of checks) console.log(`${ok ? 'ok  ' : 'MISS'} ${text}`);
} finally {
  space.close();
  await connection.close();
  await server.stop();
}
