#!/usr/bin/env node
// Benchmark of event-driven invalidation (issue 8), on a throwaway redis-server with N keys
// (default 1 000 000; 10% context:<story>* keys, the rest user states, tenant mappings, chat lists).
// Measured in the same run:
//   - one bare client SCAN pass (COUNT 1000, no MATCH) and one coalesced pattern pass of ours;
//   - the baseline: a per-event handler that loops SCAN MATCH context:<story>* COUNT 100 and DELs
//     (the handler of the seed issue), timed on a few events and extrapolated to 50 (said so);
//   - the 50-key / 50-event stress case through the stream and `runListener`: keys left, passes,
//     time, beside the baseline;
//   - a burst of E events (90% exact families, 10% prefix patterns) published at once: time until
//     every one is applied and acknowledged → events/s (target ≥ 1,000);
//   - the same mix published at a steady rate R: per-event latency from publish to its keys gone
//     (measured to the listener's acknowledgement, which comes after the UNLINK replies): exact
//     p99 (target ≤ 10 ms), pattern p99 in units of one pass (target ≤ 2).
// The listener runs in a worker thread (its own event loop, like its own PM2 process) and reports
// when each entry's keys were gone; the publisher and the clock run on the main thread.
//
//   npm run build && node bench/listen.mjs [--keys 1000000] [--events 1000] [--rate 1000] [--baseline-events 3]
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { resolveConfig } from '../dist/config/load.js';
import { connect } from '../dist/redis/connect.js';
import { createInvalidator } from '../dist/core/invalidation/invalidator.js';
import { runListener } from '../dist/core/invalidation/listener.js';
import { numberFlag } from './lib/args.mjs';

const KEYS = numberFlag('keys', 1_000_000);
const EVENTS = numberFlag('events', 1000);
const RATE = numberFlag('rate', 1000);
const BASELINE_EVENTS = numberFlag('baseline-events', 3);
const SCAN_COUNT = numberFlag('scan-count', 2000); // config invalidation.scanCount: SCAN COUNT of each pass step
const STORIES = Math.floor(KEYS / 20); // each story has context:<id> and context:<id>:summary
const PER_FAMILY = Math.floor((KEYS - 2 * STORIES) / 3);
const TENANTS = ['acme', 'globex', 'default'];

const story = (i) => `S${String(i).padStart(7, '0')}`;
const phone = (i) => `+2782${String(i).padStart(7, '0')}`;

// Server-side seeding: ARGV = kind, first, count, per-family size (keys never cross the wire).
const SEED = `
local kind, first, count, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for i = first, first + count - 1 do
  if kind == 'context' then
    local id = string.format('S%07d', i)
    redis.call('SET', 'context:' .. id, '{"phase":"build"}', 'EX', 3600)
    redis.call('SET', 'context:' .. id .. ':summary', 'summary', 'EX', 3600)
  elseif kind == 'user' then
    redis.call('SET', string.format('user:state:+2782%07d', i), '{"step":"menu"}', 'EX', 86400)
  elseif kind == 'conv' then
    local tenants = {'acme', 'globex', 'default'}
    redis.call('SET', 'tenant:' .. tenants[(i % 3) + 1] .. ':mapping:conv:c' .. i, '{"communication_id":null}', 'EX', 86400)
  else
    redis.call('SET', 'chats:d' .. math.floor(i / 100) .. ':c' .. (i % 100), '{"unreadCount":0}', 'EX', 300)
  end
end
return count`;

const config = (url) =>
  resolveConfig({
    redis: { url, commandTimeoutMs: 120_000 },
    tenants: ['acme', 'globex'],
    invalidation: {
      scanCount: SCAN_COUNT,
      rules: [
        { event: 'planning.story.transitioned', family: 'context', map: { storyId: 'story_id' } },
        { event: 'conversation.correlated', family: ['convMapping', 'waMapping'], map: { conversationId: 'conversationId', waId: 'waId' } },
        { event: 'user.updated', family: 'userState', map: { phone: 'phone' } },
        { event: 'chat.read', family: 'chatList', map: { deviceId: 'deviceId', chatId: 'chatId' } },
      ],
    },
  });

/** The event mix: every 10th a story transition (pattern), the rest exact families. `n` picks fresh ids. */
function mixedEvent(n, base) {
  const i = base + n;
  // Story ids spread over the whole range (as real ids are), so a pass's shared prefix is short.
  if (n % 10 === 0) return ['planning.story.transitioned', { story_id: story((i * 7919) % STORIES) }];
  switch (n % 3) {
    case 0:
      return ['conversation.correlated', { conversationId: `c${i % PER_FAMILY}`, waId: phone(i % PER_FAMILY) }];
    case 1:
      return ['user.updated', { phone: phone(i % PER_FAMILY) }];
    default:
      return ['chat.read', { deviceId: `d${Math.floor((i % PER_FAMILY) / 100)}`, chatId: `c${i % 100}` }];
  }
}

