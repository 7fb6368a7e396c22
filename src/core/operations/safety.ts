/**
 * How dangerous a planned run is, decided before anything is touched: the CLI asks for
 * confirmation (or `--yes`) when this says so. Pure functions, no I/O.
 */
import type { Selection } from '../families.js';
import { literalPrefix } from '../glob.js';

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
  if (!hasLiteral(p)) return 'everything';
  return literalPrefix(p).length < BROAD_PREFIX_BYTES ? 'broad' : 'narrow';
}

/** True when some byte of the pattern is matched literally (outside `*`, `?` and `[...]`). */
function hasLiteral(p: Buffer): boolean {
  for (let i = 0; i < p.length; i++) {
    const b = p[i]!;
    if (b === 0x2a || b === 0x3f) continue;
    if (b === 0x5b) {
      const close = p.indexOf(0x5d, i + 2);
      if (close === -1) return false;
      i = close;
      continue;
    }
    return true;
  }
  return false;
}

export interface SafetyAssessment {
  /** Ask on a terminal / require `--yes` without one. */
  confirm: boolean;
  /** Require `--yes` even on a terminal (a pattern that selects everything). */
  requireYes: boolean;
  /** Why, in words, for the prompt and the refusal message. */
  reasons: string[];
}

export interface AssessOptions {
  /** `safety.confirmAbove`: exact selections with more keys than this need confirmation. */
  confirmAbove: number;
  /** The run always needs confirmation (clear-all), with this reason. */
  always?: string;
}

/** Judge a planned run. Dry runs never need confirmation; the caller skips this for them. */
export function assessSelections(selections: Selection[], options: AssessOptions): SafetyAssessment {
  const reasons: string[] = [];
  let requireYes = false;
  if (options.always) reasons.push(options.always);
  let exact = 0;
  for (const selection of selections) {
    if (selection.kind === 'exact') {
      exact += selection.keys.length;
      continue;
    }
    const breadth = patternBreadth(selection.pattern);
    if (breadth === 'everything') {
      requireYes = true;
      reasons.push(`${selection.label} selects every key`);
    } else if (breadth === 'broad') {
      reasons.push(`${selection.label} is broad (fewer than ${BROAD_PREFIX_BYTES} literal characters before the first wildcard)`);
    }
  }
  if (exact > options.confirmAbove) reasons.push(`${exact} keys is more than safety.confirmAbove (${options.confirmAbove})`);
  return { confirm: reasons.length > 0, requireYes, reasons };
}
