#!/usr/bin/env node
// Benchmark of the queue module (issue 5), on a throwaway redis-server:
//  1. cleaning N completed jobs: `cachectl queues clean` (in-process CLI) vs a plain loop of
//     BullMQ's own `Queue.clean(0, 10000, 'completed')`, re-seeded in between; a second client's
//     worst GET latency during each (target < 100 ms) and the total time (target ≤ 1.5× BullMQ's).
//  2. discovery of Q queues among K keys vs one bare SCAN pass over the keyspace (target ≤ 1.5×).
//  3. draining D waiting jobs: `cachectl queues drain` (take, write the backup, remove) vs the
//     earlier export-then-remove (export file, then one `Queue.remove` per job) vs BullMQ's own
//     `Queue.drain()` (no backup), re-seeded in between, with a second client's worst GET latency.
//
//   npm run build && node bench/queues.mjs [--jobs 1000000] [--keys 1000000] [--queues 1000]
//                                          [--drain-jobs 100000] [--rounds 1] [--only clean|discovery|drain]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { numberFlag, stringFlag } from './lib/args.mjs';

const QUEUE = 'bench';
const PREFIX = 'bull';

if (!isMainThread) await probe();
else await main();

/** Worker thread: GET in a loop on its own connection and event loop; report the worst latency. */
async function probe() {
  const client = new Redis(workerData.url);
  await client.set('bench:probe', 'x');
  let stop = false;
  let worst = 0;
  let count = 0;
  parentPort.on('message', () => (stop = true));
  parentPort.postMessage({ ready: true });
  while (!stop) {
    const t0 = performance.now();
    await client.get('bench:probe');
    const ms = performance.now() - t0;
    if (ms > worst) worst = ms;
    count++;
  }
  parentPort.postMessage({ worst, count });
  client.disconnect();
}

async function main() {
  const jobs = numberFlag('jobs', 1_000_000);
  const keys = numberFlag('keys', 1_000_000);
  const queues = numberFlag('queues', 1000);
  const rounds = numberFlag('rounds', 1);
  const only = stringFlag('only', 'all');
  const drainJobs = numberFlag('drain-jobs', 100_000);
  const { startThrowawayServer } = await import('../scripts/lib/throwaway-server.mjs');
  const server = await startThrowawayServer({ args: ['--maxmemory-policy', 'noeviction'] });
  const admin = new Redis(server.url);
  const rows = [];
  try {
    if (only === 'all' || only === 'clean') rows.push(...(await benchClean(server.url, admin, jobs, rounds)));
    if (only === 'all' || only === 'discovery') rows.push(...(await benchDiscovery(server.url, admin, keys, queues, rounds)));
    if (only === 'all' || only === 'drain') rows.push(...(await benchDrain(server.url, admin, drainJobs, rounds)));
  } finally {
    admin.disconnect();
    await server.stop();
  }
  console.log('\nresults');
  console.table(rows);
}

// ---------------------------------------------------------------------------------------------
// 1. clean

async function benchClean(url, admin, jobs, rounds) {
  console.log(`clean: ${jobs.toLocaleString('en-US')} completed jobs, ${rounds} round(s)`);
  const rows = [];
  for (let round = 1; round <= rounds; round++) {
    await seedCompleted(admin, jobs);
    const bull = await withProbe(url, () => bullmqLoop(url));
    await seedCompleted(admin, jobs);
    const ours = await withProbe(url, () => ourClean(url));
    for (const [name, r] of [
      ['BullMQ Queue.clean(0, 10000) loop', bull],
      ['cachectl queues clean', ours],
    ]) {
      rows.push({
        test: `clean ${jobs} (round ${round})`,
        method: name,
        seconds: +(r.ms / 1000).toFixed(2),
        'worst GET ms': +r.worst.toFixed(1),
        removed: r.removed,
      });
    }
    const ratio = ours.ms / bull.ms;
    rows.push({
      test: `clean ${jobs} (round ${round})`,
      method: 'ratio ours / BullMQ',
      seconds: +ratio.toFixed(2),
      'worst GET ms': ours.worst < 100 ? 'ok < 100' : 'OVER 100',
      removed: ratio <= 1.5 ? 'ok ≤ 1.5×' : 'OVER 1.5×',
    });
  }
  return rows;
}