const pct = (list, p) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const ms = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);

if (!isMainThread) {
  await listenerThread();
  process.exit(0);
}

/** Worker: run the listener; post when each entry's keys were gone, and each pass. */
async function listenerThread() {
  const { url } = workerData;
  const controller = new AbortController();
  let settled = [];
  const flush = () => {
    if (settled.length > 0) parentPort.postMessage({ settled });
    settled = [];
  };
  const timer = setInterval(flush, 2);
  parentPort.on('message', (message) => {
    if (message === 'stop') controller.abort();
  });
  const totals = await runListener(config(url), {
    connect: () => connect({ url, commandTimeoutMs: 120_000 }),
    consumer: 'bench',
    signal: controller.signal,
    onSettled: (e) => settled.push({ id: e.id, outcome: e.outcome, appliedAt: e.appliedAt, pass: e.pass }),
    onPass: (r) =>
      parentPort.postMessage({
        pass: { number: r.pass, ms: r.ms, patterns: r.patterns, examined: r.examined, endAt: performance.timeOrigin + performance.now() },
      }),
    onReady: () => parentPort.postMessage({ ready: true }),
    log: (l) => {
      if (l.level !== 'info') parentPort.postMessage({ log: `${l.level}: ${l.msg}` });
    },
  });
  clearInterval(timer);
  flush();
  parentPort.postMessage({ totals });
}

