/**
 * The coalesced, joinable pattern pass. Pattern invalidations that arrive while no pass runs wait
 * a moment (the linger) and then share one keyspace pass: each master scanned once, every key
 * tested against all their patterns on the server. A request that arrives while a pass runs joins
 * it at once: each master goes on from its cursor with the new patterns added, and the next pass
 * covers only what the request missed (cursor 0 up to where it joined) — a partial pass that ends
 * on each master as soon as no request needs more of it. A request is done the moment its whole
 * keyspace is covered, so a pattern event waits about one pass, not the rest of a pass plus one.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';
import type { KeyGuard } from '../guard.js';
import { JoinablePass, type ExactTraffic, type Member, type StepTuners } from './joinable-pass.js';

/** What one pass did (reported through `onPass`). */
export interface PassReport {
  /** 1-based pass number. */
  pass: number;
  /** Requests and distinct patterns it served (joined ones and those carried in for a missed part included). */
  requests: number;
  patterns: number;
  /** Requests that joined it while it ran. */
  joined: number;
  /** It only covered parts earlier requests had missed: some master stopped before the end of its keyspace. */
  partial: boolean;
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
  /** Exact deletes of the same engine: they go before each step, and keep steps short while they flow. */
  exact?: ExactTraffic;
  /** Called when a pass starts (with its number) and when it ends (with its report). */
  onPassStart?: (pass: number, patterns: number) => void;
  onPass?: (report: PassReport) => void;
}

/** Queue + runner of coalesced, joinable passes over one connection's masters. */
export class PatternPass {
  private waiting: Member[] = [];
  private carried: Member[] = [];
  private running: JoinablePass | undefined;
  private current: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private firstWaitAt = 0;
  private backlog = false;
  private passes = 0;
  private lastPassMs: number | undefined;
  private abort = new AbortController();
  private readonly tuners = new Map<string, StepTuners>();

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
    for (const r of this.carried) n += r.patterns.length;
    for (const r of this.running?.members ?? []) n += r.patterns.length;
    return n;
  }

  /** Resolves once every key matching these patterns has been covered by a pass (joining the running one). */
  enqueue(patterns: Buffer[]): Promise<PassOutcome> {
    return new Promise((resolve, reject) => {
      const member: Member = { patterns, resolve, reject, deleted: 0, open: 0 };
      if (this.running?.join(member)) return;
      if (this.waiting.length === 0) this.firstWaitAt = Date.now();
      this.waiting.push(member);
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
    const cancelled = [...this.waiting, ...this.carried];
    this.waiting = [];
    this.carried = [];
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
    while (this.current || this.waiting.length > 0 || this.carried.length > 0 || this.timer) {
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
    if (this.current || this.waiting.length === 0 || this.carried.length > 0) return;
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
    if (this.current || (this.waiting.length === 0 && this.carried.length === 0)) return;
    const members = [...this.carried, ...this.waiting];
    this.carried = [];
    this.waiting = [];
    const number = ++this.passes;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    const { config, guard } = this.options;
    const pass = new JoinablePass(number, {
      connection: this.connection,
      config,
      guard,
      signal: this.abort.signal,
      tuners: this.tuners,
      ...(this.options.exact ? { exact: this.options.exact } : {}),
    });
    this.running = pass;
    const started = performance.now();
    this.options.onPassStart?.(number, new Set(members.flatMap((m) => m.patterns.map((p) => p.toString('latin1')))).size);
    this.current = pass.execute(members).then(
      () => {
        this.lastPassMs = performance.now() - started;
        const { members: requests, joined, patterns, match, examined, matched, deleted, partial } = pass.totals;
        this.options.onPass?.({ pass: number, requests, patterns, joined, partial, match, examined, matched, deleted, ms: this.lastPassMs });
      },
      (error: unknown) => {
        for (const member of pass.members) member.reject(error);
        pass.members.clear();
        pass.carry.length = 0;
      },
    );
    void this.current.finally(() => {
      this.current = undefined;
      this.running = undefined;
      this.carried.push(...pass.carry);
      if (this.carried.length > 0) {
        // What a joined request missed is covered at once: it has waited for a whole pass already.
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        this.start();
      } else if (this.waiting.length > 0) {
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
}
