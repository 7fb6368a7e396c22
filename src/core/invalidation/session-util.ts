/**
 * Small policies of the `listen` consumer: which errors mean "reconnect", how long a pass lingers,
 * and a bounded wait.
 */
import { AuthError, CachectlError, ConnectionError, TlsError } from '../../errors.js';

/** Errors that mean "the connection is gone" (reconnect), not "this entry failed". */
export function isConnectionLoss(error: unknown): boolean {
  const message = String((error as Error)?.message ?? error);
  const code = (error as NodeJS.ErrnoException)?.code ?? '';
  if (error instanceof AuthError || error instanceof TlsError) return false;
  if (error instanceof ConnectionError) return true;
  // A server loading its data set after a restart, or a cluster mid-failover: try again later.
  if (error instanceof CachectlError) return /LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN/.test(message);
  return (
    /Connection is closed|Stream isn't writeable|ECONNRESET|ECONNREFUSED|EPIPE|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|Failed to refresh slots|None of startup nodes/i.test(
      message,
    ) || ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code)
  );
}

/**
 * How long an idle pass runner waits for more pattern events: a tenth of the last pass, between
 * 10 and 50 ms (50 ms before the first). Long enough for a burst written in one pipeline to be
 * read into the same pass (the reader also holds the pass while it reads full batches), short
 * enough to add little to a pattern event's latency: at a quarter of a pass (up to 250 ms) the
 * 1M-key benchmark's burst of 1,000 events fell to 946–995 events/s.
 */
export function adaptiveLinger(lastPassMs: number | undefined): number {
  if (lastPassMs === undefined) return 50;
  return Math.min(50, Math.max(10, Math.round(lastPassMs / 10)));
}

/** True if `promise` settles within `ms`, false if the time ran out first. */
export function waitFor(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
