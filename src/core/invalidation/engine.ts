/**
 * The invalidation engine shared by the in-process invalidator and the `listen` consumer: resolve
 * an event through the rules, delete exact keys at once (batched with the other events of the same
 * tick), hand patterns to the joinable pass, and keep the counters that make a silent no-op visible.
 */
import type { CachectlConfig } from '../../config/load.js';
import { CachectlError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import type { FamilyValues, Selection } from '../families.js';
import { uniqueBuffers } from '../buffers.js';
import { KeyGuard } from '../guard.js';
import { getFamily, plan } from '../plan.js';
import { checkEvent, type InvalidationEvent } from './event.js';
import { ExactBatch } from './exact-batch.js';
import { InterruptedError } from './interrupted.js';
import { PatternPass, type PassReport } from './pattern-pass.js';
import { checkDirectValues, compileRules, resolveEvent, type RuleBook } from './rules.js';

/** What applying one event (or one `invalidate()` call) did. */
export interface ApplyResult {
  /** False when no rule matches the event type (nothing to do; counted as `unmatched`). */
  matched: boolean;
  /** Exact keys asked for, and patterns sent to the coalesced pass. */
  exactKeys: number;
  patterns: number;
  /** Keys removed (exact + this request's share of the pass). */
  deleted: number;
  /** The pass that served its patterns, if any. */
  pass?: number;
}

/** Counters since the engine was created. */
export interface InvalidationStats {
  /** Events / calls applied (matched and every key gone). */
  handled: number;
  /** Events whose type no rule names. */
  unmatched: number;
  /** Events / calls that failed (bad event, Redis error). */
  failures: number;
  keysDeleted: number;
  /** Patterns waiting for a pass or in the running one. */
  pendingPatterns: number;
  /** Keyspace passes run. */
  passes: number;
  /** Duration of the last pass (ms), when there was one. */
  lastPassMs?: number;
}

export interface EngineOptions {
  /** Connection whose masters the pattern pass scans (default: the main one). */
  passConnection?: RedisConnection;
  /** See `PatternPassOptions.linger` (default: start a pass on the next tick). */
  linger?: (lastPassMs: number | undefined) => number;
  maxHoldMs?: number;
  gapMs?: number;
  onPassStart?: (pass: number, patterns: number) => void;
  onPass?: (report: PassReport) => void;
}

export class InvalidationEngine {
  readonly rules: RuleBook;
  readonly passes: PatternPass;
  private readonly guard: KeyGuard;
  private readonly exact: ExactBatch;
  private readonly counters = { handled: 0, unmatched: 0, failures: 0, keysDeleted: 0 };
  private lastPassMs: number | undefined;

  constructor(
    readonly config: CachectlConfig,
    readonly connection: RedisConnection,
    options: EngineOptions = {},
  ) {
    this.rules = compileRules(config);
    this.guard = new KeyGuard(config);
    this.exact = new ExactBatch(connection, this.guard);
    this.passes = new PatternPass(options.passConnection ?? connection, {
      config,
      guard: this.guard,
      ...(options.linger ? { linger: options.linger } : {}),
      ...(options.maxHoldMs !== undefined ? { maxHoldMs: options.maxHoldMs } : {}),
      ...(options.gapMs !== undefined ? { gapMs: options.gapMs } : {}),
      ...(options.onPassStart ? { onPassStart: options.onPassStart } : {}),
      exact: { settled: () => this.exact.settled(), busy: () => this.exact.busy() },
      onPass: (report) => {
        this.lastPassMs = report.ms;
        options.onPass?.(report);
      },
    });
  }

  /**
   * Resolve an event to selections without touching Redis (throws `UsageError` for a bad event or
   * a missing field). `undefined` when no rule names the type.
   */
  resolve(event: unknown): Selection[] | undefined {
    const checked = checkEvent(event);
    const rules = this.rules.get(checked.type);
    if (!rules) return undefined;
    return resolveEvent(rules, checked.data, this.config);
  }

  /** Apply an event: resolves once every key it names is gone. Rejects with a `CachectlError`. */
  async apply(event: InvalidationEvent | unknown): Promise<ApplyResult> {
    let selections: Selection[] | undefined;
    try {
      selections = this.resolve(event);
    } catch (error) {
      this.counters.failures++;
      throw error;
    }
    if (!selections) {
      this.counters.unmatched++;
      return { matched: false, exactKeys: 0, patterns: 0, deleted: 0 };
    }
    return this.run(selections);
  }

  /** Invalidate a family directly (`invalidate('chatList', { deviceId })`). */
  async invalidate(familyName: string, values: FamilyValues): Promise<ApplyResult> {
    let selections: Selection[];
    try {
      const family = getFamily(this.config, familyName);
      selections = plan(this.config, [{ kind: 'family', family: family.name, values: checkDirectValues(family, values) }]).selections;
    } catch (error) {
      this.counters.failures++;
      throw error;
    }
    return this.run(selections);
  }

  /** Count a failure that happened outside the engine (e.g. a call after close). */
  noteFailure(): void {
    this.counters.failures++;
  }

  stats(): InvalidationStats {
    return {
      ...this.counters,
      pendingPatterns: this.passes.pendingPatterns,
      passes: this.passes.passCount,
      ...(this.lastPassMs !== undefined ? { lastPassMs: Math.round(this.lastPassMs * 10) / 10 } : {}),
    };
  }

  private async run(selections: Selection[]): Promise<ApplyResult> {
    const exactSelections = selections.filter((s) => s.kind === 'exact');
    // One selection's keys are distinct already; only keys of several can repeat.
    const exact = exactSelections.length === 1 ? exactSelections[0]!.keys : uniqueBuffers(exactSelections.flatMap((s) => s.keys));
    const patterns = uniqueBuffers(selections.flatMap((s) => (s.kind === 'pattern' ? [s.pattern] : [])));
    try {
      const [direct, pass] =
        patterns.length === 0
          ? [exact.length > 0 ? await this.deleteKeys(exact) : 0, undefined]
          : await Promise.all([exact.length > 0 ? this.deleteKeys(exact) : 0, this.passes.enqueue(patterns)]);
      const deleted = direct + (pass?.deleted ?? 0);
      this.counters.handled++;
      this.counters.keysDeleted += deleted;
      return { matched: true, exactKeys: exact.length, patterns: patterns.length, deleted, ...(pass ? { pass: pass.pass } : {}) };
    } catch (error) {
      // Work cancelled by a shutdown is not a failure: it will be delivered again.
      if (!(error instanceof InterruptedError)) this.counters.failures++;
      throw error instanceof CachectlError ? error : this.connection.wrapError(error);
    }
  }

  /** Exact keys, deleted with those of the other requests of this tick (guarded, pipelined per master). */
  private deleteKeys(keys: Buffer[]): Promise<number> {
    return this.exact.delete(keys);
  }
}
