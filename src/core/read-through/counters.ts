/**
 * Per-family counters of a reader, and their Prometheus exposition. The server's own hit ratio
 * cannot tell families apart; these can.
 */
import { ExpositionWriter } from '../metrics/exposition.js';

/** What happened to the reads of one family since the reader was created. */
export interface ReadCounts {
  /** The first GET found a value: no loader ran. */
  hits: number;
  /** The loader ran (once per run, whoever asked). */
  misses: number;
  /** The value came from another read's load: the same key in flight in this process, or another reader's lease. */
  waits: number;
  /** Another reader's lease outlived `waitMs`: this read loaded itself and did not fill. */
  waitTimeouts: number;
  /** Loaded values stored in the cache. */
  fills: number;
  /** Loaded values NOT stored because the key was invalidated (or the lease expired) during the load. */
  staleFillsRefused: number;
  /** Loader calls that threw (nothing stored, lease given back). */
  loaderErrors: number;
}

export type ReadCounter = keyof ReadCounts;

const METRICS: Array<{ counter: ReadCounter; name: string; help: string }> = [
  { counter: 'hits', name: 'cachectl_read_hits_total', help: 'Reads answered from the cache without running the loader.' },
  { counter: 'misses', name: 'cachectl_read_misses_total', help: 'Loader runs after a cache miss.' },
  { counter: 'waits', name: 'cachectl_read_waits_total', help: "Reads answered by another read's load of the same key (single flight)." },
  {
    counter: 'waitTimeouts',
    name: 'cachectl_read_wait_timeouts_total',
    help: "Reads that stopped waiting for another reader's lease and loaded without filling.",
  },
  { counter: 'fills', name: 'cachectl_read_fills_total', help: 'Loaded values stored in the cache.' },
  {
    counter: 'staleFillsRefused',
    name: 'cachectl_read_stale_fills_refused_total',
    help: 'Loaded values not stored because the key was invalidated during the load.',
  },
  { counter: 'loaderErrors', name: 'cachectl_read_loader_errors_total', help: 'Loader calls that failed (nothing stored).' },
];

export class ReadCounters {
  private readonly families = new Map<string, ReadCounts>();

  /** The counts of `family`, created at zero: a reader keeps the object and increments it in place. */
  of(family: string): ReadCounts {
    let counts = this.families.get(family);
    if (!counts) {
      counts = { hits: 0, misses: 0, waits: 0, waitTimeouts: 0, fills: 0, staleFillsRefused: 0, loaderErrors: 0 };
      this.families.set(family, counts);
    }
    return counts;
  }

  /** A copy of the counts, by family name (families no read was made for are absent). */
  snapshot(): Record<string, ReadCounts> {
    const out: Record<string, ReadCounts> = {};
    for (const [family, counts] of this.families) out[family] = { ...counts };
    return out;
  }

  /** The counters in the Prometheus text format, one series per family (`family` label). */
  render(): string {
    const writer = new ExpositionWriter();
    const families = [...this.families.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const { counter, name, help } of METRICS) {
      for (const [family, counts] of families) writer.add(name, 'counter', help, counts[counter], { family });
    }
    return writer.toString();
  }
}
