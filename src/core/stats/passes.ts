/**
 * The two ways `stats` visits keys, each running bounded script steps on every master in
 * parallel: a full SCAN pass (exact counts), and random draws spread over the masters by size
 * (estimates). Each step blocks its node for a few milliseconds only.
 */
import type { Redis } from 'ioredis';
import type { LuaMatcher } from './matchers.js';
import { runStep } from './step.js';
import { KeyTally } from './tally.js';

/** Keys a scan step visits without inspecting them (about 10 ms of server time). */
const SCAN_STEP_KEYS = 10_000;
/** Keys a step visits when it also inspects them (MEMORY USAGE, OBJECT IDLETIME per key). */
const INSPECT_STEP_KEYS = 2_000;

export interface MasterPlan {
  node: Redis;
  /** DBSIZE when the run started. */
  keys: number;
  /** False under an LFU policy, where OBJECT IDLETIME is an error. */
  idleAllowed: boolean;
}

export interface PassOptions {
  matchers: LuaMatcher[];
  familyCount: number;
  depth: number;
  /** SCAN COUNT hint. */
  count: number;
  signal?: AbortSignal;
  /** Called after every step with the keys visited so far over all masters. */
  onStep?: (done: number) => void;
  /** Biggest keys to keep per family and among unknown keys (0 = none). */
  top?: number;
  /** Count keys per `<tenantPrefix><tenant>:`. */
  tenantPrefix?: string;
  /** Per family (config order): TTL ceiling in ms, 0 = none. */
  ttlCeilingsMs?: number[];
  /** Sizes steps and pauses between them (the exporter's server-time budget); none = full speed. */
  pacer?: StepPacer;
}

/**
 * Paces steps on each node: `acquire` resolves when the node may take the next step and says how
 * many keys it may visit; `release` reports how long the step took.
 */
export interface StepPacer {
  /** Wait for `node`'s turn; resolves to the keys the step may visit (at most `defaultKeys`). */
  acquire(node: Redis, kind: string, defaultKeys: number): Promise<number>;
  /** The step on `node` is over: it visited `keys` keys in `elapsedMs` (round trip). */
  release(node: Redis, kind: string, elapsedMs: number, keys: number): void;
}

/** The script arguments every step of a pass shares. */
function stepExtras(options: PassOptions): { top: number; tenantPrefix?: string; ttlCeilingsMs?: number[] } {
  return {
    top: options.top ?? 0,
    ...(options.tenantPrefix !== undefined ? { tenantPrefix: options.tenantPrefix } : {}),
    ...(options.ttlCeilingsMs ? { ttlCeilingsMs: options.ttlCeilingsMs } : {}),
  };
}

/** Run one step, paced when there is a pacer (which then sizes the step, up to `request.budget`). */
async function pacedStep(node: Redis, options: PassOptions, request: Parameters<typeof runStep>[1]) {
  const pacer = options.pacer;
  if (!pacer) return runStep(node, request);
  const kind = `stats-${request.source}`;
  const budget = await pacer.acquire(node, kind, request.budget);
  const started = performance.now();
  try {
    const step = await runStep(node, { ...request, budget });
    pacer.release(node, kind, performance.now() - started, step.visited);
    return step;
  } catch (error) {
    pacer.release(node, kind, performance.now() - started, 0);
    throw error;
  }
}

export interface PassResult {
  tally: KeyTally;
  /** False when the signal stopped the pass early. */
  complete: boolean;
}

/**
 * Visit every key of every master once (SCAN). Every `inspectEvery`-th family key is also measured
 * (1 = each one; SCAN order is hash order, so this is a fair systematic sample).
 */
export async function scanPass(masters: MasterPlan[], options: PassOptions, inspectEvery: number): Promise<PassResult> {
  const tally = new KeyTally(options.familyCount, options.top ?? 0);
  let complete = true;
  // Measuring every key (the biggest keys of a full pass) costs like inspecting every key.
  const stepKeys = inspectEvery === 1 || (options.top ?? 0) > 0 ? INSPECT_STEP_KEYS : SCAN_STEP_KEYS;
  await Promise.all(
    masters.map(async (master) => {
      let cursor = '0';
      do {
        if (options.signal?.aborted) {
          complete = false;
          return;
        }
        const step = await pacedStep(master.node, options, {
          ...stepExtras(options),
          source: 'scan',
          cursor,
          budget: stepKeys,
          count: options.count,
          inspectEvery,
          idleAllowed: master.idleAllowed,
          depth: options.depth,
          matchers: options.matchers,
        });
        tally.add(step, 1);
        options.onStep?.(tally.visited);
        cursor = step.cursor;
      } while (cursor !== '0');
    }),
  );
  return { tally, complete };
}

/**
 * Draw `sample` random keys (RANDOMKEY), split over the masters in proportion to their size, and
 * inspect the family keys drawn. Counts come out weighted to estimate the whole keyspace.
 */
export async function randomPass(masters: MasterPlan[], options: PassOptions, sample: number): Promise<PassResult> {
  const tally = new KeyTally(options.familyCount, options.top ?? 0);
  const total = masters.reduce((sum, m) => sum + m.keys, 0);
  let complete = true;
  await Promise.all(
    masters.map(async (master) => {
      if (master.keys === 0 || total === 0) return;
      const planned = Math.max(1, Math.round((sample * master.keys) / total));
      // Each draw stands for keys/planned keys of this master (if the database empties while we
      // draw, the few missing draws are simply not counted).
      const weight = master.keys / planned;
      for (let drawn = 0; drawn < planned;) {
        if (options.signal?.aborted) {
          complete = false;
          return;
        }
        const step = await pacedStep(master.node, options, {
          ...stepExtras(options),
          source: 'random',
          cursor: '0',
          budget: Math.min(INSPECT_STEP_KEYS, planned - drawn),
          count: options.count,
          inspectEvery: 1,
          idleAllowed: master.idleAllowed,
          depth: options.depth,
          matchers: options.matchers,
        });
        tally.add(step, weight);
        drawn += step.visited;
        options.onStep?.(tally.visited);
        if (step.visited === 0) return;
      }
    }),
  );
  return { tally, complete };
}