/** N completed jobs in BullMQ's layout (job hash + `completed` zset scored by finishedOn). */
async function seedCompleted(admin, jobs) {
  const t0 = performance.now();
  const base = `${PREFIX}:${QUEUE}`;
  await admin.hset(`${base}:meta`, 'opts.maxLenEvents', '10000', 'version', 'bullmq:bench');
  const now = Date.now() - 3_600_000;
  const BATCH = 5000;
  for (let start = 1; start <= jobs; start += BATCH) {
    const p = admin.pipeline();
    const members = [];
    for (let id = start; id < Math.min(start + BATCH, jobs + 1); id++) {
      const finishedOn = now + id;
      p.hset(`${base}:${id}`, {
        name: 'send-message',
        data: JSON.stringify({ to: `+2782${String(id).padStart(7, '0')}`, body: 'hello there' }),
        opts: '{"attempts":3,"backoff":{"type":"exponential","delay":1000}}',
        timestamp: String(finishedOn - 50),
        delay: '0',
        priority: '0',
        processedOn: String(finishedOn - 10),
        finishedOn: String(finishedOn),
        returnvalue: '"ok"',
        atm: '1',
        ats: '1',
      });
      members.push(finishedOn, String(id));
    }
    p.zadd(`${base}:completed`, ...members);
    await p.exec();
  }
  await admin.set(`${base}:id`, String(jobs));
  const queue = new Queue(QUEUE, { connection: admin, prefix: PREFIX, skipMetasUpdate: true });
  const counts = await queue.getJobCounts('completed', 'wait', 'active');
  await queue.close();
  if (counts.completed !== jobs) throw new Error(`seeding failed: getJobCounts says ${counts.completed} completed, expected ${jobs}`);
  console.log(`  seeded ${jobs.toLocaleString('en-US')} completed jobs in ${((performance.now() - t0) / 1000).toFixed(1)} s (getJobCounts agrees)`);
}

async function bullmqLoop(url) {
  const client = new Redis(url);
  const queue = new Queue(QUEUE, { connection: client, prefix: PREFIX, skipMetasUpdate: true });
  let removed = 0;
  try {
    await queue.waitUntilReady();
    const t0 = performance.now();
    for (;;) {
      const ids = await queue.clean(0, 10_000, 'completed');
      removed += ids.length;
      if (ids.length === 0) break;
    }
    return { ms: performance.now() - t0, removed };
  } finally {
    await queue.close();
    client.disconnect();
  }
}

