/**
 * One connected session of the `listen` consumer. Reads the stream in a consumer group on its own
 * connection, applies each entry (exact keys at once, patterns through the coalesced pass), and
 * XACKs an entry only after its keys are gone. Entries that fail stay pending and come back through
 * XAUTOCLAIM after `claimIdleMs`; after `maxAttempts` deliveries (or at once when the entry itself
 * is malformed) they move to the dead-letter stream. A connection loss ends the session: the
 * listener reconnects and re-reads this consumer's pending entries before new ones.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';
import { Acker } from './acker.js';
import { batchRecord, bump, newTally, recordApplied, type BatchTally } from './batch-tally.js';
import { Claimer } from './claimer.js';
import { settleFailure, type FailureContext } from './dead-letter.js';
import { InvalidationEngine } from './engine.js';
import { decodeEntry } from './event.js';
import { InterruptedError } from './interrupted.js';
import type { ListenerOptions, ListenerTotals } from './listener-types.js';
import { adaptiveLinger, isConnectionLoss, waitFor } from './session-util.js';
import * as streams from './stream.js';

export { isConnectionLoss } from './session-util.js';

export interface SessionConnections {
  main: RedisConnection;
  reader: RedisConnection;
  pass: RedisConnection;
}

/**
 * After a read that found less than a batch (the group about caught up), the next read goes through
 * read-new.lua, which counts the entries the stream cap trimmed before the group read them, if this
 * long (ms) has passed since it last could; every other read is a plain XREADGROUP. A gap is
 * counted by the first such read that finds the group caught up after it.
 */
const TRIM_COUNT_MS = 1000;

/** Consumers idle this long with nothing pending are gone for good (a live one reads every blockMs). */
const PRUNE_IDLE_MS = 3_600_000;

export class ConsumerSession {
  private readonly engine: InvalidationEngine;
  private readonly ref: streams.GroupRef;
  private readonly inFlight = new Map<string, number>();
  private readonly work = new Set<Promise<void>>();
  private readonly capacityWaiters: Array<() => void> = [];
  private readonly acker: Acker;
  private readonly claimer: Claimer;
  private readonly failure: FailureContext;
  private stopping = false;
  private dead = false;
  private broken: ((error: unknown) => void) | undefined;

  constructor(
    private readonly config: CachectlConfig,
    private readonly conn: SessionConnections,
    private readonly totals: ListenerTotals,
    private readonly options: ListenerOptions,
  ) {
    const inv = config.invalidation;
    this.ref = { stream: inv.stream, group: inv.group, consumer: options.consumer };
    this.engine = new InvalidationEngine(config, conn.main, {
      passConnection: conn.pass,
      linger: options.lingerMs !== undefined ? () => options.lingerMs! : adaptiveLinger,
      maxHoldMs: 1000,
      // Events published at the very end of a pass are a millisecond or two from being read.
      gapMs: 3,
      onPass: (report) => {
        totals.passes++;
        options.onPass?.(report);
      },
    });
    this.acker = new Acker(conn.main.client, this.ref, (count) => (totals.acked += count));
    this.failure = { connection: conn.main, config, ref: this.ref, ack: (id) => this.acker.ack(id), log: (r) => options.log?.(r) };
    this.claimer = new Claimer({
      client: conn.main.client,
      ref: this.ref,
      claimIdleMs: inv.claimIdleMs,
      batch: inv.batch,
      inFlight: this.inFlight,
      stopping: () => this.stopping,
      capacity: () => this.capacity(),
      dispatch: (entries) => this.dispatch(entries, 'claimed'),
      onTrimmed: (ids) => {
        // XAUTOCLAIM dropped these from the pending list: trimmed before anyone applied them.
        this.totals.trimmed += ids.length;
        this.warnTrimmed('pending', ids.length);
        return streams.countTrimmedPending(conn.main.client, this.ref.stream, ids.length);
      },
      onError: (error, disable) => {
        if (this.dead || this.stopping) return;
        if (isConnectionLoss(error)) return this.broken?.(error);
        disable();
        this.log('error', 'claim-disabled', `reclaiming idle entries failed, no longer trying: ${(error as Error).message}`);
      },
    });
  }

