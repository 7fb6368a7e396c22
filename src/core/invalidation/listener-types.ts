/**
 * Options, log records and totals of the `listen` consumer (shared by the listener loop and its
 * sessions).
 */
import type { RedisConnection } from '../../redis/connect.js';
import type { PassReport } from './pattern-pass.js';

/** One log record; the CLI prints it as a text line or one JSON object per line. */
export interface ListenerLog {
  level: 'info' | 'warn' | 'error';
  /** `start`, `batch`, `failure`, `dead-letter`, `reconnect`, `reconnected`, `stop`, … */
  event: string;
  msg: string;
  [field: string]: unknown;
}

/** How one entry ended (for latency measurements and tests). */
export interface SettledEntry {
  id: string;
  type: string | undefined;
  /** Publish time recorded in the entry (ms since epoch). */
  at: number | undefined;
  outcome: 'applied' | 'unmatched' | 'failed';
  deleted: number;
  /** From reading the entry to its keys being gone and the ACK sent. */
  ms: number;
  /** When its keys were gone (`performance.timeOrigin + performance.now()` ms, before the ACK). */
  appliedAt?: number;
  pass?: number;
}

export interface ListenerOptions {
  /** Open a fresh connection; called for each session's main, reader and pass connections. */
  connect: () => Promise<RedisConnection>;
  /** Consumer name in the group (stable names let a restart re-read its own pending entries). */
  consumer: string;
  /** Abort to stop: the work in hand is finished (within `stopTimeoutMs`) and acknowledged. */
  signal?: AbortSignal;
  log?: (record: ListenerLog) => void;
  /** How long a stop may spend finishing the work in hand before leaving it pending (default 1200 ms). */
  stopTimeoutMs?: number;
  /** Reconnect backoff: first delay and cap (default 250 ms doubling up to 5 s). */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** How long a pass waits for more pattern events (default: adaptive, a quarter of the last pass, 10–250 ms). */
  lingerMs?: number;
  /** Entries read but not yet settled, at most (default 10 × batch). */
  maxInFlight?: number;
  /** At start, remove consumers with nothing pending that were idle this long (default 1 hour). */
  pruneIdleMs?: number;
  onSettled?: (entry: SettledEntry) => void;
  onPass?: (report: PassReport) => void;
  /** Called each time a session is connected and about to read new entries. */
  onReady?: () => void;
}

/** What a `listen` run did (also its final log record). */
export interface ListenerTotals {
  consumer: string;
  batches: number;
  entries: number;
  /** Entries applied (keys gone, acknowledged). */
  handled: number;
  unmatched: number;
  /** Failed deliveries left pending for a retry. */
  failed: number;
  deadLettered: number;
  acked: number;
  keysDeleted: number;
  passes: number;
  reconnects: number;
  /** Entries taken over from idle consumers (XAUTOCLAIM). */
  claimed: number;
  /** Entries given back unacknowledged (stop timeout, connection loss): they are delivered again. */
  leftPending: number;
  /** Entries the stream cap (`invalidation.maxLen`) trimmed before they were applied: never applied. */
  trimmed: number;
}
