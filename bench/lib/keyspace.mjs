// The benchmark keyspace of bench/invalidate.mjs: a realistic mix of families, the matching
// `context:*` keys, seeding per master (cluster: by slot owner), and a latency probe (a worker
// thread doing GETs in a loop on every master) while a method runs.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';

export const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka', 'tyrell', 'cyberdyne'];
export const VALUE = JSON.stringify({ step: 'quote', updatedAt: '2025-01-01T00:00:00.000Z', tenant: 'acme', unread: 3 });
const pad = (n, w) => String(n).padStart(w, '0');

/** Non-matching keys: user states, tenant mappings, chat lists, sessions (the realistic mix). */
export function otherKey(i) {
  switch (i % 5) {
    case 0:
      return `user:state:2782${pad(i, 7)}`;
    case 1:
      return `tenant:${TENANTS[i % 10]}:mapping:conv:${pad(i, 8)}-4c1d-4a7e-9b1f-${pad(i % 9973, 12)}`;
    case 2:
      return `tenant:${TENANTS[i % 10]}:mapping:wa:+2782${pad(i, 7)}`;
    case 3:
      return `chats:device-${i % 500}:chat-${i}`;
    default:
      return `session:${pad(i, 9)}`;
  }
}

/** Matching keys: story contexts and their sub-entries. */
export function matchKey(j) {
  return `context:STORY-${pad(Math.floor(j / 4), 6)}${['', ':summary', ':plan', ':tasks'][j % 4]}`;
}

/**
 * The masters of a throwaway server or cluster, with `seed(keyOf, count)` (pipelined SETs per
 * master), `dbsize()` (sum over masters) and `probe()` (start GET loops; call the result to stop
 * them and get the worst latency seen).
 */
export async function benchKeyspace(masterPorts, keySlot) {
  const masters = masterPorts.map((port) => new Redis(port, '127.0.0.1'));
  let slotOwner = () => 0;
  if (masterPorts.length > 1) {
    const ranges = await masters[0].call('CLUSTER', 'SLOTS');
    const owner = new Array(16384);
    for (const [from, to, [, port]] of ranges) for (let s = from; s <= to; s++) owner[s] = masterPorts.indexOf(Number(port));
    slotOwner = (key) => owner[keySlot(Buffer.from(key))];
  }

  async function seed(keyOf, count) {
    const per = masters.map(() => []);
    const flush = async (force) => {
      await Promise.all(
        per.map(async (list, i) => {
          if (list.length === 0 || (!force && list.length < 5000)) return;
          const p = masters[i].pipeline();
          for (const key of list.splice(0)) p.set(key, VALUE);
          await p.exec();
        }),
      );
    };
    for (let i = 0; i < count; i++) {
      const key = keyOf(i);
      per[slotOwner(key)].push(key);
      if (i % 20_000 === 0) await flush(false);
    }
    await flush(true);
  }

  async function dbsize() {
    return (await Promise.all(masters.map((m) => m.dbsize()))).reduce((a, b) => a + b, 0);
  }

  /** Start the probe thread; resolves once it is running, to a function that stops it and gives the worst GET (ms). */
  async function probe() {
    const keys = masterPorts.map((_, i) => {
      for (let k = 0; ; k++) if (slotOwner(otherKey(k)) === i) return otherKey(k);
    });
    const worker = new Worker(new URL('./probe-worker.mjs', import.meta.url), { workerData: { ports: masterPorts, keys } });
    const messages = [];
    let wake = () => {};
    worker.on('message', (m) => {
      messages.push(m);
      wake();
    });
    const next = async (field) => {
      while (!messages.some((m) => field in m)) await new Promise((resolve) => (wake = resolve));
      return messages.find((m) => field in m)[field];
    };
    await next('ready');
    return async () => {
      worker.postMessage('stop');
      const worst = await next('worst');
      await worker.terminate();
      return worst;
    };
  }

  return { masters, seed, dbsize, probe, close: () => masters.forEach((m) => m.disconnect()) };
}

/** Peak resident memory (VmHWM, MB) of a child process, polled until it exits. */
export function peakRss(pid) {
  let kb = 0;
  const timer = setInterval(() => {
    try {
      kb = Math.max(kb, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0));
    } catch {
      // exited between polls
    }
  }, 5);
  return () => {
    clearInterval(timer);
    return kb / 1024;
  };
}
