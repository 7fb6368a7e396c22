/**
 * What a backup reads: families (whole, or with placeholder values) and raw patterns, resolved
 * into exact keys and one SCAN plan that reads every matching key once, in a single pass.
 */
import type { CachectlConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import { commonPrefix, uniqueBuffers } from '../buffers.js';
import type { FamilyValues, Selection } from '../families.js';
import { escapeGlob, globMatch, literalPrefix } from '../glob.js';
import { plan } from '../plan.js';
import { assertPatternInTenant, inTenant, tenantScope } from '../tenant.js';

/** One thing to back up: a family (optionally with values), a raw glob, or a resolved selection. */
export type BackupTarget = { family: string; values?: FamilyValues; scanTenants?: boolean } | { pattern: string | Buffer } | Selection;

/**
 * Resolve targets into selections through the planner (unknown families and empty patterns are
 * usage errors). With `tenant`, families get `{tenant}` bound (others are refused) and patterns must
 * stay inside `tenant:<tenant>:`.
 */
export function resolveTargets(config: CachectlConfig, targets: readonly BackupTarget[], tenant?: string): Selection[] {
  const scope = tenant !== undefined ? tenantScope(tenant) : undefined;
  if (targets.length === 0) {
    throw new UsageError('Nothing to back up', { hint: 'name one or more families, or "pattern <glob>"' });
  }
  return targets.flatMap((target): Selection[] => {
    if ('kind' in target) {
      if (scope) {
        if (target.kind === 'pattern') assertPatternInTenant(target.pattern, scope);
        else if (target.keys.some((key) => !inTenant(key, scope.prefix)))
          throw new UsageError(`Selection ${target.label} has keys outside tenant ${scope.id}`, { hint: 'select keys under tenant:<id>: only' });
      }
      return [target];
    }
    const options = { ...(tenant !== undefined ? { tenant } : {}), ...('scanTenants' in target && target.scanTenants ? { scanTenants: true } : {}) };
    const planned =
      'pattern' in target
        ? plan(config, [{ kind: 'pattern', pattern: target.pattern }], options)
        : plan(config, [{ kind: 'family', family: target.family, values: target.values ?? {} }], options);
    return planned.selections;
  });
}

/** How the selections are read: exact keys fetched directly, patterns by one SCAN pass per master. */
export interface ReadPlan {
  labels: string[];
  /** Exact keys not covered by any pattern, without duplicates. */
  exact: Buffer[];
  /** MATCH for the SCAN pass (undefined: no pattern selected, no scan). */
  match: Buffer | undefined;
  /** Client-side filter when several patterns share one pass. */
  accept: (key: Buffer) => boolean;
}

export function planRead(selections: readonly Selection[]): ReadPlan {
  const labels = [...new Set(selections.map((s) => s.label))];
  const patterns = uniqueBuffers(selections.flatMap((s) => (s.kind === 'pattern' ? [s.pattern] : [])));
  const matchesPattern = (key: Buffer) => patterns.some((p) => globMatch(p, key));
  const seen = new Set<string>();
  const exact: Buffer[] = [];
  for (const selection of selections) {
    if (selection.kind !== 'exact') continue;
    for (const key of selection.keys) {
      const id = key.toString('latin1');
      if (seen.has(id) || matchesPattern(key)) continue;
      seen.add(id);
      exact.push(key);
    }
  }
  if (patterns.length === 0) return { labels, exact, match: undefined, accept: () => true };
  if (patterns.length === 1) return { labels, exact, match: patterns[0], accept: () => true };
  // Several patterns: one pass with their common literal prefix, each key checked here once.
  const prefix = commonPrefix(patterns.map((p) => literalPrefix(p)));
  const match = Buffer.concat([escapeGlob(prefix), Buffer.from('*')]);
  return { labels, exact, match, accept: matchesPattern };
}
