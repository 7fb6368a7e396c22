/**
 * The exporter's server-time budget. Every costly step on a node goes through one `BudgetPacer`:
 * steps on a node run one at a time, each is sized so that it takes about `stepMs` (learnt from
 * the steps before it, per kind of step, aiming at 60 % of `stepMs` since the speed of a step
 * varies), and after a step of t ms the node rests t·(1−p)/p ms with p = 0.8·s, so
 * the paced steps take at most 80 % of `share` s (1 % by default) and the exporter's unpaced reads
 * (scrapes, probes) fit in the rest. The round
 * trip measured by the client is an upper bound of the server time, so the budget errs on the safe side.
 */
import type { Redis } from 'ioredis';
import type { StepPacer } from '../stats/passes.js';

/** Part of the share the paced steps aim at; the few unpaced reads of a refresh or scrape use the rest. */
export const PACED_PART = 0.8;

export interface PacerOptions {
  /** Target duration of one step (ms). Default 10. */
  stepMs?: number;
  /** Most of a node's time the steps may take (0..1). Default 0.01. */
  share?: number;
  /** Keys of the first step of a kind, before its speed is known. Default 200. */
  firstKeys?: number;
  /** Fewest keys a step may visit. Default 50. */
  minKeys?: number;
  /** Aborts the waits. */
  signal?: AbortSignal;
}

interface NodeState {
  /** When the node may take its next step (performance.now() ms). */
  nextAt: number;
  /** Resolves when the step in hand is released: steps on a node never overlap. */
  busy: Promise<void>;
  /** Keys per ms, per kind of step. */
  rates: Map<string, number>;
}

/** Totals since the last `take()`: what the paced steps cost. */
export interface PacerTotals {
  steps: number;
  /** Sum of the steps' round trips (an upper bound of their server time), ms. */
  elapsedMs: number;
  /** The longest step, ms. */
  longestMs: number;
}

export class BudgetPacer implements StepPacer {
  private readonly nodes = new WeakMap<Redis, NodeState>();
  private readonly releases = new WeakMap<Redis, () => void>();
  private readonly totals = new Map<string, PacerTotals>();
  readonly stepMs: number;
  readonly share: number;
  private readonly firstKeys: number;
  private readonly minKeys: number;

  constructor(private readonly options: PacerOptions = {}) {
    this.stepMs = options.stepMs ?? 10;
    this.share = Math.min(1, Math.max(0.0001, options.share ?? 0.01));
    this.firstKeys = options.firstKeys ?? 200;
    this.minKeys = options.minKeys ?? 50;
  }

  async acquire(node: Redis, kind: string, defaultKeys: number): Promise<number> {
    const state = this.state(node);
    // Queue behind the step in hand on this node.
    let release!: () => void;
    const previous = state.busy;
    state.busy = new Promise<void>((resolve) => (release = resolve));
    await previous;
    const wait = state.nextAt - performance.now();
    if (wait > 0) await this.sleep(wait);
    this.releases.set(node, release);
    const rate = state.rates.get(kind);
    const keys = rate === undefined ? this.firstKeys : Math.floor(rate * this.stepMs * 0.6);
    return Math.max(1, Math.min(defaultKeys, Math.max(this.minKeys, keys)));
  }

  release(node: Redis, kind: string, elapsedMs: number, keys: number): void {
    const state = this.state(node);
    const elapsed = Math.max(0.05, elapsedMs);
    if (keys > 0) {
      const rate = keys / elapsed;
      const known = state.rates.get(kind);
      // Smoothed, but a slow step counts at once: the next one must not overshoot.
      state.rates.set(kind, known === undefined || rate < known ? rate : known * 0.7 + rate * 0.3);
    }
    // Aim at 80 % of the share: the unpaced reads (scrapes, probes, INFO) need the rest.
    const paced = this.share * PACED_PART;
    state.nextAt = performance.now() + (elapsed * (1 - paced)) / paced;
    const totals = this.totals.get(kind) ?? { steps: 0, elapsedMs: 0, longestMs: 0 };
    totals.steps++;
    totals.elapsedMs += elapsedMs;
    totals.longestMs = Math.max(totals.longestMs, elapsedMs);
    this.totals.set(kind, totals);
    const done = this.releases.get(node);
    this.releases.delete(node);
    done?.();
  }

  /** The totals of the kinds `which` accepts since they were last taken, and start those again. */
  take(which: (kind: string) => boolean = () => true): PacerTotals {
    const sum: PacerTotals = { steps: 0, elapsedMs: 0, longestMs: 0 };
    for (const [kind, totals] of this.totals) {
      if (!which(kind)) continue;
      sum.steps += totals.steps;
      sum.elapsedMs += totals.elapsedMs;
      sum.longestMs = Math.max(sum.longestMs, totals.longestMs);
      this.totals.delete(kind);
    }
    return sum;
  }

  private state(node: Redis): NodeState {
    let state = this.nodes.get(node);
    if (!state) {
      state = { nextAt: 0, busy: Promise.resolve(), rates: new Map() };
      this.nodes.set(node, state);
    }
    return state;
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.options.signal;
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