  /** Run until `stop()` (resolves) or a connection loss (rejects with it). */
  async run(): Promise<void> {
    const brokenPromise = new Promise<never>((_, reject) => {
      this.broken = reject;
    });
    brokenPromise.catch(() => undefined);
    await streams.ensureGroup(this.conn.main.client, this.ref.stream, this.ref.group);
    const pruned = await streams.pruneConsumers(this.conn.main.client, this.ref, this.options.pruneIdleMs ?? PRUNE_IDLE_MS);
    if (pruned.length > 0)
      this.log('info', 'pruned', `removed ${pruned.length} idle consumer(s) with nothing pending: ${pruned.join(', ')}`, { consumers: pruned });
    await Promise.race([this.drainOwnPending(), brokenPromise]);
    this.claimer.start();
    this.options.onReady?.();
    await Promise.race([this.readLoop(), brokenPromise]);
    await Promise.race([this.finish(), brokenPromise]);
  }

  /** Stop reading; `run()` then finishes the work in hand (within the stop timeout) and resolves. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.engine.passes.startNow();
    // A blocked XREADGROUP holds nothing yet: drop its socket rather than wait out BLOCK.
    this.conn.reader.client.disconnect();
    for (const wake of this.capacityWaiters.splice(0)) wake();
  }

  /** Tear down after the session ended (or broke): nothing of it may act any more. */
  async close(): Promise<void> {
    this.dead = true;
    this.stopping = true;
    this.claimer.stop();
    const reason = new InterruptedError('session closed');
    this.engine.passes.cancelWaiting(reason);
    this.engine.passes.abortRunning(reason);
    for (const wake of this.capacityWaiters.splice(0)) wake();
    await Promise.allSettled([this.conn.main.close(), this.conn.reader.close(), this.conn.pass.close()]);
  }

  /** Entries this consumer read before (an earlier session, or a restart under the same name). */
  private async drainOwnPending(): Promise<void> {
    let after = '0';
    while (!this.stopping) {
      await this.capacity();
      const entries = await streams.readGroup(this.conn.main.client, this.ref, after, this.config.invalidation.batch);
      if (entries.length === 0) return;
      after = entries[entries.length - 1]!.id;
      this.dispatch(
        entries.filter((e) => !this.inFlight.has(e.id)),
        'pending',
      );
    }
  }

  private async readLoop(): Promise<void> {
    const { batch, blockMs } = this.config.invalidation;
    let caughtUp = true;
    let countedAt = Number.NEGATIVE_INFINITY;
    while (!this.stopping) {
      await this.capacity();
      if (this.stopping) break;
      let entries: streams.StreamEntry[];
      try {
        if (caughtUp && performance.now() - countedAt >= TRIM_COUNT_MS) {
          // Through read-new.lua: once a read leaves the group caught up, it counts the gaps the
          // stream cap left behind the group (plain reads jump them; the group's lag keeps them).
          const fresh = await streams.readNew(this.conn.reader.client, this.ref, batch);
          this.countTrimmed(fresh.trimmed);
          if (fresh.counted) countedAt = performance.now();
          entries = fresh.entries;
          if (entries.length === 0) entries = await streams.readGroup(this.conn.reader.client, this.ref, '>', batch, blockMs);
        } else {
          // Block only when the last read found less than a batch: otherwise more is waiting.
          entries = await streams.readGroup(this.conn.reader.client, this.ref, '>', batch, caughtUp ? blockMs : undefined);
        }
      } catch (error) {
        if (this.stopping) break;
        if (/NOGROUP/.test(String((error as Error)?.message))) {
          // The stream or group was deleted under us: recreate it and carry on.
          this.log('warn', 'group-recreated', `stream ${this.ref.stream} or group ${this.ref.group} vanished; recreated it`);
          await streams.ensureGroup(this.conn.main.client, this.ref.stream, this.ref.group);
          continue;
        }
        throw error;
      }
      caughtUp = entries.length < batch;
      // A full batch means more is waiting in the stream: hold the pass until the reader catches up.
      this.engine.passes.setBacklog(!caughtUp);
      if (entries.length > 0) this.dispatch(entries, 'new');
    }
  }

  /** Finish (or, past the stop timeout, give back) the entries in hand, then flush the ACKs. */
  private async finish(): Promise<void> {
    const timeout = this.options.stopTimeoutMs ?? 1200;
    const settled = await waitFor(this.allWork(), timeout);
    if (!settled) {
      const reason = new InterruptedError('stopping: left for redelivery');
      this.engine.passes.cancelWaiting(reason);
      this.engine.passes.abortRunning(reason);
      await waitFor(this.allWork(), 2000);
    }
    this.claimer.stop();
    await this.acker.flush();
    // A gap jumped since the last count is counted now if the group is caught up (else by the next listener).
    await streams.readNew(this.conn.main.client, this.ref, 0).then(
      (last) => this.countTrimmed(last.trimmed),
      () => undefined,
    );
    await new Promise((resolve) => setImmediate(resolve)); // let the last batch lines out
  }

