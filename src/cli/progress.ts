/**
 * A progress line for long runs, on stderr and only on a terminal (Output.progress decides):
 * scanned / estimated total, matched or deleted, and the current rate. Throttled to ~10 updates/s.
 */
import type { ProgressEvent } from '../core/keyspace/run.js';
import type { Output } from './output.js';

const INTERVAL_MS = 100;

/** A progress callback for the engine that renders to `out`, and `done()` to clear the line. */
export function progressReporter(out: Output, label: string, dryRun: boolean): { onProgress: (event: ProgressEvent) => void; done: () => void } {
  let last = 0;
  const onProgress = (event: ProgressEvent): void => {
    const now = performance.now();
    if (now - last < INTERVAL_MS) return;
    last = now;
    const pct = event.total > 0 ? ` (${Math.min(100, Math.floor((event.scanned / event.total) * 100))}%)` : '';
    const scanned = event.total > 0 ? `scanned ${fmt(event.scanned)}/${fmt(event.total)}${pct}` : '';
    const done = dryRun ? `matched ${fmt(event.matched)}` : `deleted ${fmt(event.deleted)}`;
    const seconds = event.elapsedMs / 1000;
    const rate = seconds > 0.2 ? ` · ${fmt(Math.round((dryRun ? event.matched : event.deleted) / seconds))} keys/s` : '';
    out.progress(`${label} ${event.target}: ${[scanned, done].filter(Boolean).join(' · ')}${rate}`);
  };
  return { onProgress, done: () => out.clearProgress() };
}

/** 1234567 → "1,234,567". */
export function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
