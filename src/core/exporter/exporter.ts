/**
 * `Exporter`: the long-running part of `cachectl exporter`. Two loops run in the background,
 * both within one server-time budget (pacer.ts): the refresh of the costly figures every
 * `refreshMs`, and the queue discovery pass every `discoveryMs`. A scrape reads the cheap figures
 * with a deadline and renders them with the last refresh: it never waits for a refresh. Any
 * failure drops the connection; the next read opens a new one, so the exporter outlives server
 * restarts and failovers and says meanwhile that the target is down.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';
import type { QueueRef } from '../queues/discovery.js';
import { readCheap, type CheapReading } from './cheap.js';
import { pacedDiscovery } from './discovery.js';
import { BudgetPacer } from './pacer.js';
import { refreshSnapshot, type Snapshot } from './refresh.js';
import { renderExporter } from './render.js';
import { TargetConnection, type Opener } from './target.js';

export interface ExporterOptions {
  /** Opens a connection (the configured URL, or another node's when the first is gone). */
  open: Opener;
  /** The configured URL (cluster: the first node to try). */
  url?: string | undefined;
  /** Costly figures refresh interval (ms). Default 60 000. */
  refreshMs?: number;
  /** Queue discovery pass interval (ms). Default 600 000. */
  discoveryMs?: number;
  /** Keys drawn per refresh. Default 10 000. */
  sample?: number;
  /** Target server time of one step (ms). Default 10. */
  stepMs?: number;
  /** Share of each master's time the steps may take (0..1). Default 0.01. */
  serverShare?: number;
  /** Longest a scrape waits for the cheap figures (ms). Default 5 000. */
  scrapeTimeoutMs?: number;
  /** Most queues exported one by one. Default 200. */
  maxQueues?: number;
  /** Where the exporter reports what happens (target down/up, refresh failures). */
  log?: (record: ExporterLog) => void;
}

export interface ExporterLog {
  level: 'info' | 'warn' | 'error';
  event: 'target-up' | 'target-down' | 'refresh' | 'refresh-failed' | 'discovery' | 'discovery-failed';
  msg: string;
}

export interface ExporterHealth {
  /** Whether the last scrape (or read) found the target up; null before the first. */
  targetUp: boolean | null;
  lastRefresh: string | null;
  refreshes: { ok: number; failed: number };
}

export class Exporter {
  private readonly target: TargetConnection;
  private readonly pacer: BudgetPacer;
  private readonly stopping = new AbortController();
  private snapshot: Snapshot | null = null;
  private discovered: QueueRef[] = [];
  private knownMasters: string[] = [];
  private mode: RedisConnection['mode'] | null = null;
  private readonly uptimes = new Map<string, number>();
  private inFlight: Promise<CheapReading> | undefined;
  private targetUp: boolean | null = null;
  private readonly refreshes = { ok: 0, failed: 0 };
  private loops: Promise<void>[] = [];
  private wakeRefresh: (() => void) | undefined;
  private lastRefreshError = '';

  constructor(
    private readonly config: CachectlConfig,
    private readonly options: ExporterOptions,
  ) {
    this.target = new TargetConnection(options.open, options.url);
    this.pacer = new BudgetPacer({ stepMs: options.stepMs ?? 10, share: options.serverShare ?? 0.01, signal: this.stopping.signal });
  }

  /** Start the background loops (refresh now, then every `refreshMs`; discovery likewise). */
  start(): void {
    this.loops = [
      this.loop(() => this.refresh(), this.options.refreshMs ?? 60_000, true),
      this.loop(() => this.discover(), this.options.discoveryMs ?? 600_000, false),
    ];
  }

  /** The `/metrics` text. Waits at most `timeoutMs` (default `scrapeTimeoutMs`) for the cheap figures. */
  async scrape(timeoutMs?: number): Promise<string> {
    const started = performance.now();
    const deadline = Math.max(100, Math.min(timeoutMs ?? Infinity, this.options.scrapeTimeoutMs ?? 5000));
    let cheap: CheapReading | null;
    try {
      cheap = await withDeadline(this.readShared(), deadline);
    } catch (error) {
      cheap = null;
      this.setUp(false, describe(error));
    }
    const maxQueues = this.options.maxQueues ?? 200;
    return renderExporter(
      {
        mode: this.mode,
        cheap,
        knownMasters: this.knownMasters,
        snapshot: this.snapshot,
        scrapeMs: performance.now() - started,
        refreshes: { ...this.refreshes },
        connections: { opened: this.target.opened, failed: this.target.failedOpens },
        queuesNotExported: Math.max(0, this.queues().length - maxQueues),
        now: new Date(),
      },
      this.config,
    );
  }

  health(): ExporterHealth {
    return { targetUp: this.targetUp, lastRefresh: this.snapshot?.at.toISOString() ?? null, refreshes: { ...this.refreshes } };
  }

