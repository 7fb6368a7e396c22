/**
 * The one planner: what an operator or a caller names (a family with values, a raw pattern, a
 * user, a conversation, every family, entries older than N hours) becomes selections — exact keys
 * or escaped patterns, with the age condition where there is one — plus labels (never values), the
 * families a tenant restriction leaves out, and why the plan always needs confirmation. Pure: no
 * I/O. Every unknown family, empty value or bad pattern is a `UsageError` here, before anything
 * is touched.
 */
import type { CachectlConfig, Family } from '../config/load.js';
import { UsageError } from '../errors.js';
import { displayKey } from './display.js';
import { familyPattern, selectFamily, type FamilyValues } from './families.js';
import { normalizeUser, userForms, type UserSubject } from './phone.js';
import type { Condition, Selection } from './selection.js';
import { assertPatternInTenant, bindTenant, isTenantScoped, tenantFamilyPattern, tenantPattern, tenantScope, type TenantScope } from './tenant.js';

/** What to work on. */
export type Target =
  /** A family's keys for the given values (an absent placeholder matches any value). */
  | { kind: 'family'; family: string; values?: FamilyValues }
  /** Every key matching a raw glob (used as given: it is the caller's glob). */
  | { kind: 'pattern'; pattern: string | Buffer }
  /** Everything cached about one user: every family with a `user` placeholder, in each spelling it uses. */
  | { kind: 'user'; user: string; country?: string }
  /** A conversation's mappings in every tenant namespace (`default` included), plus a WhatsApp id's. */
  | { kind: 'conversation'; conversationId: string; waId?: string }
  /** Whole families (default: every family); `userStates: false` leaves user-keyed families out. */
  | { kind: 'families'; families?: string[]; userStates?: boolean }
  /** Every key but queue keys and cachectl's own (`clear-all --include-unknown`). */
  | { kind: 'everything' }
  /** Entries older than their threshold (`--hours`, else each family's maxAgeHours, else maintenance.hours). */
  | { kind: 'old'; families?: string[]; hours?: number };

export interface PlanOptions {
  /** Only keys under `tenant:<tenant>:`: tenant-scoped families with `{tenant}` bound, patterns checked. */
  tenant?: string;
  /** Scan `tenant:*` namespaces instead of enumerating the configured tenants. */
  scanTenants?: boolean;
  /** Clock for timestamp ages (tests); default Date.now. */
  now?: number;
}

export interface Plan {
  selections: Selection[];
  /** Unique labels of the selections, in order (families, patterns; no values). */
  labels: string[];
  /** Families a tenant-restricted plan leaves out (not tenant-scoped). */
  skippedFamilies: string[];
  /** `user` targets: the user as normalized. */
  user?: UserSubject;
  /** Families aged by idle time (OBJECT IDLETIME): impossible under an LFU policy. */
  idleFamilies: string[];
  /** Why this plan needs confirmation whatever its size (every family, a whole family…). */
  always?: string;
  /** True when an age condition decides (clear-old). */
  conditional: boolean;
}

/** Label of the everything-but-protected pass of `clear-all --include-unknown`. */
export const ALL_KEYS_LABEL = 'all keys (unknown included, queues and cachectl keys excluded)';

/** Plan `targets` (no I/O). */
export function plan(config: CachectlConfig, targets: readonly Target[], options: PlanOptions = {}): Plan {
  if (targets.length === 0) throw new UsageError('Nothing selected', { hint: 'name a family, a pattern, a user or a conversation' });
  const scope = options.tenant !== undefined ? tenantScope(options.tenant) : undefined;
  const out: Plan = { selections: [], labels: [], skippedFamilies: [], idleFamilies: [], conditional: false };
  const reasons: string[] = [];
  for (const target of targets) {
    switch (target.kind) {
      case 'family':
        out.selections.push(...planFamily(config, target.family, target.values ?? {}, scope, options));
        if (isWhole(config, target.family, target.values))
          reasons.push(`no value given, so every key of family ${target.family} (${getFamily(config, target.family).template})`);
        break;
      case 'pattern':
        out.selections.push(planPattern(target.pattern, scope));
        break;
      case 'conversation':
        out.selections.push(...planFamily(config, 'convMapping', { conversationId: target.conversationId }, scope, options));
        if (target.waId !== undefined) out.selections.push(...planFamily(config, 'waMapping', { waId: target.waId }, scope, options));
        break;
      case 'user':
        out.user = planUser(config, target, scope, options, out);
        break;
      case 'families':
        planFamilies(config, target, scope, out);
        reasons.push('every cache family');
        break;
      case 'everything':
        if (targets.length > 1)
          throw new UsageError('"everything" cannot be combined with other targets', { hint: 'it removes every key but queue keys; choose either' });
        out.selections.push({
          kind: 'pattern',
          label: scope ? `all keys of tenant ${scope.id}` : ALL_KEYS_LABEL,
          pattern: scope ? tenantPattern(scope) : Buffer.from('*'),
        });
        reasons.push(scope ? `every key of tenant ${scope.id}` : 'every key, unknown ones included (queue keys and cachectl keys excepted)');
        break;
      case 'old':
        planOld(config, target, scope, options, out);
        break;
    }
  }
  out.labels = [...new Set(out.selections.map((s) => s.label))];
  if (reasons.length > 0) out.always = reasons.join('; ');
  return out;
}

