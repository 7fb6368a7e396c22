#!/usr/bin/env node
// Benchmark of the read-through reader (npm run bench:read-through [-- --ops N] [-- --rounds R]
// [-- --valkey] [-- --breakdown]), on a throwaway server, every row measured in the same run:
//   - hit: `reader.read()` of a cached key vs a plain GET, both returning a string (sequential, one
//     request in flight):
//     target <= 1.1x;
//   - miss: `reader.read()` of an absent key (lease, loader, fill) vs a plain GET + SET PX with the
//     same loader (an instant one, so the rows show protocol cost only): target <= 1.5x;
//   - herd: 100 concurrent reads of one absent key from one reader, and 100 spread over 4 readers
//     on 4 connections (as 4 processes would be): the loader must run once in each.
//   - with --breakdown, the reader's commands sent raw (no reader) against the same baselines: the
//     probe through ioredis's command method and as a ready string list, and probe + fill.
// The two sides use the same connection, keys of the same length, the same value and loader, and
// run in alternating blocks of 50 operations after a warm-up of both; each row prints the median
// per-block time of each side and the median ratio over the rounds (with its range).
// Needs `npm run build` first (imports ../dist).
import { connect } from '../dist/redis/connect.js';
import { resolveConfig } from '../dist/config/load.js';
import { createReader } from '../dist/core/read-through/reader.js';
import { fillLease, leaseSource } from '../dist/core/read-through/lease.js';
import { sendStrings } from '../dist/core/read-through/wire.js';
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
async function compare(ours, base, ops) {
  const rows = { ours: [], base: [] };
  const blocks = Math.max(2, Math.ceil(ops / BLOCK));
  for (let b = 0; b < blocks; b++) {
    const from = b * BLOCK;
    const pair = b % 2 === 0 ? ['ours', 'base'] : ['base', 'ours'];
    for (const side of pair) rows[side].push(await block(side === 'ours' ? ours : base, from, BLOCK));
  }
  return rows;
}

const hitKey = (i) => `tenant:acme:mapping:conv:hit-${i % 100}`;
for (let i = 0; i < 100; i++) await client.set(hitKey(i), VALUE, 'EX', TTL);
// Miss keys: never read before, the same length on both sides.
const missKey = (side, round, i) => `tenant:acme:mapping:conv:${side}-${round}-${i}`;
const plainHit = (i) => client.get(hitKey(i));
const plainMiss = (side) => (round) => async (i) => {
  const key = missKey(side, round, i);
  if ((await client.get(key)) === null) await client.set(key, await loader(), 'PX', TTL * 1000);
};
const nextLease = leaseSource();
const LEASE_MS = '10000';
const TTL_MS = String(TTL * 1000);
const rows = {
  hit: { target: 1.1, ours: () => (i) => reader.read(hitKey(i), loader), base: () => plainHit },
  miss: { target: 1.5, ours: (round) => (i) => reader.read(missKey('ours', round, i), loader), base: plainMiss('base') },
};
if (booleanFlag('breakdown')) {
  Object.assign(rows, {
    'probe, command method': { base: () => plainHit, ours: () => (i) => client.setBuffer(hitKey(i), nextLease(), 'PX', LEASE_MS, 'NX', 'GET') },
    'probe, ready strings': { base: () => plainHit, ours: () => (i) => sendStrings(client, 'set', [hitKey(i), nextLease(), 'PX', LEASE_MS, 'NX', 'GET']) },
    'probe + fill': {
      base: plainMiss('rawb'),
      ours: (round) => async (i) => {
        const key = missKey('rawo', round, i);
        const lease = nextLease();
        if ((await sendStrings(client, 'set', [key, lease, 'PX', LEASE_MS, 'NX', 'GET'])) === null) await fillLease(client, key, lease, await loader(), TTL_MS);
      },
    },
  });
}

// Warm-up of both sides (script cache, JIT), not measured.
for (const row of Object.values(rows)) await compare(row.ours('warm'), row.base('warm'), 1000);
const results = Object.fromEntries(Object.keys(rows).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, row] of Object.entries(rows)) results[name].push(await compare(row.ours(round), row.base(round), OPS));
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
  const verdict = target === undefined ? '' : `   target <= ${target}x ${ratio <= target ? 'PASS' : 'FAIL'}`;
  console.log(
    `${name.padEnd(22)} ours ${ours.toFixed(1).padStart(6)} µs   plain ${base.toFixed(1).padStart(6)} µs   ratio ${ratio.toFixed(2)}x (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})${verdict}`,
  );
};
console.log(
  `${booleanFlag('valkey') ? 'valkey-server' : 'redis-server'}, ${OPS} operations per side x ${ROUNDS} rounds, blocks of ${BLOCK}, one request in flight`,
);
for (const [name, row] of Object.entries(rows)) line(name === 'hit' || name === 'miss' ? `${name} (read-through)` : name, results[name], row.target);
console.log(
  `herd   100 concurrent misses of one key, 1 reader:  loader ran ${oneProcess.loads}x, ${oneProcess.distinct} distinct value(s) ${oneProcess.loads === 1 ? 'PASS' : 'FAIL'}`,
);
console.log(
  `herd   100 concurrent misses of one key, 4 readers: loader ran ${fourProcesses.loads}x, ${fourProcesses.distinct} distinct value(s) ${fourProcesses.loads === 1 ? 'PASS' : 'FAIL'}`,
);

await Promise.all(connections.map((c) => c.close()));
await server.stop();
