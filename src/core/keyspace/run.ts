/**
 * One clearing run: the options every delete path shares (dry run, limit, rate, batch, abort,
 * progress, capture), the brakes shared by parallel node loops, and the summary they fill.
 */
import type { Redis } from 'ioredis';
import { CachectlError, ConnectionError, PartialError, PermissionError, type CachectlErrorOptions } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { isRedirect } from '../../redis/topology.js';
import type { KeyGuard } from '../guard.js';
import { Budget, Pacer } from './pacing.js';
import { scanNode } from './scan.js';
import { SummaryBuilder, type NodeSummary, type RunSummary, type TargetSummary } from './summary.js';

/** One key removed by a run, as the server had it just before deleting it (for backups). */
export interface CaptureEntry {
  key: Buffer;
  /** Remaining time to live in milliseconds; 0 = no expiry (what RESTORE expects). */
  ttlMs: number;
  /** `DUMP` payload (RESTORE-able on a server of the same or a newer version). */
  dump: Buffer;
}

/** Receives every deleted key, batch by batch, before the run goes on (backpressure). */
export type CaptureSink = (entries: CaptureEntry[]) => Promise<void>;

/** Progress of a run, reported after every server call. */
export interface ProgressEvent {
  /** Label of the target being worked on. */
  target: string;
  /** Keys covered by SCAN so far (estimate while a pass runs). */
  scanned: number;
  /** Estimated keys to cover in all passes started so far (sum of DBSIZE). */
  total: number;
  matched: number;
  deleted: number;
  elapsedMs: number;
}

/** Options every clearing operation accepts. */
export interface RunOptions {
  /** Count and sample, delete nothing. */
  dryRun?: boolean;
  /** Stop after this many deletions (over all nodes and targets). */
  limit?: number;
  /** Ceiling on deletions per second (over all nodes). */
  rate?: number;
  /**
   * Most keys deleted per server call or pipeline (default: config scan.serverBatch for the
   * server-side pattern step, scan.batch for pipelines and scripts given keys).
   */
  batch?: number;
  /** Initial SCAN COUNT hint (default: config scan.count); pattern passes adapt it. */
  count?: number;
  /** Abort: stop after the call in flight; the summary says `interrupted`. */
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** Receive DUMP + PTTL of exactly the keys deleted (taken in the same server step). */
  capture?: CaptureSink;
  /** Dry runs: how many keys to keep as a sample (default 10). */
  sampleSize?: number;
}

export interface RunContext {
  connection: RedisConnection;
  command: string;
  /** Keys never touched: queue keys, cachectl's own keys, and (tenant runs) keys outside the tenant. */
  guard: KeyGuard;
  /** Deletions per client pipeline / script call with keys (config scan.batch). */
  batch: number;
  /** Deletions per server-side pattern step (config scan.serverBatch). */
  serverBatch: number;
  /** Initial SCAN COUNT (config scan.count). */
  count: number;
}

/** What a target of the run is (labels only, never placeholder values). */
export interface TargetSpec {
  label: string;
  family?: string;
  kind: TargetSummary['kind'];
}

export class KeyspaceRun {
  readonly summary: SummaryBuilder;
  readonly budget: Budget;
  readonly pacer: Pacer;
  readonly batch: number;
  /** Deletions per server-side pattern step. */
  readonly serverBatch: number;
  /** Keys the passes started so far will cover (sum of DBSIZE per pass), for progress. */
  total = 0;
  private firstError: unknown;
  private readonly started = performance.now();

  constructor(
    readonly context: RunContext,
    readonly options: RunOptions,
  ) {
    this.summary = new SummaryBuilder(context.command, options.dryRun === true, options.sampleSize ?? 10);
    this.budget = new Budget(options.dryRun ? undefined : options.limit);
    this.pacer = new Pacer(options.dryRun ? undefined : options.rate);
    this.batch = options.batch ?? context.batch;
    this.serverBatch = options.batch ?? context.serverBatch;
    if (context.guard.only) this.summary.skippedOutsidePrefix = 0;
  }

  /** Register a target (the same label and kind again returns the same index). */
  addTarget(spec: TargetSpec): number {
    const list = this.summary.byTarget;
    const found = list.findIndex((t) => t.target === spec.label && t.kind === spec.kind);
    if (found >= 0) return found;
    list.push({
      target: spec.label,
      ...(spec.family !== undefined ? { family: spec.family } : {}),
      kind: spec.kind,
      matched: 0,
      deleted: 0,
      failed: 0,
      durationMs: 0,
    });
    return list.length - 1;
  }