  private allWork(): Promise<void> {
    return (async () => {
      while (this.work.size > 0) await Promise.allSettled([...this.work]);
    })();
  }

  private async capacity(): Promise<void> {
    const limit = this.options.maxInFlight ?? this.config.invalidation.batch * 10;
    if (this.inFlight.size < limit || this.stopping) return;
    this.engine.passes.startNow(); // nothing more is read until something settles
    while (this.inFlight.size >= limit && !this.stopping) {
      await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
    }
  }

  private dispatch(entries: streams.StreamEntry[], source: BatchTally['source']): void {
    if (entries.length === 0) return;
    const tally = newTally(source, entries.length);
    this.totals.batches++;
    this.totals.entries += entries.length;
    if (source === 'claimed') this.totals.claimed += entries.length;
    const jobs = entries.map((entry) => {
      this.inFlight.set(entry.id, Date.now());
      const job = this.process(entry, tally).finally(() => {
        this.inFlight.delete(entry.id);
        this.work.delete(job);
        this.capacityWaiters.shift()?.();
      });
      this.work.add(job);
      return job;
    });
    void Promise.allSettled(jobs).then(() => {
      if (!this.dead) this.options.log?.(batchRecord(tally));
    });
  }

  private async process(entry: streams.StreamEntry, tally: BatchTally): Promise<void> {
    const received = performance.now();
    let type: string | undefined;
    let at: number | undefined;
    try {
      if (entry.fields === null) {
        // Trimmed from the stream (MAXLEN) while pending: never applied, and nothing left to apply.
        await streams.countTrimmedPending(this.conn.main.client, this.ref.stream, 1);
        await this.acker.ack(entry.id);
        bump(tally, this.totals, 'trimmed');
        this.warnTrimmed('pending', 1);
        return;
      }
      const event = decodeEntry(entry.id, entry.fields);
      type = event.type;
      at = event.at;
      const result = await this.engine.apply(event);
      const appliedAt = performance.timeOrigin + performance.now();
      await this.acker.ack(entry.id);
      recordApplied(tally, this.totals, result);
      this.options.onSettled?.({
        id: entry.id,
        type,
        at,
        outcome: result.matched ? 'applied' : 'unmatched',
        deleted: result.deleted,
        ms: performance.now() - received,
        appliedAt,
        ...(result.pass !== undefined ? { pass: result.pass } : {}),
      });
    } catch (error) {
      // Not this entry's fault (shutdown, lost connection): leave it pending, it comes back.
      if (this.dead || error instanceof InterruptedError || isConnectionLoss(error)) {
        bump(tally, this.totals, 'left');
        if (!this.dead && !(error instanceof InterruptedError)) this.broken?.(error);
        return;
      }
      await settleFailure(this.failure, entry, type, error).then(
        (outcome) => bump(tally, this.totals, outcome),
        (cause: unknown) => {
          bump(tally, this.totals, 'left');
          if (isConnectionLoss(cause)) this.broken?.(cause);
        },
      );
      this.options.onSettled?.({ id: entry.id, type, at, outcome: 'failed', deleted: 0, ms: performance.now() - received });
    }
  }

  /** Entries trimmed before any listener read them, counted by read-new.lua. */
  private countTrimmed(count: number): void {
    if (count <= 0) return;
    this.totals.trimmed += count;
    this.warnTrimmed('undelivered', count);
  }

  /** Entries the stream cap took before they were applied: a warning that names the fix. */
  private warnTrimmed(kind: 'pending' | 'undelivered', count: number): void {
    const { maxLen, stream } = this.config.invalidation;
    const what = kind === 'pending' ? 'while pending' : 'before any listener read them';
    this.log(
      'warn',
      'trimmed',
      `${count} entr${count === 1 ? 'y' : 'ies'} of ${stream} trimmed ${what} and never applied: the stream is capped at invalidation.maxLen (${maxLen}); raise it`,
      { kind, count, maxLen },
    );
  }

  private log(level: 'info' | 'warn' | 'error', event: string, msg: string, fields: Record<string, unknown> = {}): void {
    this.options.log?.({ level, event, msg, ...fields });
  }
}
