/**
 * How dangerous a planned run is, decided before anything is touched: breadth of its patterns,
 * selections that always need a confirmation, and its estimated size against
 * `safety.confirmAbove`. The CLI asks on a terminal (or wants `--yes`); the library throws a
 * `SafetyError` unless the caller passes `force`. Pure: the estimate is made elsewhere.
 */
import { formatCount } from '../stats/format.js';
import { literalPrefix, tokenize } from '../glob.js';
import type { Plan } from '../plan.js';
import type { Estimate } from './estimate.js';

/**
 * `everything`: the pattern has no literal byte at all (`*`, `**`, `?*`, `[a-z]*`) — it selects
 * every key. `broad`: fewer than `BROAD_PREFIX_BYTES` literal bytes before the first wildcard
 * (`a*`, `*:x`, `ab*`) — it cuts across unrelated data. `narrow`: anything else (`user:*`).
 */
export type Breadth = 'everything' | 'broad' | 'narrow';

/** A pattern needs at least this many literal bytes before its first wildcard not to be broad. */
export const BROAD_PREFIX_BYTES = 3;

/** Classify a MATCH pattern (see `Breadth`). */
export function patternBreadth(pattern: Buffer | string): Breadth {
  const p = typeof pattern === 'string' ? Buffer.from(pattern, 'utf8') : pattern;
  if (!tokenize(p).some((t) => t.kind === 'literal')) return 'everything';
  return literalPrefix(p).length < BROAD_PREFIX_BYTES ? 'broad' : 'narrow';
}

export interface Assessment {
  /** Ask on a terminal / need `--yes` (library: `force`) without one. */
  confirm: boolean;
  /** Need `--yes` even on a terminal (a pattern that selects every key). */
  requireYes: boolean;
  /** Why, in words, for the prompt and the refusal message. */
  reasons: string[];
  /** The size estimate the decision used, when one was made. */
  estimate?: Estimate;
}

export interface AssessOptions {
  /** `safety.confirmAbove`: runs estimated above this many keys need confirmation. */
  confirmAbove: number;
  /** Policy runs (age-conditional: clear-old, maintenance) are not judged by size. */
  policy?: boolean;
}

/** Judge a planned run. Dry runs never need confirmation; callers skip this for them. */
export function assessPlan(plan: Plan, estimate: Estimate | undefined, options: AssessOptions): Assessment {
  const reasons: string[] = [];
  let requireYes = false;
  if (plan.always) reasons.push(plan.always);
  for (const selection of plan.selections) {
    if (selection.kind !== 'pattern' || selection.condition) continue;
    const breadth = patternBreadth(selection.pattern);
    if (breadth === 'everything') {
      requireYes = true;
      reasons.push(`${selection.label} selects every key`);
    } else if (breadth === 'broad') {
      reasons.push(`${selection.label} is broad (fewer than ${BROAD_PREFIX_BYTES} literal characters before the first wildcard)`);
    }
  }
  if (estimate && !options.policy && estimate.upper > options.confirmAbove) {
    reasons.push(`${describeEstimate(estimate)}, more than safety.confirmAbove (${formatCount(options.confirmAbove)})`);
  }
  return { confirm: reasons.length > 0, requireYes, reasons, ...(estimate ? { estimate } : {}) };
}

/** "about 111,000 keys (estimated from 20,000 of 1,000,000 keys sampled)", "12 keys (named exactly)". */
export function describeEstimate(estimate: Estimate): string {
  const n = (v: number) => formatCount(v);
  if (estimate.method === 'named') return `${n(estimate.keys)} key(s) named exactly`;
  if (estimate.method === 'counted') return `${n(estimate.keys)} matching key(s) (counted)`;
  return `about ${n(estimate.keys)} matching key(s) (estimated from ${n(estimate.sampled)} of ${n(estimate.total)} keys sampled)`;
}