  /** Add counts of one node to a target (and to the node and run totals). */
  credit(target: number, node: string, counts: Partial<Omit<NodeSummary, 'node' | 'scanned'>> & { kept?: number }): void {
    const entry = this.summary.byTarget[target]!;
    entry.matched += counts.matched ?? 0;
    entry.deleted += counts.deleted ?? 0;
    entry.failed += counts.failed ?? 0;
    if (counts.kept !== undefined) {
      entry.kept = (entry.kept ?? 0) + counts.kept;
      this.summary.kept += counts.kept;
    }
    this.summary.add(node, { matched: counts.matched ?? 0, deleted: counts.deleted ?? 0, failed: counts.failed ?? 0 });
  }

  /** Add time spent on targets (a pass serving several targets adds its time to each). */
  timeTargets(targets: Iterable<number>, ms: number): void {
    for (const t of new Set(targets)) {
      const entry = this.summary.byTarget[t]!;
      entry.durationMs = Math.round((entry.durationMs + ms) * 100) / 100;
    }
  }

  get connection(): RedisConnection {
    return this.context.connection;
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /** True once the run must not start another call: aborted, failed, or out of budget. */
  shouldStop(): boolean {
    if (this.options.signal?.aborted) {
      this.summary.interrupted = true;
      return true;
    }
    if (this.firstError !== undefined) return true;
    if (this.budget.exhausted) {
      this.summary.limitReached = true;
      return true;
    }
    return false;
  }

  /**
   * Book the next server call: up to `want` deletions from the budget (capped for the rate), then
   * wait for the rate. Returns 0 when the run must stop (aborted, failed, or limit reached).
   */
  async acquire(want: number): Promise<number> {
    if (this.shouldStop()) return 0;
    const granted = this.budget.take(this.pacer.cap(want));
    if (granted === 0) {
      this.summary.limitReached = true;
      return 0;
    }
    await this.pacer.reserve(granted, this.options.signal);
    if (this.options.signal?.aborted || this.firstError !== undefined) {
      if (this.options.signal?.aborted) this.summary.interrupted = true;
      this.release(granted, 0);
      return 0;
    }
    return granted;
  }

  /** After a call booked with `acquire`: give back what it did not delete. */
  release(granted: number, deleted: number): void {
    this.budget.giveBack(granted - deleted);
    this.pacer.settle(granted, deleted);
  }

  /** Record a node's failure; the run stops starting new calls and ends as partial. */
  fail(node: string, cause: unknown): void {
    const error = cause ?? new Error('delete failed');
    const wrapped = this.connection.wrapError(error);
    if (this.firstError === undefined) this.firstError = error;
    this.summary.errors.push(`${node}: ${wrapped.message}`);
  }

  get guard(): KeyGuard {
    return this.context.guard;
  }

  /** Drop the keys the guard protects from a batch, counting each by reason. */
  admit(keys: Buffer[]): Buffer[] {
    return keys.filter((key) => {
      const why = this.context.guard.protection(key);
      if (why === undefined) return true;
      this.countSkipped(why, 1);
      return false;
    });
  }

  /** Count keys the guard left alone (also when the server-side step reports them). */
  countSkipped(why: 'queue' | 'own' | 'outside', n: number): void {
    if (n === 0) return;
    if (why === 'queue') this.summary.skippedQueueKeys += n;
    else if (why === 'own') this.summary.skippedOwnKeys += n;
    else this.summary.skippedOutsidePrefix = (this.summary.skippedOutsidePrefix ?? 0) + n;
  }

  /**
   * SCAN-coverage bookkeeping of one node pass: `step()` after each SCAN step adds its COUNT (capped
   * at the node's size) to `scanned` and reports progress for `target`; `complete()` tops it up to
   * the node's DBSIZE when the pass ends.
   */
  coverage(node: string, size: number, count: number, target: string): { step: (stepCount?: number) => void; complete: () => void } {
    let covered = 0;
    return {
      step: (stepCount = count) => {
        const add = Math.min(stepCount, Math.max(0, size - covered));
        covered += add;
        this.summary.add(node, { scanned: add });
        this.progress(target);
      },
      complete: () => this.summary.add(node, { scanned: Math.max(0, size - covered) }),
    };
  }

  /**
   * A client-side pass over one node: SCAN MATCH `pattern`, protected keys dropped, cut into the
   * chunks the brakes (--limit, --rate, --batch) grant.
   * `act(chunk)` does the work on each chunk and must `release(chunk.length, done)`. The scanned
   * count is completed only when the pass ran to its end.
   */
  async scanInChunks(node: Redis, pattern: Buffer, target: string, size: number, act: (chunk: Buffer[]) => Promise<void>): Promise<void> {
    const count = this.options.count ?? this.context.count;
    const coverage = this.coverage(this.connection.nodeName(node), size, count, target);
    let completed = true;
    for await (const found of scanNode(node, { match: pattern, count, signal: this.signal, onStep: () => coverage.step() })) {
      const keys = this.admit(found);
      for (let i = 0; i < keys.length;) {
        const granted = await this.acquire(Math.min(this.batch, keys.length - i));
        if (granted === 0) {
          completed = false;
          break;
        }
        const chunk = keys.slice(i, i + granted);
        i += granted;
        await act(chunk);
        this.progress(target);
      }
      if (!completed || this.shouldStop()) {
        completed = false;
        break;
      }
    }
    if (this.signal?.aborted) completed = !this.shouldStop();
    if (completed) coverage.complete();
  }

  /** Report progress (after every server call). */
  progress(target: string): void {
    const { onProgress } = this.options;
    if (!onProgress) return;
    const totals = this.summary.totals();
    onProgress({
      target,
      scanned: this.summary.scanned,
      total: Math.max(this.total, this.summary.scanned),
      matched: totals.matched,
      deleted: totals.deleted,
      elapsedMs: performance.now() - this.started,
    });
  }

  /**
   * Hand captured entries to the sink. If the sink fails, the keys of this batch are put back
   * (RESTORE, skipping keys re-created meanwhile) and the run fails: nothing is lost unseen.
   */
  async deliver(node: Redis | RedisConnection['client'], entries: CaptureEntry[]): Promise<void> {
    const sink = this.options.capture;
    if (!sink || entries.length === 0) return;
    try {
      await sink(entries);
    } catch (error) {
      const restored = await this.putBack(node, entries);
      throw new CachectlError(
        `Backup capture failed (${(error as Error)?.message ?? error}); ${restored} of ${entries.length} keys of the last batch were restored`,
        {
          cause: error,
          hint: 'check where the backup is written (disk space, permissions), then run again',
        },
      );
    }
  }

  /**
   * RESTORE keys whose backup record could not be kept, pipelined on the node that deleted them;
   * a key whose slot moved meanwhile is restored through the cluster client, which follows the
   * redirection. A key the application wrote again keeps its new value (BUSYKEY). Returns how
   * many were put back.
   */
  private async putBack(node: Redis | RedisConnection['client'], entries: CaptureEntry[]): Promise<number> {
    const restore = async (client: Redis | RedisConnection['client'], list: CaptureEntry[]) => {
      const pipeline = client.pipeline();
      for (const entry of list) pipeline.callBuffer('RESTORE', entry.key, entry.ttlMs, entry.dump);
      return (await pipeline.exec()) ?? [];
    };
    const replies = await restore(node, entries).catch(() => entries.map(() => [new Error('not sent')] as [Error]));
    let restored = replies.filter(([error]) => !error).length;
    const moved = entries.filter((_, i) => {
      const error = replies[i]?.[0];
      return error && node !== this.connection.client && isRedirect(error);
    });
    // One call per key: a cluster pipeline must stay within one node.
    const again = await Promise.allSettled(moved.map((entry) => this.connection.client.callBuffer('RESTORE', entry.key, entry.ttlMs, entry.dump)));
    restored += again.filter((r) => r.status === 'fulfilled').length;
    return restored;
  }

  /** A cluster's lost node as the error: the message names the node and its slots (the target is only the seed). */
  private onNode(error: CachectlError): CachectlError {
    const entry = this.summary.errors[0];
    if (this.connection.mode !== 'cluster' || !(error instanceof ConnectionError) || !entry?.endsWith(error.message)) return error;
    const Same = error.constructor as new (message: string, options: CachectlErrorOptions) => ConnectionError;
    return new Same(entry, { cause: error.cause ?? error, hint: error.hint });
  }

  /**
   * The summary, or a `PartialError` carrying it when a node failed part-way. When a failure
   * happened before anything matched, the original error is thrown as is (e.g. connection lost).
   */
  finish(targets: string[], conditional = false): RunSummary {
    const summary = this.summary.finish(targets, conditional);
    // A dry run counts everything; it says whether a real run would stop at the limit.
    if (summary.dryRun && this.options.limit !== undefined && summary.matched > this.options.limit) summary.limitReached = true;
    if (this.firstError === undefined) return summary;
    const wrapped = this.connection.wrapError(this.firstError);
    // Nothing deleted because the ACL denies the delete: a permission error (exit 7), not "partial".
    if (summary.deleted === 0 && (summary.matched === 0 || wrapped instanceof PermissionError)) throw this.onNode(wrapped);
    // On a cluster the first node entry says which node (and slots) failed; the target is only the seed.
    const where = this.connection.mode === 'cluster' ? (this.summary.errors[0] ?? wrapped.message) : wrapped.message;
    throw new PartialError(`${summary.command} stopped part-way: ${where}`, summary, {
      cause: this.firstError,
      hint: `${summary.deleted} keys were deleted before the failure; run again to finish`,
    });
  }
}