  /** Stop the loops (the step in hand finishes) and close the connection. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wakeRefresh?.();
    await Promise.allSettled(this.loops);
    await this.target.close();
  }

  /** One cheap read shared by concurrent scrapes. */
  private readShared(): Promise<CheapReading> {
    this.inFlight ??= this.readCheap().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async readCheap(): Promise<CheapReading> {
    let connection: RedisConnection | undefined;
    try {
      connection = await this.target.get();
      this.mode = connection.mode;
      const queues = this.queues().slice(0, this.options.maxQueues ?? 200);
      const cheap = await readCheap(connection, this.config, queues, new Date());
      this.target.remember(connection);
      this.noteMasters(cheap);
      // A master that did not answer, or slots not served: start from a fresh view next time.
      if (cheap.downMasters.length > 0 || !cheap.clusterOk) this.target.drop(connection);
      this.setUp(
        cheap.downMasters.length === 0 && cheap.clusterOk,
        cheap.downMasters.length > 0 ? `no answer from ${cheap.downMasters.join(', ')}` : 'cluster slots not all served',
      );
      return cheap;
    } catch (error) {
      this.target.drop(connection);
      this.setUp(false, describe(error));
      throw error;
    }
  }

  /** Remember the masters, and refresh early when one restarted or the set of masters changed. */
  private noteMasters(cheap: CheapReading): void {
    const names = cheap.masters.map((m) => m.address).sort();
    const changed = names.join(',') !== [...this.uptimes.keys()].sort().join(',');
    const restarted = cheap.masters.some((m) => (this.uptimes.get(m.address) ?? 0) > m.uptimeSeconds);
    this.uptimes.clear();
    for (const m of cheap.masters) this.uptimes.set(m.address, m.uptimeSeconds);
    this.knownMasters = [...new Set([...names, ...cheap.downMasters])];
    if ((changed || restarted) && this.snapshot) this.wakeRefresh?.();
  }

  private setUp(up: boolean, why: string): void {
    if (this.targetUp === up) return;
    const before = this.targetUp;
    this.targetUp = up;
    if (up && before !== null) this.log('info', 'target-up', 'target answers again');
    if (up && before === null) this.log('info', 'target-up', 'target answers');
    if (!up) this.log('warn', 'target-down', `target down: ${why}`);
    if (up && before === false) this.wakeRefresh?.();
  }

  private queues(): QueueRef[] {
    const byKey = new Map<string, QueueRef>();
    for (const ref of this.snapshot?.queues ?? []) byKey.set(ref.key, ref);
    for (const ref of this.discovered) if (!byKey.has(ref.key)) byKey.set(ref.key, ref);
    return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async refresh(): Promise<void> {
    let connection: RedisConnection | undefined;
    try {
      connection = await this.target.get();
      this.snapshot = await refreshSnapshot(connection, this.config, {
        sample: this.options.sample ?? 10_000,
        pacer: this.pacer,
        discovered: this.discovered,
        maxQueues: this.options.maxQueues ?? 200,
        now: new Date(),
        signal: this.stopping.signal,
      });
      this.refreshes.ok++;
      this.lastRefreshError = '';
    } catch (error) {
      if (this.stopping.signal.aborted) return;
      this.refreshes.failed++;
      this.target.drop(connection);
      const message = describe(error);
      // One line per distinct failure, not one per interval.
      if (message !== this.lastRefreshError) this.log('warn', 'refresh-failed', `refresh failed: ${message}`);
      this.lastRefreshError = message;
    }
  }

  private async discover(): Promise<void> {
    let connection: RedisConnection | undefined;
    try {
      connection = await this.target.get();
      const found = await pacedDiscovery(connection, this.config.queues.prefixes, this.pacer, this.stopping.signal);
      if (!this.stopping.signal.aborted) this.discovered = found;
    } catch (error) {
      if (this.stopping.signal.aborted) return;
      this.target.drop(connection);
      this.log('warn', 'discovery-failed', `queue discovery failed: ${describe(error)}`);
      throw error;
    }
  }

  /** Run `task` now and then every `intervalMs`; after a failure, again within a few seconds. */
  private async loop(task: () => Promise<void>, intervalMs: number, wakeable: boolean): Promise<void> {
    while (!this.stopping.signal.aborted) {
      let failed = false;
      try {
        await task();
      } catch {
        failed = true;
      }
      if (this.stopping.signal.aborted) return;
      const wait = failed ? Math.min(intervalMs, 5000) : wakeable && this.lastRefreshError ? Math.min(intervalMs, 5000) : intervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, wait);
        const signal = this.stopping.signal;
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
        if (wakeable) this.wakeRefresh = done;
      });
    }
  }

  private log(level: ExporterLog['level'], event: ExporterLog['event'], msg: string): void {
    this.options.log?.({ level, event, msg });
  }
}

/** One line for a failure (cachectl errors already name the server and redact secrets). */
function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
