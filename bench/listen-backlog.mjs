#!/usr/bin/env node
// CPU per event of `listen` beside the bare consumer (bench/lib/bare-consumer.mjs), on a backlog:
// N exact events (the mix of bench/listen.mjs without patterns) are in the stream, with their keys,
// before the consumer starts; it runs in a child process of its own that reports its wall time and
// its own CPU time (process.cpuUsage) from its start until every event was applied and
// acknowledged. CPU time moves far less than wall time when the machine is shared, so this is the
// figure to compare when the throughput ratio of bench/listen.mjs swings from run to run.
// Alternated, --rounds times each, on one throwaway server.
//
//   npm run build && node bench/listen-backlog.mjs [--events 20000] [--rounds 3]
//   node --cpu-prof --cpu-prof-dir=prof bench/listen-backlog.mjs   (Node flags carry to the children)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { numberFlag } from './lib/args.mjs';
import { exactKeys, runBareConsumer } from './lib/bare-consumer.mjs';

const EVENTS = numberFlag('events', 20_000);
const ROUNDS = numberFlag('rounds', 3);
const rules = [
  { event: 'conversation.correlated', family: ['convMapping', 'waMapping'], map: { conversationId: 'conversationId', waId: 'waId' } },
  { event: 'user.updated', family: 'userState', map: { phone: 'phone' } },
  { event: 'chat.read', family: 'chatList', map: { deviceId: 'deviceId', chatId: 'chatId' } },
];
const phone = (i) => `+2782${String(i).padStart(7, '0')}`;
const event = (n) =>
  n % 3 === 0
    ? ['conversation.correlated', { conversationId: `c${n}`, waId: phone(n) }]
    : n % 3 === 1
      ? ['user.updated', { phone: phone(n) }]
      : ['chat.read', { deviceId: `d${Math.floor(n / 100)}`, chatId: `c${n % 100}` }];

const [role, url, stream, group] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (role === 'listen' || role === 'bare') await child();
else await main();

/** Child: consume until EVENTS entries settled; print { ms, cpuMs } as JSON. */
async function child() {
  const controller = new AbortController();
  let settled = 0;
  let done;
  const all = new Promise((resolve) => (done = resolve));
  const onSettled = () => {
    if (++settled === EVENTS) done();
  };
  const { resolveConfig } = await import('../dist/config/load.js');
  const { connect } = await import('../dist/redis/connect.js');
  const { runListener } = await import('../dist/core/invalidation/listener.js');
  const config = resolveConfig({ redis: { url }, tenants: ['acme', 'globex'], invalidation: { stream, group, rules } });
  const cpu = process.cpuUsage();
  const started = performance.now();
  const run =
    role === 'bare'
      ? runBareConsumer({ url, stream, group, signal: controller.signal, onSettled })
      : runListener(config, { connect: () => connect({ url }), consumer: 'bench', signal: controller.signal, onSettled });
  await all;
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  controller.abort();
  await run;
  console.log(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000 }));
  process.exit(0);
}

async function main() {
  const { startThrowawayServer } = await import('../scripts/lib/throwaway-server.mjs');
  const server = await startThrowawayServer();
  const admin = new Redis(server.url);
  const results = { bare: [], listen: [] };
  try {
    console.log(`listen vs bare consumer on a backlog of ${EVENTS.toLocaleString('en-US')} exact events, ${ROUNDS} rounds each, alternated`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const role of ['bare', 'listen']) {
        const stream = `bench:backlog:${role}:${round}`;
        for (let first = 0; first < EVENTS; first += 5000) {
          const pipe = admin.pipeline();
          for (let n = first; n < Math.min(EVENTS, first + 5000); n++) {
            const [type, data] = event(n);
            for (const key of exactKeys(type, data)) pipe.set(key, 'x');
            pipe.xadd(stream, '*', 'type', type, 'data', JSON.stringify(data), 'at', String(Date.now()));
          }
          await pipe.exec();
        }
        const out = await runChild([fileURLToPath(import.meta.url), role, server.url, stream, 'g', ...process.argv.slice(2)]);
        results[role].push(JSON.parse(out));
      }
    }
  } finally {
    admin.disconnect();
    await server.stop();
  }
  const row = (role) => {
    const list = results[role];
    const us = list.map((r) => (r.cpuMs * 1000) / EVENTS);
    const rate = list.map((r) => EVENTS / (r.ms / 1000));
    return {
      us,
      rate,
      text: `CPU ${us.map((x) => x.toFixed(1)).join(', ')} µs/event; ${rate.map((x) => Math.round(x).toLocaleString('en-US')).join(', ')} events/s`,
    };
  };
  const bare = row('bare');
  const listen = row('listen');
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(`bare consumer: ${bare.text}`);
  console.log(`listen:        ${listen.text}`);
  console.log(
    `median: listen uses ${(median(listen.us) / median(bare.us)).toFixed(2)}× the bare consumer's CPU per event; throughput ${(median(listen.rate) / median(bare.rate)).toFixed(2)}×`,
  );
}

function runChild(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...process.execArgv, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.on('error', reject);
    proc.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').pop()) : reject(new Error(`${args[1]} exited ${code}`))));
  });
}
