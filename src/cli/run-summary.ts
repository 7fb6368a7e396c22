/**
 * Printing a clearing run's summary for people: one headline, a row per target and per node,
 * and for dry runs a sample of the keys (escaped like redis-cli shows them).
 */
import { formatCount } from '../core/stats/format.js';
import type { RunSummary } from '../core/keyspace/summary.js';
import type { Output } from './output.js';

/** The human rendering of a `RunSummary` (`--json` prints the object itself). */
export function printRunSummary(summary: RunSummary, out: Output): void {
  const c = out.color;
  const time = formatMs(summary.durationMs);
  if (summary.dryRun) {
    out.line(
      `${c.bold('dry run')}: ${formatCount(summary.matched)} key(s) would be deleted (nothing was deleted) · scanned ${formatCount(summary.scanned)} · ${time}`,
    );
  } else {
    const failed = summary.failed > 0 ? ` · ${c.red(`${formatCount(summary.failed)} failed`)}` : '';
    out.line(
      `${c.green('deleted')} ${formatCount(summary.deleted)} of ${formatCount(summary.matched)} matching key(s)${failed} · scanned ${formatCount(summary.scanned)} · ${time}`,
    );
  }
  if (summary.kept !== undefined) out.line(`kept ${formatCount(summary.kept)} key(s) that are not old enough (or carry no timestamp)`);
  if (summary.byTarget.length > 0) {
    const head = ['target', 'kind', summary.dryRun ? 'would delete' : 'deleted', 'failed', 'time'];
    if (summary.kept !== undefined) head.splice(3, 0, 'kept');
    out.table(
      head,
      summary.byTarget.map((t) => {
        const row: Array<string | number> = [
          t.target,
          t.kind,
          formatCount(summary.dryRun ? t.matched : t.deleted),
          formatCount(t.failed),
          formatMs(t.durationMs),
        ];
        if (summary.kept !== undefined) row.splice(3, 0, formatCount(t.kept ?? 0));
        return row;
      }),
      { align: head.map((_, i) => (i < 2 ? 'left' : 'right')) },
    );
  }
  if (summary.nodes.length > 1) {
    out.table(
      ['node', 'scanned', 'matched', 'deleted', 'failed'],
      summary.nodes.map((n) => [n.node, formatCount(n.scanned), formatCount(n.matched), formatCount(n.deleted), formatCount(n.failed)]),
      { align: ['left', 'right', 'right', 'right', 'right'] },
    );
  }
  if (summary.dryRun && summary.sample && summary.sample.length > 0) {
    out.line(`sample (${summary.sample.length} of ${formatCount(summary.matched)}):`);
    for (const key of summary.sample) out.line(`  ${key}`);
  }
}

/** Warnings and notes that belong on stderr after a run. */
export function noteRun(summary: RunSummary, out: Output): void {
  if (summary.skippedQueueKeys > 0) {
    out.warn(`${formatCount(summary.skippedQueueKeys)} queue key(s) matched and were left alone (queues.prefixes); use the queue commands for queues`);
  }
  if (summary.skippedOwnKeys > 0) {
    out.info(`note: ${formatCount(summary.skippedOwnKeys)} of cachectl's own key(s) (lock, run records, invalidation streams) matched and were left alone`);
  }
  if (summary.interrupted) out.warn(`interrupted: stopped after the batch in hand; ${formatCount(summary.deleted)} key(s) were deleted before stopping`);
  if (summary.limitReached) {
    out.info(
      summary.dryRun ? 'note: more keys match than --limit allows; a real run would stop at the limit' : 'note: stopped at --limit; run again to continue',
    );
  }
}

/** "1.2 ms", "340 ms", "2.41 s". */
export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
