/**
 * The shared core of every clearing operation: run a list of selections (exact keys or patterns)
 * through the keyspace engine with one set of options, one budget and one summary.
 */
import type { CachectlConfig, Family } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import type { Selection } from '../families.js';
import { countExact, countPattern } from '../keyspace/dry-run.js';
import { deleteExact } from '../keyspace/exact-delete.js';
import { deletePattern } from '../keyspace/pattern-delete.js';
import { readyMasters } from '../keyspace/masters.js';
import { KeyspaceRun, type RunOptions } from '../keyspace/run.js';
import type { RunSummary, TargetSummary } from '../keyspace/summary.js';
import { tenantScope } from '../tenant.js';

/** What an operation works with: a connection and the resolved configuration. */
export interface OperationContext {
  connection: RedisConnection;
  config: CachectlConfig;
}

/** Options of the clearing operations (engine options plus family selection options). */
export interface ClearOptions extends RunOptions {
  /** Scan `tenant:*` namespaces instead of enumerating the configured tenants (finds unlisted ones). */
  scanTenants?: boolean;
  /**
   * Restrict the run to keys under `tenant:<tenant>:` (`--tenant`): only tenant-scoped families
   * take part, with `{tenant}` bound; raw patterns must stay inside; the engine refuses any other key.
   */
  tenant?: string;
}

/** Queue prefixes as the byte prefixes the engine excludes (`bull` → `bull:`). */
export function excludedPrefixes(config: CachectlConfig): Buffer[] {
  return config.queues.prefixes.map((prefix) => Buffer.from(`${prefix}:`, 'utf8'));
}

/**
 * A new run bound to the context's connection and configuration. With `tenant`, the engine's
 * guard (`onlyPrefix`) is set and the summary reports the tenant and `skippedFamilies`.
 */
export function newRun(ctx: OperationContext, command: string, options: ClearOptions, skippedFamilies: string[] = []): KeyspaceRun {
  const scope = options.tenant !== undefined ? tenantScope(options.tenant) : undefined;
  const run = new KeyspaceRun(
    {
      connection: ctx.connection,
      command,
      excluded: excludedPrefixes(ctx.config),
      batch: ctx.config.scan.batch,
      serverBatch: ctx.config.scan.serverBatch,
      count: ctx.config.scan.count,
    },
    scope ? { ...options, onlyPrefix: options.onlyPrefix ?? scope.prefix } : options,
  );
  if (scope) run.summary.tenant = { id: scope.id, skippedFamilies };
  return run;
}

/** The family named `name`, or a usage error listing the configured ones. */
export function getFamily(config: CachectlConfig, name: string): Family {
  const family = Object.hasOwn(config.families, name) ? config.families[name] : undefined;
  if (!family) {
    throw new UsageError(`Unknown family "${name}"`, {
      hint: `configured families: ${Object.keys(config.families).join(', ') || 'none'} (or use "pattern <glob>" for a raw pattern)`,
    });
  }
  return family;
}

/** Run `selections` in order; stops early on abort, limit or failure. */
export async function executeSelections(
  ctx: OperationContext,
  command: string,
  selections: Selection[],
  options: ClearOptions,
  skippedFamilies: string[] = [],
): Promise<RunSummary> {
  await readyMasters(ctx.connection);
  const run = newRun(ctx, command, options, skippedFamilies);
  await runSelections(run, selections);
  return run.finish(labelsOf(selections));
}

/** Run `selections` inside an existing run, recording a per-target breakdown. */
export async function runSelections(run: KeyspaceRun, selections: Selection[]): Promise<void> {
  for (const selection of selections) {
    if (run.shouldStop()) break;
    const before = run.summary.totals();
    const began = performance.now();
    if (selection.kind === 'exact') {
      if (run.options.dryRun) await countExact(run, selection.keys, selection.label);
      else await deleteExact(run, selection.keys, selection.label);
    } else if (run.options.dryRun) await countPattern(run, selection.pattern, selection.label);
    else await deletePattern(run, selection.pattern, selection.label);
    const after = run.summary.totals();
    recordTarget(run, {
      target: selection.label,
      ...(selection.family !== undefined ? { family: selection.family } : {}),
      kind: selection.kind,
      matched: after.matched - before.matched,
      deleted: after.deleted - before.deleted,
      failed: after.failed - before.failed,
      durationMs: Math.round((performance.now() - began) * 100) / 100,
    });
  }
}

/** Add a target's counts, merging with an earlier entry of the same label (one family, several values). */
export function recordTarget(run: KeyspaceRun, entry: TargetSummary): void {
  const existing = run.summary.byTarget.find((t) => t.target === entry.target && t.kind === entry.kind);
  if (!existing) {
    run.summary.byTarget.push(entry);
    return;
  }
  existing.matched += entry.matched;
  existing.deleted += entry.deleted;
  existing.failed += entry.failed;
  existing.durationMs = Math.round((existing.durationMs + entry.durationMs) * 100) / 100;
  if (entry.kept !== undefined) existing.kept = (existing.kept ?? 0) + entry.kept;
}

/** Unique labels in order. */
export function labelsOf(selections: Array<{ label: string }>): string[] {
  return [...new Set(selections.map((s) => s.label))];
}
