/**
 * The coalesced pattern pass. Pattern invalidations wait in a queue; a pass takes every request
 * waiting when it starts and matches all their patterns in ONE keyspace pass of the engine (each
 * master scanned once, every key tested against all the patterns on the server, the slot map
 * checked at the end on a cluster). Requests arriving during a pass join the next one, so the cost
 * per pass does not grow with the number of events.
 */
import type { CachectlConfig } from '../../config/load.js';
import { PartialError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import type { KeyGuard } from '../guard.js';
import { newRun } from '../keyspace/execute.js';
import { keyspacePass } from '../keyspace/pass.js';
import { compileRules, type PassRule } from '../keyspace/rules.js';
import { ALWAYS } from '../selection.js';

/** What one pass did (reported through `onPass`). */
export interface PassReport {
  /** 1-based pass number. */
  pass: number;
  /** Requests and distinct patterns it served. */
  requests: number;
  patterns: number;
  /** The SCAN MATCH filter used (empty: every key). */
  match: string;
  /** Keys SCAN returned, keys that matched, keys removed. */
  examined: number;
  matched: number;
  deleted: number;
  ms: number;
}

/** Outcome of one request, once its pass is done. */
export interface PassOutcome {
  pass: number;
  /** Keys removed that matched this request's patterns (a key matched by several requests counts once, for the first). */
  deleted: number;
}

export interface PatternPassOptions {
  /** Batch sizes and `invalidation.scanCount` (the initial SCAN COUNT of a pass). */
  config: CachectlConfig;
  guard: KeyGuard;
  /**
   * How long an idle runner waits after the first request before starting a pass, so a burst
   * shares one pass (given the last pass's duration). Default 0: the next tick.
   */
  linger?: (lastPassMs: number | undefined) => number;
  /** While the caller reports a backlog (`setBacklog(true)`), wait up to this long instead (default 1 s). */
  maxHoldMs?: number;
  /**
   * Pause between a pass and the next one for requests already waiting, so events still in flight
   * to the caller (published during the pass, not yet read) can join it. Default 0.
   */
  gapMs?: number;
  /** Called when a pass starts (with its number) and when it ends (with its report). */
  onPassStart?: (pass: number, patterns: number) => void;
  onPass?: (report: PassReport) => void;
}

interface Request {
  patterns: Buffer[];
  resolve: (outcome: PassOutcome) => void;
  reject: (error: unknown) => void;
  deleted: number;
}

/** Queue + runner of coalesced passes over one connection's masters. */
export class PatternPass {
  private waiting: Request[] = [];
  private running: Request[] = [];
  private current: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private firstWaitAt = 0;
  private backlog = false;
  private passes = 0;
  private lastPassMs: number | undefined;
  private abort = new AbortController();

  constructor(
    private readonly connection: RedisConnection,
    private readonly options: PatternPassOptions,
  ) {}

  /** Number of passes started so far. */
  get passCount(): number {
    return this.passes;
  }

  /** Patterns waiting for a pass or in the running one. */
  get pendingPatterns(): number {
    let n = 0;
    for (const r of this.waiting) n += r.patterns.length;
    for (const r of this.running) n += r.patterns.length;
    return n;
  }

  /** Resolves once a pass that included these patterns has deleted every match. */
  enqueue(patterns: Buffer[]): Promise<PassOutcome> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) this.firstWaitAt = Date.now();
      this.waiting.push({ patterns, resolve, reject, deleted: 0 });
      this.schedule();
    });
  }

  /** Tell the runner that more requests are about to arrive (a stream backlog), or not. */
  setBacklog(backlog: boolean): void {
    if (this.backlog === backlog) return;
    this.backlog = backlog;
    this.reschedule();
  }

  /** Start a pass for the waiting requests now (nothing more will come for a while). */
  startNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.start();
  }

  /** Reject every request not yet in a pass (they stay unapplied). */
  cancelWaiting(reason: unknown): number {
    const cancelled = this.waiting;
    this.waiting = [];
    for (const r of cancelled) r.reject(reason);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return cancelled.length;
  }

  /** Stop the running pass between SCAN calls; its requests reject with `reason`. */
  abortRunning(reason: unknown): void {
    this.abort.abort(reason);
  }

  /** Resolves when nothing waits and no pass runs. */
  async idle(): Promise<void> {
    while (this.current || this.waiting.length > 0 || this.timer) {
      if (this.current) await this.current;
      else await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  private schedule(): void {
    if (this.current || this.waiting.length === 0 || this.timer) return;
    this.arm();
  }

  /** The backlog flag changed: the deadline of a waiting pass moves. */
  private reschedule(): void {
    if (this.current || this.waiting.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.arm();
  }

  private arm(): void {
    const hold = this.backlog ? (this.options.maxHoldMs ?? 1000) : (this.options.linger?.(this.lastPassMs) ?? 0);
    const wait = Math.max(0, this.firstWaitAt + hold - Date.now());
    // Even with no wait, start on the next turn so requests made in the same tick share the pass.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, wait);
  }

  private start(): void {
    if (this.current || this.waiting.length === 0) return;
    const requests = this.waiting;
    this.waiting = [];
    this.running = requests;
    const pass = ++this.passes;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    this.current = this.run(pass, requests).then(
      () => {
        for (const r of requests) r.resolve({ pass, deleted: r.deleted });
      },
      (error: unknown) => {
        for (const r of requests) r.reject(error);
      },
    );
    void this.current.finally(() => {
      this.current = undefined;
      this.running = [];
      // Requests that arrived during this pass have waited long enough: no linger for them.
      if (this.waiting.length > 0) {
        if (this.timer) clearTimeout(this.timer);
        const gap = this.options.gapMs ?? 0;
        this.timer = undefined;
        if (gap <= 0) this.start();
        else {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.start();
          }, gap);
        }
      }
    });
  }

  private async run(pass: number, requests: Request[]): Promise<void> {
    const started = performance.now();
    // One entry per distinct pattern, remembering the first request that asked for it.
    const owner = new Map<string, Request>();
    for (const r of requests) for (const p of r.patterns) if (!owner.has(p.toString('latin1'))) owner.set(p.toString('latin1'), r);
    const patterns = [...owner.keys()].map((p) => Buffer.from(p, 'latin1'));
    const owners = [...owner.values()];
    const { config, guard } = this.options;
    const run = newRun(this.connection, config, 'listen', guard, { signal: this.abort.signal }, config.invalidation.scanCount);
    const rules: PassRule[] = patterns.map((pattern, i) => ({ target: run.addTarget({ label: `pattern ${i}`, kind: 'pattern' }), pattern, condition: ALWAYS }));
    this.options.onPassStart?.(pass, patterns.length);
    await keyspacePass(run, rules, 'listen');
    if (this.abort.signal.aborted) throw this.abort.signal.reason;
    let summary;
    try {
      summary = run.finish([]);
    } catch (error) {
      throw error instanceof PartialError && error.cause !== undefined ? error.cause : error;
    }
    summary.byTarget.forEach((target, i) => (owners[i]!.deleted += target.deleted));
    const match = compileRules(rules).match;
    const totals = { match: match ? match.toString('latin1') : '', examined: summary.scanned, matched: summary.matched, deleted: summary.deleted };
    this.lastPassMs = performance.now() - started;
    this.options.onPass?.({ pass, requests: requests.length, patterns: patterns.length, ...totals, ms: this.lastPassMs });
  }
}
