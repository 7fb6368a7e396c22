/**
 * A progress line for long runs, on stderr and only on a terminal (Output.progress decides):
 * scanned / estimated total, matched or deleted, the current rate and the time left. Throttled to
 * ~10 updates/s, and never wider than the terminal: on a narrow one the target is shortened, then
 * the counts give way to the percentage.
 */
import { formatCount } from '../core/stats/format.js';
import type { ProgressEvent } from '../core/keyspace/run.js';
import type { Output } from './output.js';
import { cellWidth, truncateEnd, truncateMiddle } from './width.js';

const INTERVAL_MS = 100;

/** A progress callback for the engine that renders to `out`, and `done()` to clear the line. */
export function progressReporter(out: Output, label: string, dryRun: boolean): { onProgress: (event: ProgressEvent) => void; done: () => void } {
  let last = 0;
  const onProgress = (event: ProgressEvent): void => {
    if (!out.showsProgress) return;
    const now = performance.now();
    if (now - last < INTERVAL_MS) return;
    last = now;
    out.progress(progressLine(event, label, dryRun, out.progressWidth()));
  };
  return { onProgress, done: () => out.clearProgress() };
}

/** The progress line for `event`, fitted to `width` cells when given. */
export function progressLine(event: ProgressEvent, label: string, dryRun: boolean, width?: number): string {
  const known = event.total > 0;
  const percent = known ? Math.min(100, Math.floor((event.scanned / event.total) * 100)) : undefined;
  const scanned = known ? `scanned ${formatCount(event.scanned)}/${formatCount(event.total)} (${percent}%)` : '';
  const count = dryRun ? event.matched : event.deleted;
  const done = dryRun ? `matched ${formatCount(count)}` : `deleted ${formatCount(count)}`;
  const seconds = event.elapsedMs / 1000;
  const rate = seconds > 0.2 ? `${formatCount(Math.round(count / seconds))} keys/s` : '';
  const eta = known && seconds > 0.2 && event.scanned > 0 ? `ETA ${clock(((event.total - event.scanned) * seconds) / event.scanned)}` : '';
  const tail = (parts: string[]) => parts.filter(Boolean).join(' · ');
  const full = `${label} ${event.target}: ${tail([scanned, done, rate, eta])}`;
  if (width === undefined || cellWidth(full) <= width) return full;
  // Shorten the target (middle ellipsis), keeping at least a recognisable part of it.
  const rest = `: ${tail([scanned, done, rate, eta])}`;
  const room = width - cellWidth(label) - 1 - cellWidth(rest);
  if (room >= 12) return `${label} ${truncateMiddle(event.target, room)}${rest}`;
  const compact = tail([percent === undefined ? '' : `${percent}%`, done, rate, eta]);
  if (cellWidth(`${label}: ${compact}`) <= width) return `${label}: ${compact}`;
  return truncateEnd(tail([percent === undefined ? '' : `${percent}%`, done, eta]), width);
}

/** Seconds as the time left: "45s", "12m 05s", "3h 20m". */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
