// A deterministic harness for read-through races: each case is one cache key, a few readers (each
// its own reader, as separate processes would be) whose loaders wait on promises the schedule
// releases, and database writes each followed by an invalidation. A seeded PRNG picks the
// schedule. After every fill and at the end of a case the cache must not hold a value older than
// the newest write whose invalidation has completed.
import type { CacheReader } from '../../../src/core/read-through/reader.js';
import { isLease } from '../../../src/core/read-through/lease.js';
import type { RedisClient } from '../../../src/redis/connect.js';

export interface CaseKey {
  key: string;
  tenant: string;
  conversationId: string;
}

export type Invalidate = (target: CaseKey) => Promise<void>;

export interface InterleaveOptions {
  seed: number;
  cases: number;
  /** Cases run at the same time (distinct keys). */
  concurrency: number;
  /** Key of case `i`. */
  keyOf(i: number, random: () => number): CaseKey;
  /** Readers to draw from; each reader of a case is a different one. */
  readers: CacheReader[];
  /** The invalidation paths, picked at random for each write. */
  invalidations: Invalidate[];
  client: RedisClient;
  /** First case number (keys of several runs on one server stay apart). */
  first?: number;
}

export interface InterleaveResult {
  cases: number;
  checks: number;
  /** Checks that found a value older than the newest invalidated write. */
  stale: number;
  writes: number;
}

/** mulberry32: a small seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

type Step = { kind: 'start' | 'read' | 'finish'; reader: number } | { kind: 'write'; via: number };

/** The schedule of one case: every reader's start < read < finish, writes anywhere. */
function schedule(random: () => number, readers: number, writes: number, paths: number): Step[] {
  const tracks: Step[][] = [];
  for (let r = 0; r < readers; r++)
    tracks.push([
      { kind: 'start', reader: r },
      { kind: 'read', reader: r },
      { kind: 'finish', reader: r },
    ]);
  for (let w = 0; w < writes; w++) tracks.push([{ kind: 'write', via: Math.floor(random() * paths) }]);
  const steps: Step[] = [];
  while (tracks.some((t) => t.length > 0)) {
    const open = tracks.filter((t) => t.length > 0);
    steps.push(open[Math.floor(random() * open.length)]!.shift()!);
  }
  return steps;
}

async function runCase(options: InterleaveOptions, i: number, result: InterleaveResult): Promise<void> {
  const random = prng(options.seed ^ Math.imul(i + 1, 0x9e3779b1));
  const target = options.keyOf(i, random);
  const readerCount = 1 + Math.floor(random() * Math.min(3, options.readers.length));
  const steps = schedule(random, readerCount, 1 + Math.floor(random() * 2), options.invalidations.length);
  const offset = Math.floor(random() * options.readers.length);
  let version = 0;
  let floor = 0;
  const check = async () => {
    result.checks++;
    const raw = await options.client.getBuffer(target.key);
    if (raw === null || isLease(raw)) return;
    if (Number(raw.toString().slice(1)) < floor) result.stale++;
  };
  const state = Array.from({ length: readerCount }, () => ({
    called: gate(),
    readGate: gate(),
    dbRead: gate(),
    returnGate: gate(),
    settled: undefined as Promise<unknown> | undefined,
  }));
  for (const step of steps) {
    if (step.kind === 'write') {
      version++;
      result.writes++;
      const written = version;
      await options.invalidations[step.via]!(target);
      floor = Math.max(floor, written);
      continue;
    }
    const s = state[step.reader]!;
    if (step.kind === 'start') {
      const reader = options.readers[(offset + step.reader) % options.readers.length]!;
      s.settled = reader.read(target.key, async () => {
        s.called.open();
        await s.readGate.promise;
        const seen = version;
        s.dbRead.open();
        await s.returnGate.promise;
        return `v${seen}`;
      });
      s.settled.catch(() => undefined);
      // The reader has taken its lease (or got a value, or gave up waiting) before the next step.
      await Promise.race([s.called.promise, s.settled]);
    } else if (step.kind === 'read') {
      s.readGate.open();
      await Promise.race([s.dbRead.promise, s.settled]);
    } else {
      s.returnGate.open();
      await s.settled;
      await check();
    }
  }
  await Promise.all(state.map((s) => s.settled ?? Promise.resolve()));
  await check();
  // Keep the keyspace small: pattern invalidations of later cases scan all of it.
  await options.client.del(target.key);
  result.cases++;
}

/** Run the cases, `concurrency` at a time. */
export async function interleave(options: InterleaveOptions): Promise<InterleaveResult> {
  const result: InterleaveResult = { cases: 0, checks: 0, stale: 0, writes: 0 };
  const first = options.first ?? 0;
  let next = first;
  const end = first + options.cases;
  const worker = async () => {
    while (next < end) await runCase(options, next++, result);
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return result;
}
