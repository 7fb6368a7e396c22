/**
 * `invalidate`: remove the entries of a family for given values (exact keys when every placeholder
 * is bound or enumerable, else an escaped pattern), a raw pattern, or a conversation's mappings in
 * every tenant namespace.
 */
import type { CachectlConfig } from '../../config/load.js';
import { displayKey } from '../display.js';
import type { FamilyValues } from '../families.js';
import type { RunSummary } from '../keyspace/summary.js';
import { plan, type Plan } from '../plan.js';
import type { Outcome } from '../safety/lifecycle.js';
import type { KeyspaceSpec } from './keyspace.js';
import { planOptions, runPlan, type ClearOptions, type OperationContext } from './run.js';

/** A family's entries for `values` (an absent placeholder matches any value). */
export function familySpec(
  config: CachectlConfig,
  family: string,
  values: FamilyValues,
  options: Pick<ClearOptions, 'tenant' | 'scanTenants'> = {},
): KeyspaceSpec {
  const planned = plan(config, [{ kind: 'family', family, values }], planOptions(options));
  const whole = planned.always !== undefined;
  return {
    command: 'invalidate',
    describe: whole ? `delete every key of family ${family}` : `delete the keys of ${planned.labels[0] ?? family}`,
    plan: planned,
  };
}

/** Every key matching a raw glob. */
export function patternSpec(config: CachectlConfig, glob: string | Buffer, options: Pick<ClearOptions, 'tenant'> = {}): KeyspaceSpec {
  const planned = plan(config, [{ kind: 'pattern', pattern: glob }], planOptions(options));
  return { command: 'invalidate', describe: `delete every key matching ${displayKey(Buffer.isBuffer(glob) ? glob : Buffer.from(glob))}`, plan: planned };
}

/** A conversation's mappings in every tenant namespace (`default` included), plus a WhatsApp id's mapping. */
export function conversationSpec(config: CachectlConfig, conversationId: string, options: ConversationOptions = {}): KeyspaceSpec {
  const planned: Plan = plan(
    config,
    [{ kind: 'conversation', conversationId, ...(options.waId !== undefined ? { waId: options.waId } : {}) }],
    planOptions(options),
  );
  return { command: 'invalidate conversation', describe: 'delete the cached mappings of one conversation in every tenant namespace', plan: planned };
}

export interface ConversationOptions extends ClearOptions {
  /** Also remove the WhatsApp-id mapping of this user (`waMapping`). */
  waId?: string;
}

/** Remove a family's entries for `values`. */
export async function invalidateFamily(ctx: OperationContext, family: string, values: FamilyValues, options: ClearOptions = {}): Promise<Outcome<RunSummary>> {
  return runPlan(ctx, familySpec(ctx.config, family, values, options), options);
}

/** Remove every key matching the raw glob `glob` (queue keys and cachectl's own keys excluded). */
export async function invalidatePattern(ctx: OperationContext, glob: string | Buffer, options: ClearOptions = {}): Promise<Outcome<RunSummary>> {
  return runPlan(ctx, patternSpec(ctx.config, glob, options), options);
}

/**
 * Remove a conversation's cached mappings in every tenant namespace (`default` included, which is
 * where the stale copy of the correlation bug lives), plus the `waId` mapping when given.
 */
export async function invalidateConversation(ctx: OperationContext, conversationId: string, options: ConversationOptions = {}): Promise<Outcome<RunSummary>> {
  return runPlan(ctx, conversationSpec(ctx.config, conversationId, options), options);
}
