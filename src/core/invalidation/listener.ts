/**
 * `listen`: the long-running invalidation consumer. This is the one place in cachectl with a
 * reconnect loop: every connection it opens is fail-fast, and when one is lost the listener closes
 * the session, waits (bounded exponential backoff, each attempt logged) and opens a new one, which
 * first re-reads this consumer's pending entries, so no event is lost across a server restart.
 * The very first connect is not retried: a wrong URL or password ends the run at once.
 */
import type { CachectlConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { ConsumerSession, isConnectionLoss, type SessionConnections } from './consumer.js';
import { compileRules } from './rules.js';
import type { ListenerOptions, ListenerTotals } from './listener-types.js';

export type { ListenerLog, ListenerOptions, ListenerTotals, SettledEntry } from './listener-types.js';

/** Consume the invalidation stream until `options.signal` aborts; returns the run's totals. */
export async function runListener(config: CachectlConfig, options: ListenerOptions): Promise<ListenerTotals> {
  const inv = config.invalidation;
  if (inv.blockMs >= config.redis.commandTimeoutMs) {
    throw new UsageError(`invalidation.blockMs (${inv.blockMs}) must be below the command timeout (${config.redis.commandTimeoutMs} ms)`, {
      hint: 'lower invalidation.blockMs or raise --command-timeout',
    });
  }
  const rules = [...compileRules(config).values()].flat().length;
  const totals: ListenerTotals = {
    consumer: options.consumer,
    batches: 0,
    entries: 0,
    handled: 0,
    unmatched: 0,
    failed: 0,
    deadLettered: 0,
    acked: 0,
    keysDeleted: 0,
    passes: 0,
    reconnects: 0,
    claimed: 0,
    leftPending: 0,
    trimmed: 0,
  };
  const log = options.log ?? (() => undefined);
  const signal = options.signal ?? new AbortController().signal;
  const started = Date.now();
  let first = true;
  let attempt = 0;

  while (!signal.aborted) {
    let connections: SessionConnections;
    try {
      connections = await openSession(options.connect);
    } catch (error) {
      if (first || !isConnectionLoss(error)) throw error;
      attempt++;
      const delay = backoff(attempt, options);
      log({
        level: 'warn',
        event: 'reconnect',
        msg: `reconnect attempt ${attempt} failed (${(error as Error).message}); next in ${delay} ms`,
        attempt,
        delayMs: delay,
      });
      await sleep(delay, signal);
      continue;
    }
    if (first) {
      log({
        level: 'info',
        event: 'start',
        msg: `listening on ${connections.main.target} stream ${inv.stream} as ${options.consumer} in group ${inv.group} (${rules} rule${rules === 1 ? '' : 's'})`,
        target: connections.main.target,
        mode: connections.main.mode,
        stream: inv.stream,
        group: inv.group,
        consumer: options.consumer,
        rules,
      });
    } else {
      totals.reconnects++;
      log({ level: 'info', event: 'reconnected', msg: `reconnected to ${connections.main.target} after ${attempt} attempt(s)`, attempts: attempt });
    }
    first = false;
    const session = new ConsumerSession(config, connections, totals, options);
    const onAbort = (): void => session.stop();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) session.stop();
    let lost: unknown;
    try {
      await session.run();
    } catch (error) {
      if (!signal.aborted && !isConnectionLoss(error)) throw error;
      lost = error;
    } finally {
      signal.removeEventListener('abort', onAbort);
      await session.close();
    }
    if (lost === undefined || signal.aborted) break; // stopped
    attempt = 1;
    const delay = backoff(attempt, options);
    log({ level: 'warn', event: 'reconnect', msg: `lost the connection (${(lost as Error).message}); reconnecting in ${delay} ms`, attempt, delayMs: delay });
    await sleep(delay, signal);
  }
  log({
    level: 'info',
    event: 'stop',
    msg: `stopped after ${Math.round((Date.now() - started) / 1000)} s: ${totals.handled} applied, ${totals.deadLettered} dead-lettered, ${totals.leftPending} left pending for redelivery${totals.trimmed ? `, ${totals.trimmed} trimmed by the stream cap before they were applied` : ''}`,
    ...totals,
  });
  return totals;
}

async function openSession(connect: () => Promise<RedisConnection>): Promise<SessionConnections> {
  const opened = await Promise.allSettled([connect(), connect(), connect()]);
  const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(opened.map((r) => (r.status === 'fulfilled' ? r.value.close() : Promise.resolve())));
    throw failed.reason;
  }
  const [main, reader, pass] = opened.map((r) => (r as PromiseFulfilledResult<RedisConnection>).value);
  return { main: main!, reader: reader!, pass: pass! };
}

function backoff(attempt: number, options: ListenerOptions): number {
  const initial = options.reconnectInitialMs ?? 250;
  const max = options.reconnectMaxMs ?? 5000;
  return Math.min(max, initial * 2 ** (attempt - 1));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