// Imported here, not in the worker: it installs process-wide exit and signal handlers.
const { startThrowawayServer } = await import('../scripts/lib/throwaway-server.mjs');
const server = await startThrowawayServer();
const url = server.url;
const admin = new Redis(url);
const publisher = new Redis(url);
const cfg = config(url);
const connection = await connect({ url, commandTimeoutMs: 120_000 });
try {
  console.log(`cachectl listen benchmark: ${KEYS.toLocaleString('en-US')} keys, ${EVENTS} events (90% exact, 10% prefix patterns), paced at ${RATE}/s`);
  const seeded = performance.now();
  for (const [kind, count] of [
    ['context', STORIES],
    ['user', PER_FAMILY],
    ['conv', PER_FAMILY],
    ['chat', PER_FAMILY],
  ]) {
    for (let first = 0; first < count; first += 20_000) await admin.eval(SEED, 0, kind, first, Math.min(20_000, count - first), PER_FAMILY);
  }
  const dbsize = await admin.dbsize();
  console.log(`seeded ${dbsize.toLocaleString('en-US')} keys in ${ms(performance.now() - seeded)}`);

  // 1. One keyspace pass: bare client SCAN, and one coalesced pass of ours (100 story patterns).
  let t = performance.now();
  let cursor = '0';
  let seen = 0;
  do {
    const [next, keys] = await admin.scanBuffer(cursor, 'COUNT', 1000);
    cursor = next.toString();
    seen += keys.length;
  } while (cursor !== '0');
  const barePass = performance.now() - t;
  const passReports = [];
  const probe = createInvalidator(cfg, connection, { onPass: (r) => passReports.push(r) });
  // Spread like the events' ids; the trailing "x" makes them match nothing, so nothing is deleted.
  await Promise.all(
    Array.from({ length: 100 }, (_, i) => probe.handle({ type: 'planning.story.transitioned', data: { story_id: `${story((i * 7919 + 3) % STORIES)}x` } })),
  );
  const ourPass = passReports[0].ms;
  console.log(
    `one pass: bare SCAN COUNT 1000 ${ms(barePass)} (${seen.toLocaleString('en-US')} keys); coalesced pass of 100 patterns ${ms(ourPass)} (MATCH ${passReports[0].match}, ${passReports[0].examined.toLocaleString('en-US')} keys examined)`,
  );

  // 2. Baseline: per-event SCAN MATCH COUNT 100 + DEL (the seed's handler), a few events.
  const baselineTimes = [];
  for (let k = 0; k < BASELINE_EVENTS; k++) {
    const id = story(STORIES - 1 - k);
    t = performance.now();
    let c = '0';
    do {
      const [next, keys] = await admin.scan(c, 'MATCH', `context:${id}*`, 'COUNT', 100);
      c = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (c !== '0');
    baselineTimes.push(performance.now() - t);
  }
  const baselinePerEvent = baselineTimes.reduce((a, b) => a + b, 0) / baselineTimes.length;
  console.log(
    `baseline per-event SCAN COUNT 100 handler: ${baselineTimes.map(ms).join(', ')} per event (measured on ${BASELINE_EVENTS}, extrapolated to 50: ${ms(baselinePerEvent * 50)})`,
  );

  // The listener, in a worker thread.
  const settledAt = new Map();
  const outcomes = new Map();
  const passes = [];
  let totalsReceived;
  const worker = new Worker(new URL(import.meta.url), { workerData: { url }, argv: process.argv.slice(2) });
  const isReady = new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (message) => {
      if (message.ready) resolve();
      for (const e of message.settled ?? []) {
        settledAt.set(e.id, e.appliedAt - performance.timeOrigin);
        outcomes.set(e.id, e);
      }
      if (message.pass)
        passes.push({
          ...message.pass,
          end: message.pass.endAt - performance.timeOrigin,
          start: message.pass.endAt - performance.timeOrigin - message.pass.ms,
        });
      if (message.log) console.log(`  listener ${message.log}`);
      if (message.totals) totalsReceived = message.totals;
    });
  });
  const listening = new Promise((resolve) => worker.on('exit', resolve));
  await isReady;
  const waitSettled = async (ids, timeoutMs = 600_000) => {
    const deadline = Date.now() + timeoutMs;
    while (ids.some((id) => !settledAt.has(id))) {
      if (Date.now() > deadline) throw new Error('events not applied in time');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };
  const xadd = (pipeline, type, data) =>
    pipeline.xadd(
      cfg.invalidation.stream,
      'MAXLEN',
      '~',
      String(cfg.invalidation.maxLen),
      '*',
      'type',
      type,
      'data',
      JSON.stringify(data),
      'at',
      String(Date.now()),
    );

  // 3. The stress case: 50 keys, 50 transition events.
  const stressKeys = Array.from({ length: 50 }, (_, i) => `context:STRESS-NEO-${String(i + 1).padStart(4, '0')}`);
  await admin.mset(...stressKeys.flatMap((k) => [k, '{"phase":"build"}']));
  let passesBefore = passes.length;
  t = performance.now();
  let pipe = publisher.pipeline();
  for (let i = 0; i < 50; i++) xadd(pipe, 'planning.story.transitioned', { story_id: `STRESS-NEO-${String(i + 1).padStart(4, '0')}` });
  let ids = (await pipe.exec()).map(([, id]) => id);
  await waitSettled(ids);
  const stressMs = performance.now() - t;
  const stressLeft = await admin.exists(...stressKeys);
  const stressPasses = passes.length - passesBefore;

  // 4. Burst: E events at once.
  passesBefore = passes.length;
  t = performance.now();
  pipe = publisher.pipeline();
  const burstEvents = Array.from({ length: EVENTS }, (_, n) => mixedEvent(n, 0));
  for (const [type, data] of burstEvents) xadd(pipe, type, data);
  ids = (await pipe.exec()).map(([, id]) => id);
  await waitSettled(ids);
  const burstMs = performance.now() - t;
  const burstPasses = passes.length - passesBefore;
  const burstFailed = ids.filter((id) => outcomes.get(id)?.outcome !== 'applied').length;
  // Their keys are gone: check the exact ones (a sample of each kind) and the stories.
  const leftAfterBurst = await admin.exists(
    ...burstEvents
      .slice(0, 200)
      .flatMap(([type, d]) =>
        type === 'planning.story.transitioned'
          ? [`context:${d.story_id}`, `context:${d.story_id}:summary`]
          : type === 'user.updated'
            ? [`user:state:${d.phone}`]
            : type === 'chat.read'
              ? [`chats:${d.deviceId}:${d.chatId}`]
              : TENANTS.map((tenant) => `tenant:${tenant}:mapping:conv:${d.conversationId}`),
      ),
  );

  // 5. Paced: E events at RATE/s, latency per event.
  const published = new Map();
  const kinds = new Map();
  const tick = 5;
  const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
  passesBefore = passes.length;
  const pacedStart = performance.now();
  const pending = [];
  for (let n = 0; n < EVENTS; n += perTick) {
    const due = pacedStart + (n / RATE) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const p = publisher.pipeline();
    const batch = [];
    for (let k = n; k < Math.min(EVENTS, n + perTick); k++) {
      const [type, data] = mixedEvent(k, EVENTS);
      xadd(p, type, data);
      batch.push(type);
    }
    const sentAt = performance.now();
    pending.push(
      p.exec().then((replies) => {
        replies.forEach(([, id], j) => {
          published.set(id, sentAt);
          kinds.set(id, batch[j] === 'planning.story.transitioned' ? 'pattern' : 'exact');
        });
      }),
    );
  }
  await Promise.all(pending);
  await waitSettled([...published.keys()]);
  const pacedPasses = passes.slice(passesBefore);
  const latency = { exact: [], pattern: [] };
  // Per pattern event, the passes from the one running when it was published (or the next, when
  // none was) to the one that applied it: 1 = the next pass took it, 2 = it waited out a running one.
  const spanned = [];
  for (const [id, sentAt] of published) {
    latency[kinds.get(id)].push(settledAt.get(id) - sentAt);
    if (kinds.get(id) !== 'pattern') continue;
    const first = passes.find((p) => p.end > sentAt);
    spanned.push(outcomes.get(id).pass - first.number + 1);
  }
  const passUnit = ourPass;

  worker.postMessage('stop');
  await listening;
  const totals = totalsReceived;

  const exactP99 = pct(latency.exact, 99);
  const patternP99 = pct(latency.pattern, 99);
  const eventsPerSecond = EVENTS / (burstMs / 1000);
  console.log('');
  console.log('| measure | ours | target | baseline | ratio |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| stress: 50 keys, 50 events | ${ms(stressMs)}, ${stressLeft} keys left, ${stressPasses} pass(es) | 0 left, ≤ 2 passes | ${ms(baselinePerEvent * 50)} (extrapolated from ${BASELINE_EVENTS} events) | ${((baselinePerEvent * 50) / stressMs).toFixed(1)}x faster |`,
  );
  console.log(
    `| burst of ${EVENTS} events, all applied | ${ms(burstMs)} = ${Math.round(eventsPerSecond).toLocaleString('en-US')} events/s, ${burstPasses} pass(es) | ≥ 1,000 events/s | ${Math.round((1000 / baselinePerEvent) * 10)} events/s (a pass per pattern event) | ${(eventsPerSecond / ((1000 / baselinePerEvent) * 10)).toFixed(1)}x |`,
  );
  console.log(
    `| exact events, publish → gone (${latency.exact.length} at ${RATE}/s) | p50 ${ms(pct(latency.exact, 50))}, p99 ${ms(exactP99)}, max ${ms(Math.max(...latency.exact))} | p99 ≤ 10 ms | | |`,
  );
  const runPass = pct(
    pacedPasses.map((p) => p.ms),
    50,
  );
  console.log(
    `| pattern events, publish → gone (${latency.pattern.length}) | p50 ${ms(pct(latency.pattern, 50))}, p99 ${ms(patternP99)} = ${(patternP99 / passUnit).toFixed(2)}x the isolated pass, ${(patternP99 / runPass).toFixed(2)}x the median pass of the run; passes spanned p99 ${pct(spanned, 99)}, max ${Math.max(...spanned)} | p99 ≤ 2 passes | ${ms(baselinePerEvent)} each, serial | |`,
  );
  console.log(
    `| one keyspace pass | ours ${ms(ourPass)} (100 patterns), during the paced run ${pacedPasses.map((p) => ms(p.ms)).join(', ') || '-'} | | bare SCAN ${ms(barePass)} | ${(ourPass / barePass).toFixed(2)}x bare |`,
  );
  const checks = [
    [`stress case leaves 0 keys within 2 passes (${stressLeft} left, ${stressPasses} passes)`, stressLeft === 0 && stressPasses <= 2],
    [`burst throughput ≥ 1,000 events/s (${Math.round(eventsPerSecond)})`, eventsPerSecond >= 1000],
    [`exact p99 ≤ 10 ms (${exactP99.toFixed(1)} ms)`, exactP99 <= 10],
    [`pattern p99 ≤ 2 passes, counted (p99 of passes spanned: ${pct(spanned, 99)})`, pct(spanned, 99) <= 2],
    [
      `pattern p99 ≤ 2 × the isolated pass time (${(patternP99 / passUnit).toFixed(2)}x; ${(patternP99 / runPass).toFixed(2)}x the run's median pass)`,
      patternP99 <= 2 * passUnit,
    ],
    [`every burst event applied (${burstFailed} not), their keys gone (${leftAfterBurst} left in a sample)`, burstFailed === 0 && leftAfterBurst === 0],
  ];
  console.log('');
  for (const [text, ok] of checks) console.log(`${ok ? 'ok  ' : 'MISS'} ${text}`);
  console.log(`\nlistener totals: ${JSON.stringify(totals)}`);
} finally {
  await connection.close();
  admin.disconnect();
  publisher.disconnect();
  await server.stop();
}
