/**
 * Shared brakes for node loops running in parallel: a deletion budget (`--limit`) and a rate
 * ceiling (`--rate`, keys per second over the whole run), plus an abortable sleep.
 */

/** Sleep `ms`, waking early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * At most `limit` deletions over all nodes. A loop reserves what its next call may delete and
 * gives back what it did not use, so parallel loops never overshoot.
 */
export class Budget {
  private left: number;

  constructor(readonly limit: number | undefined) {
    this.left = limit ?? Number.POSITIVE_INFINITY;
  }

  /** Reserve up to `want`; 0 means the limit is reached. */
  take(want: number): number {
    const granted = Math.max(0, Math.min(want, this.left));
    this.left -= granted;
    return granted;
  }

  /** Give back the unused part of a reservation. */
  giveBack(unused: number): void {
    if (unused > 0) this.left += unused;
  }

  get exhausted(): boolean {
    return this.left <= 0;
  }
}

/**
 * Keeps the total deletion rate of all loops at or under `rate` keys per second. A loop reserves
 * the keys of its next call before sending it, so parallel loops are spaced out instead of all
 * bursting at once; unused reservations are given back.
 */
export class Pacer {
  private reserved = 0;
  private readonly start = performance.now();

  constructor(readonly rate: number | undefined) {}

  /** The most a single call should delete so bursts stay short (≈ 100 ms worth of the rate). */
  cap(batch: number): number {
    if (!this.rate) return batch;
    return Math.max(1, Math.min(batch, Math.ceil(this.rate / 10)));
  }

  /** Wait until a call deleting up to `count` keys fits under the rate, and book it. */
  async reserve(count: number, signal?: AbortSignal): Promise<void> {
    if (!this.rate) return;
    const due = (this.reserved / this.rate) * 1000;
    this.reserved += count;
    await sleep(due - (performance.now() - this.start), signal);
  }

  /** After the call: give back what a reservation did not delete. */
  settle(reserved: number, deleted: number): void {
    if (this.rate) this.reserved -= Math.max(0, reserved - deleted);
  }
}
