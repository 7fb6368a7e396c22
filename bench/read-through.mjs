#!/usr/bin/env node
// Benchmark of the read-through reader (npm run bench:read-through [-- --ops N] [-- --rounds R]
// [-- --valkey]), on a throwaway server, every row measured in the same run:
//   - hit: `reader.read()` of a cached key vs a plain GET, both returning a string (sequential, one
//     request in flight):
//     target <= 1.1x;
//   - miss: `reader.read()` of an absent key (lease, loader, fill) vs a plain GET + SET PX with the
//     same loader (an instant one, so the rows show protocol cost only): target <= 1.5x;
//   - herd: 100 concurrent reads of one absent key from one reader, and 100 spread over 4 readers
//     on 4 connections (as 4 processes would be): the loader must run once in each.
// The two sides run in alternating blocks of 50 operations; each row prints the median per-block
// time of each side and the median ratio over the rounds (with its range).
// Needs `npm run build` first (imports ../dist).
import { connect } from '../dist/redis/connect.js';
import { resolveConfig } from '../dist/config/load.js';
import { createReader } from '../dist/core/read-through/reader.js';
import { startThrowawayServer } from '../scripts/lib/throwaway-server.mjs';
import { booleanFlag, numberFlag } from './lib/args.mjs';

const OPS = numberFlag('ops', 5000);
const ROUNDS = numberFlag('rounds', 5);
const BLOCK = numberFlag('block', 50);
const VALUE = JSON.stringify({ conversation_id: 'c', wa_id: '27821234567', communication_id: 'participant-7', tenant: 'acme' });
const TTL = 3600;

const server = await startThrowawayServer(booleanFlag('valkey') ? { binary: 'valkey-server' } : {});
const config = resolveConfig({
  redis: { url: server.url },
  families: { convMapping: { template: 'tenant:{tenant}:mapping:conv:{conversationId}', ttlSeconds: TTL } },
});
const connections = await Promise.all(Array.from({ length: 4 }, () => connect({ url: server.url })));
const [main] = connections;
const client = main.client;
const reader = createReader(config, main);
const loader = async () => VALUE;
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

/** µs per operation of `fn` over `count` sequential operations starting at `from`. */
async function block(fn, from, count) {
  const start = performance.now();
  for (let i = from; i < from + count; i++) await fn(i);
  return ((performance.now() - start) * 1000) / count;
}

/**
 * The two sides in alternating short blocks (order swapped every block), so that load from other
 * processes on a shared machine falls on both alike; the ratio is of the per-block medians.
 */
async function compare(ours, base) {
  const rows = { ours: [], base: [] };
  const blocks = Math.max(2, Math.ceil(OPS / BLOCK));
  for (let b = 0; b < blocks; b++) {
    const from = b * BLOCK;
    const pair = b % 2 === 0 ? ['ours', 'base'] : ['base', 'ours'];
    for (const side of pair) rows[side].push(await block(side === 'ours' ? ours : base, from, BLOCK));
  }
  return rows;
}

// Warm-up (script cache, JIT).
await reader.read('tenant:acme:mapping:conv:warm', loader);
for (let i = 0; i < 200; i++) await client.getBuffer('tenant:acme:mapping:conv:warm');

const hitKey = (i) => `tenant:acme:mapping:conv:hit-${i % 100}`;
for (let i = 0; i < 100; i++) await client.set(hitKey(i), VALUE, 'EX', TTL);

const hits = [];
const misses = [];
for (let round = 0; round < ROUNDS; round++) {
  hits.push(
    await compare(
      (i) => reader.read(hitKey(i), loader),
      (i) => client.get(hitKey(i)),
    ),
  );
  misses.push(
    await compare(
      (i) => reader.read(`tenant:acme:mapping:conv:read-${round}-${i}`, loader),
      async (i) => {
        const key = `tenant:acme:mapping:conv:plain-${round}-${i}`;
        if ((await client.get(key)) === null) await client.set(key, await loader(), 'PX', TTL * 1000);
      },
    ),
  );
}

async function herd(readers, key) {
  let loads = 0;
  const slowLoader = () => new Promise((resolve) => setTimeout(() => resolve(`v${++loads}`, 0), 20));
  const values = await Promise.all(Array.from({ length: 100 }, (_, i) => readers[i % readers.length].read(key, slowLoader)));
  return { loads, distinct: new Set(values).size };
}
const oneProcess = await herd([reader], 'tenant:acme:mapping:conv:herd-1');
const fourProcesses = await herd(
  connections.map((c) => createReader(config, c)),
  'tenant:acme:mapping:conv:herd-4',
);

const line = (name, rounds, target) => {
  const ratios = rounds.map((r) => median(r.ours) / median(r.base));
  const ratio = median(ratios);
  const ours = median(rounds.map((r) => median(r.ours)));
  const base = median(rounds.map((r) => median(r.base)));
  console.log(
    `${name.padEnd(5)} read-through ${ours.toFixed(1).padStart(6)} µs   plain ${base.toFixed(1).padStart(6)} µs   ratio ${ratio.toFixed(2)}x (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})   target <= ${target}x ${ratio <= target ? 'PASS' : 'FAIL'}`,
  );
};
console.log(
  `${booleanFlag('valkey') ? 'valkey-server' : 'redis-server'}, ${OPS} operations per side x ${ROUNDS} rounds, blocks of ${BLOCK}, one request in flight`,
);
line('hit', hits, 1.1);
line('miss', misses, 1.5);
console.log(
  `herd   100 concurrent misses of one key, 1 reader:  loader ran ${oneProcess.loads}x, ${oneProcess.distinct} distinct value(s) ${oneProcess.loads === 1 ? 'PASS' : 'FAIL'}`,
);
console.log(
  `herd   100 concurrent misses of one key, 4 readers: loader ran ${fourProcesses.loads}x, ${fourProcesses.distinct} distinct value(s) ${fourProcesses.loads === 1 ? 'PASS' : 'FAIL'}`,
);

await Promise.all(connections.map((c) => c.close()));
await server.stop();
