/**
 * Adapts the SCAN COUNT of a pattern pass so one server call stays short (other clients wait at
 * most one call) while calls stay few (round trips are the overhead over the floor), and so one
 * step rarely finds more matches than the batch allows (a repeated step re-scans its buckets).
 */

export interface CountTunerOptions {
  /** Wanted duration of one call, in ms (round trip included). */
  targetMs?: number;
  min?: number;
  max?: number;
}

export const DEFAULT_TARGET_CALL_MS = 10;

export class CountTuner {
  private current: number;
  private readonly targetMs: number;
  private readonly min: number;
  private readonly max: number;

  constructor(initial: number, options: CountTunerOptions = {}) {
    this.targetMs = options.targetMs ?? DEFAULT_TARGET_CALL_MS;
    this.min = options.min ?? 50;
    this.max = options.max ?? 100_000;
    this.current = this.clamp(initial);
  }

  get count(): number {
    return this.current;
  }

  /**
   * Learn from one call: how long it took, how many keys of the step matched (queue keys
   * included), whether it had to leave matches pending, and the batch it was allowed.
   */
  update(elapsedMs: number, seen: number, pending: boolean, batch: number): void {
    if (pending) {
      // Too dense for the batch: a smaller step next time, in proportion to the overflow.
      this.current = this.clamp(Math.floor((this.current * batch * 0.8) / Math.max(seen, 1)));
      return;
    }
    const factor = Math.min(2, Math.max(0.5, this.targetMs / Math.max(elapsedMs, 0.05)));
    let next = this.current * factor;
    const density = seen / this.current;
    if (density > 0) next = Math.min(next, (batch * 0.8) / density);
    this.current = this.clamp(Math.floor(next));
  }

  private clamp(n: number): number {
    return Math.min(this.max, Math.max(this.min, Math.floor(n)));
  }
}
