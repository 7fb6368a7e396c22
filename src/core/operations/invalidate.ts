/**
 * `invalidate`: remove the entries of a family for given values (exact keys when every
 * placeholder is bound or enumerable, else an escaped pattern), a raw pattern, or a
 * conversation's mappings in every tenant namespace.
 */
import { UsageError } from '../../errors.js';
import { selectFamily, type FamilyValues, type Selection } from '../families.js';
import type { RunSummary } from '../keyspace/summary.js';
import { displayKey } from '../display.js';
import { assertPatternInTenant, bindTenant, tenantScope } from '../tenant.js';
import { executeSelections, getFamily, type ClearOptions, type OperationContext } from './execute.js';

/** Plan an invalidation of `familyName` with `values` (no I/O). Unknown names/empty values throw. */
export function planFamily(
  ctx: Pick<OperationContext, 'config'>,
  familyName: string,
  values: FamilyValues,
  options: Pick<ClearOptions, 'scanTenants' | 'tenant'> = {},
): Selection[] {
  const family = getFamily(ctx.config, familyName);
  const bound = options.tenant !== undefined ? bindTenant(family, values, tenantScope(options.tenant)) : values;
  return selectFamily(family, bound, { tenants: ctx.config.tenants, scanTenants: options.scanTenants === true });
}

/** Remove a family's entries for `values` (open placeholders match anything). */
export async function invalidateFamily(ctx: OperationContext, familyName: string, values: FamilyValues, options: ClearOptions = {}): Promise<RunSummary> {
  return executeSelections(ctx, 'invalidate', planFamily(ctx, familyName, values, options), options);
}

/**
 * Plan a raw-pattern invalidation. The pattern is used as given (it is the caller's glob); with
 * `tenant` it must provably stay inside `tenant:<tenant>:` (else a usage error).
 */
export function planPattern(glob: string | Buffer, options: Pick<ClearOptions, 'tenant'> = {}): Selection[] {
  const pattern = typeof glob === 'string' ? Buffer.from(glob, 'utf8') : Buffer.from(glob);
  if (pattern.length === 0) throw new UsageError('Empty pattern', { hint: 'give a glob such as "context:STORY-1*"' });
  if (options.tenant !== undefined) assertPatternInTenant(pattern, tenantScope(options.tenant));
  return [{ kind: 'pattern', label: `pattern ${truncate(displayKey(pattern))}`, pattern }];
}

/** Remove every key matching the raw glob `glob` (queue keys excluded). */
export async function invalidatePattern(ctx: OperationContext, glob: string | Buffer, options: ClearOptions = {}): Promise<RunSummary> {
  return executeSelections(ctx, 'invalidate', planPattern(glob, options), options);
}

export interface ConversationOptions extends ClearOptions {
  /** Also remove the WhatsApp-id mapping of this user (`waMapping`). */
  waId?: string;
}

/** Plan a conversation invalidation: convMapping (+ waMapping) in every tenant, `default` included. */
export function planConversation(ctx: Pick<OperationContext, 'config'>, conversationId: string, options: ConversationOptions = {}): Selection[] {
  const selections = planFamily(ctx, 'convMapping', { conversationId }, options);
  if (options.waId !== undefined) selections.push(...planFamily(ctx, 'waMapping', { waId: options.waId }, options));
  return selections;
}

/**
 * Remove a conversation's cached mappings in every tenant namespace (`default` included, which is
 * where the stale copy of the correlation bug lives), plus the `waId` mapping when given.
 */
export async function invalidateConversation(ctx: OperationContext, conversationId: string, options: ConversationOptions = {}): Promise<RunSummary> {
  return executeSelections(ctx, 'invalidate conversation', planConversation(ctx, conversationId, options), options);
}

function truncate(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