async function ourClean(url) {
  const { run } = await import('../dist/cli/main.js');
  const cwd = mkdtempSync(path.join(tmpdir(), 'cachectl-bench-'));
  let stdout = '';
  let stderr = '';
  const sink = (append) => new Writable({ write: (chunk, _e, done) => (append(chunk.toString()), done()) });
  const stdin = new PassThrough();
  stdin.end();
  try {
    const t0 = performance.now();
    const code = await run(['queues', 'clean', QUEUE, '--state', 'completed', '--grace', '0', '--max-time', '1h', '--yes', '--json', '--redis-url', url], {
      streams: { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), stdin },
      cwd,
    });
    const ms = performance.now() - t0;
    if (code !== 0) throw new Error(`cachectl queues clean exited ${code}: ${stderr}`);
    return { ms, removed: JSON.parse(stdout).total };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 3. drain

async function benchDrain(url, admin, jobs, rounds) {
  console.log(`drain: ${jobs.toLocaleString('en-US')} waiting jobs, ${rounds} round(s)`);
  const rows = [];
  for (let round = 1; round <= rounds; round++) {
    const results = [];
    for (const [name, work] of [
      ['cachectl queues drain (take, backup, remove)', () => ourDrain(url)],
      ['earlier export, then Queue.remove each', () => exportThenRemove(url)],
      ['BullMQ Queue.drain() (no backup)', () => bullmqDrain(url)],
    ]) {
      await admin.flushall();
      await seedWaiting(admin, jobs);
      const r = await withProbe(url, work);
      const left = await admin.llen(`${PREFIX}:${QUEUE}:wait`);
      if (left !== 0) throw new Error(`${name} left ${left} jobs waiting`);
      results.push(r);
      rows.push({
        test: `drain ${jobs} (round ${round})`,
        method: name,
        seconds: +(r.ms / 1000).toFixed(2),
        'worst GET ms': +r.worst.toFixed(1),
        removed: r.removed,
      });
    }
    rows.push({
      test: `drain ${jobs} (round ${round})`,
      method: 'ratios ours / earlier, ours / Queue.drain',
      seconds: `${(results[0].ms / results[1].ms).toFixed(2)} / ${(results[0].ms / results[2].ms).toFixed(1)}`,
      'worst GET ms': '',
      removed: '',
    });
  }
  return rows;
}

/** N waiting jobs in BullMQ's layout (job hash + `wait` list, newest at the head). */
async function seedWaiting(admin, jobs) {
  const base = `${PREFIX}:${QUEUE}`;
  await admin.hset(`${base}:meta`, 'opts.maxLenEvents', '10000', 'version', 'bullmq:bench');
  const now = Date.now();
  const BATCH = 5000;
  for (let start = 1; start <= jobs; start += BATCH) {
    const p = admin.pipeline();
    const ids = [];
    for (let id = start; id < Math.min(start + BATCH, jobs + 1); id++) {
      p.hset(`${base}:${id}`, {
        name: 'send-message',
        data: JSON.stringify({ to: `+2782${String(id).padStart(7, '0')}`, body: 'hello there' }),
        opts: '{"attempts":3,"backoff":{"type":"exponential","delay":1000}}',
        timestamp: String(now + id),
        delay: '0',
        priority: '0',
      });
      ids.push(String(id));
    }
    p.lpush(`${base}:wait`, ...ids);
    await p.exec();
  }
  await admin.set(`${base}:id`, String(jobs));
}

async function ourDrain(url) {
  const { run } = await import('../dist/cli/main.js');
  const cwd = mkdtempSync(path.join(tmpdir(), 'cachectl-bench-'));
  let stdout = '';
  let stderr = '';
  const sink = (append) => new Writable({ write: (chunk, _e, done) => (append(chunk.toString()), done()) });
  const stdin = new PassThrough();
  stdin.end();
  try {
    const t0 = performance.now();
    const code = await run(['queues', 'drain', QUEUE, '--yes', '--json', '--redis-url', url], {
      streams: { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), stdin },
      cwd,
    });
    const ms = performance.now() - t0;
    if (code !== 0) throw new Error(`cachectl queues drain exited ${code}: ${stderr}`);
    return { ms, removed: JSON.parse(stdout).removed };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** What drains did before: export the jobs to a file, then remove them with one Queue.remove each. */
async function exportThenRemove(url) {
  const { connect } = await import('../dist/redis/connect.js');
  const { exportJobs } = await import('../dist/core/queues/export.js');
  const { queueRef } = await import('../dist/core/queues/discovery.js');
  const connection = await connect({ url });
  const queue = new Queue(QUEUE, { connection: connection.client, prefix: PREFIX, skipMetasUpdate: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-bench-'));
  try {
    const t0 = performance.now();
    const exported = await exportJobs(connection, queueRef(PREFIX, QUEUE), { states: ['wait', 'paused', 'prioritized'], out: path.join(dir, 'x.jsonl') });
    const ids = exported.ids.flatMap((s) => s.ids);
    let removed = 0;
    for (let i = 0; i < ids.length; i += 200) {
      const results = await Promise.all(ids.slice(i, i + 200).map((id) => queue.remove(id, { removeChildren: false })));
      removed += results.filter((r) => r === 1).length;
    }
    return { ms: performance.now() - t0, removed };
  } finally {
    await queue.close();
    await connection.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bullmqDrain(url) {
  const client = new Redis(url);
  const queue = new Queue(QUEUE, { connection: client, prefix: PREFIX, skipMetasUpdate: true });
  try {
    await queue.waitUntilReady();
    const before = await queue.getWaitingCount();
    const t0 = performance.now();
    await queue.drain();
    return { ms: performance.now() - t0, removed: before - (await queue.getWaitingCount()) };
  } finally {
    await queue.close();
    client.disconnect();
  }
}

/** Run `work` while a worker thread measures another client's GET latency. */
async function withProbe(url, work) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { url } });
  const messages = [];
  let wake;
  worker.on('message', (m) => {
    messages.push(m);
    wake?.();
  });
  const next = () => new Promise((resolve) => (messages.length ? resolve() : (wake = resolve)));
  await next();
  messages.shift();
  await new Promise((r) => setTimeout(r, 100));
  const result = await work();
  worker.postMessage('stop');
  await next();
  const { worst } = messages.shift();
  await worker.terminate();
  return { ...result, worst };
}

// ---------------------------------------------------------------------------------------------
// 2. discovery

async function benchDiscovery(url, admin, keys, queues, rounds) {
  console.log(`discovery: ${queues.toLocaleString('en-US')} queues among ${keys.toLocaleString('en-US')} keys`);
  const { connect } = await import('../dist/redis/connect.js');
  const { discoverQueues } = await import('../dist/core/queues/discovery.js');
  // What the clean part left of its queue (meta, id, events) would count as a queue.
  for (const suffix of ['meta', 'id', 'events', 'completed']) await admin.unlink(`${PREFIX}:${QUEUE}:${suffix}`);
  const perQueue = 3; // meta, id, one job hash
  const BATCH = 5000;
  for (let start = 0; start < queues; start += BATCH) {
    const p = admin.pipeline();
    for (let q = start; q < Math.min(start + BATCH, queues); q++) {
      p.hset(`${PREFIX}:q${q}:meta`, 'opts.maxLenEvents', '10000');
      p.set(`${PREFIX}:q${q}:id`, '1');
      p.hset(`${PREFIX}:q${q}:1`, 'name', 'x');
    }
    await p.exec();
  }
  const filler = Math.max(0, keys - queues * perQueue);
  for (let start = 0; start < filler; start += BATCH) {
    const p = admin.pipeline();
    for (let i = start; i < Math.min(start + BATCH, filler); i++) p.set(`tenant:t${i % 50}:mapping:conv:${i}`, 'v');
    await p.exec();
  }
  const total = await admin.dbsize();
  console.log(`  seeded ${total.toLocaleString('en-US')} keys`);
  const connection = await connect({ url });
  const rows = [];
  try {
    const scanTimes = [];
    const ourTimes = [];
    for (let i = 0; i < Math.max(3, rounds); i++) {
      let t0 = performance.now();
      let cursor = '0';
      let seen = 0;
      do {
        const [next, batch] = await admin.scan(cursor, 'COUNT', 1000);
        seen += batch.length;
        cursor = next;
      } while (cursor !== '0');
      scanTimes.push(performance.now() - t0);
      t0 = performance.now();
      const found = await discoverQueues(connection, [PREFIX], { count: 1000 });
      ourTimes.push(performance.now() - t0);
      if (found.length !== queues) throw new Error(`discovery found ${found.length} queues, expected ${queues}`);
      if (seen < total) throw new Error(`bare SCAN saw ${seen} of ${total} keys`);
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const scan = median(scanTimes);
    const ours = median(ourTimes);
    const test = `discover ${queues} queues in ${total} keys (median of ${scanTimes.length})`;
    rows.push({ test, method: 'bare SCAN COUNT 1000 pass', seconds: +(scan / 1000).toFixed(3) });
    rows.push({ test, method: 'discoverQueues (MATCH bull:*:meta)', seconds: +(ours / 1000).toFixed(3) });
    rows.push({ test, method: 'ratio ours / bare SCAN', seconds: +(ours / scan).toFixed(2), removed: ours / scan <= 1.5 ? 'ok ≤ 1.5×' : 'OVER 1.5×' });
  } finally {
    await connection.close();
  }
  return rows;
}