/** The family named `name`, or the usage error listing the configured ones (own properties only). */
export function getFamily(config: CachectlConfig, name: string): Family {
  const family = typeof name === 'string' && Object.hasOwn(config.families, name) ? config.families[name] : undefined;
  if (!family) {
    throw new UsageError(`Unknown family "${String(name)}"`, {
      hint: `configured families: ${Object.keys(config.families).join(', ') || 'none'} (or use "pattern <glob>" for a raw pattern)`,
    });
  }
  return family;
}

function planFamily(config: CachectlConfig, name: string, values: FamilyValues, scope: TenantScope | undefined, options: PlanOptions): Selection[] {
  const family = getFamily(config, name);
  const bound = scope ? bindTenant(family, values, scope) : values;
  return selectFamily(family, bound, { tenants: config.tenants, scanTenants: options.scanTenants === true });
}

function isWhole(config: CachectlConfig, name: string, values: FamilyValues | undefined): boolean {
  const family = getFamily(config, name);
  return family.parsed.placeholders.length > 0 && Object.values(values ?? {}).every((v) => v === undefined);
}

/** A raw pattern; with a tenant it must provably stay inside `tenant:<id>:`. */
function planPattern(glob: string | Buffer, scope: TenantScope | undefined): Selection {
  const pattern = typeof glob === 'string' ? Buffer.from(glob, 'utf8') : Buffer.from(glob);
  if (pattern.length === 0) throw new UsageError('Empty pattern', { hint: 'give a glob such as "context:STORY-1*"' });
  if (scope) assertPatternInTenant(pattern, scope);
  const shown = displayKey(pattern);
  return { kind: 'pattern', label: `pattern ${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}`, pattern };
}

function planUser(
  config: CachectlConfig,
  target: Extract<Target, { kind: 'user' }>,
  scope: TenantScope | undefined,
  options: PlanOptions,
  out: Plan,
): UserSubject {
  const user = normalizeUser(target.user, target.country !== undefined ? { country: target.country } : {});
  const keyed = Object.values(config.families).filter((family) => family.user !== undefined);
  if (keyed.length === 0) {
    throw new UsageError('No family is keyed by user', { hint: 'set "user" (the placeholder holding the phone/id) on the families in the config file' });
  }
  const families = scope ? keyed.filter((family) => isTenantScoped(family)) : keyed;
  if (scope && families.length === 0) {
    throw new UsageError(`No user-keyed family is tenant-scoped, so --tenant ${scope.id} leaves nothing to erase`, {
      hint: `user-keyed families: ${keyed.map((f) => `${f.name} (${f.template})`).join(', ')}; run without --tenant`,
    });
  }
  for (const family of families) {
    const values = { [family.user!]: userForms(user, family.userFormat) };
    out.selections.push(
      ...selectFamily(family, scope ? bindTenant(family, values, scope) : values, { tenants: config.tenants, scanTenants: options.scanTenants === true }),
    );
  }
  out.skippedFamilies.push(...keyed.filter((f) => !families.includes(f)).map((f) => f.name));
  return user;
}

function planFamilies(config: CachectlConfig, target: Extract<Target, { kind: 'families' }>, scope: TenantScope | undefined, out: Plan): void {
  const families = (target.families ?? Object.keys(config.families))
    .map((name) => getFamily(config, name))
    .filter((f) => target.userStates !== false || f.user === undefined);
  for (const family of families) {
    if (scope && !isTenantScoped(family)) {
      out.skippedFamilies.push(family.name);
      continue;
    }
    out.selections.push(wholeFamily(family, scope));
  }
}

function planOld(config: CachectlConfig, target: Extract<Target, { kind: 'old' }>, scope: TenantScope | undefined, options: PlanOptions, out: Plan): void {
  const given = target.hours;
  if (given !== undefined && !(Number.isFinite(given) && given > 0)) {
    throw new UsageError(`Invalid age: ${given} hours`, { hint: 'give a positive number of hours, e.g. --hours 48' });
  }
  const now = options.now ?? Date.now();
  out.conditional = true;
  for (const name of target.families ?? Object.keys(config.families)) {
    const family = getFamily(config, name);
    if (scope && !isTenantScoped(family)) {
      out.skippedFamilies.push(family.name);
      continue;
    }
    const hours = given ?? family.maxAgeHours ?? config.maintenance.hours;
    const condition: Condition = family.ageField
      ? { mode: 'field', field: family.ageField, maxAgeMs: hours * 3_600_000, now }
      : { mode: 'idle', seconds: hours * 3600 };
    if (condition.mode === 'idle') out.idleFamilies.push(family.name);
    out.selections.push(wholeFamily(family, scope, condition));
  }
}

/** Every key of a family (within the tenant scope, if any), optionally under a condition. */
export function wholeFamily(family: Family, scope: TenantScope | undefined, condition?: Condition): Selection {
  return {
    kind: 'pattern',
    family: family.name,
    label: family.name,
    pattern: scope ? tenantFamilyPattern(family, scope) : familyPattern(family),
    ...(condition ? { condition } : {}),
  };
}
