/**
 * The consumer's periodic housekeeping: keep its own in-progress entries fresh (XCLAIM JUSTID, no
 * delivery counted) so a long pass is not mistaken for a dead consumer, then take over entries
 * idle longer than `claimIdleMs` (XAUTOCLAIM): a dead consumer's, or a failed entry's retry.
 */
import type { RedisClient } from '../../redis/connect.js';
import * as streams from './stream.js';

export interface ClaimerHost {
  client: RedisClient;
  ref: streams.GroupRef;
  claimIdleMs: number;
  batch: number;
  /** Entry id → when it was read or last refreshed (ms since epoch). */
  inFlight: Map<string, number>;
  stopping(): boolean;
  capacity(): Promise<void>;
  dispatch(entries: streams.StreamEntry[]): void;
  /** Pending entries XAUTOCLAIM found trimmed from the stream (and dropped from the pending list). */
  onTrimmed(ids: string[]): Promise<void>;
  /** A round failed; the claimer keeps its schedule unless `disable()` is called. */
  onError(error: unknown, disable: () => void): void;
}

export class Claimer {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private disabled = false;

  constructor(private readonly host: ClaimerHost) {}

  /** Schedule rounds every half `claimIdleMs` (between 100 ms and 10 s). */
  start(): void {
    if (this.host.stopping()) return;
    const every = Math.min(10_000, Math.max(100, Math.floor(this.host.claimIdleMs / 2)));
    this.timer = setTimeout(() => {
      void this.round()
        .catch((error: unknown) => this.host.onError(error, () => (this.disabled = true)))
        .finally(() => this.start());
    }, every);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async round(): Promise<void> {
    if (this.busy || this.disabled || this.host.stopping()) return;
    this.busy = true;
    try {
      const { client, ref, claimIdleMs, batch, inFlight } = this.host;
      const now = Date.now();
      const stale = [...inFlight].filter(([, since]) => now - since > claimIdleMs / 3).map(([id]) => id);
      for (let i = 0; i < stale.length; i += 500) await streams.touch(client, ref, stale.slice(i, i + 500));
      for (const id of stale) if (inFlight.has(id)) inFlight.set(id, now);
      let cursor = '0-0';
      for (let round = 0; round < 100 && !this.host.stopping(); round++) {
        await this.host.capacity();
        const { next, entries, deleted } = await streams.autoClaim(client, ref, claimIdleMs, cursor, batch);
        if (deleted.length > 0) await this.host.onTrimmed(deleted);
        const fresh = entries.filter((e) => !inFlight.has(e.id));
        if (fresh.length > 0) this.host.dispatch(fresh);
        cursor = next;
        if (next === '0-0') break;
      }
    } finally {
      this.busy = false;
    }
  }
}
