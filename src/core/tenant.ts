/**
 * Tenant restriction (`--tenant T`, `CacheManager({ tenant })`): every command works only on keys
 * under `tenant:T:`. Families whose template starts with `tenant:{tenant}:` take part with the
 * tenant bound; other families are left out; raw patterns must stay inside the namespace. The
 * keyspace engine checks the prefix again on every key it would delete (`onlyPrefix`).
 */
import type { CachectlConfig, Family } from '../config/load.js';
import { UsageError } from '../errors.js';
import { displayKey } from './display.js';
import { TENANT_PLACEHOLDER, buildPattern, type FamilyValues } from './families.js';
import { escapeGlob, literalPrefix } from './glob.js';

/** A validated tenant restriction. */
export interface TenantScope {
  id: string;
  /** `tenant:<id>:` as bytes: every key the run may touch starts with it. */
  prefix: Buffer;
}

/** What a tenant-restricted run reports (in `--json` and the summary). */
export interface TenantReport {
  id: string;
  /** Families left out because their keys are not under `tenant:{tenant}:`. */
  skippedFamilies: string[];
}

/** Validate a tenant id and build its scope; a usage error for an empty id or one containing ":". */
export function tenantScope(id: string): TenantScope {
  if (id === '') throw new UsageError('Empty tenant id', { hint: 'give the tenant namespace, e.g. --tenant acme (keys tenant:acme:…)' });
  if (id.includes(':')) {
    throw new UsageError(`Invalid tenant id "${id}": it contains ":"`, {
      hint: 'a tenant id is one namespace segment: --tenant acme restricts to keys starting with tenant:acme:',
    });
  }
  return { id, prefix: Buffer.from(`tenant:${id}:`, 'utf8') };
}

/** True when every key of the family lives under `tenant:{tenant}:` (its template starts so). */
export function isTenantScoped(family: Family): boolean {
  const [first, second, third] = family.parsed.parts;
  return (
    first?.kind === 'literal' &&
    first.text === 'tenant:' &&
    second?.kind === 'placeholder' &&
    second.name === TENANT_PLACEHOLDER &&
    third?.kind === 'literal' &&
    third.text.startsWith(':')
  );
}

/** Split family names into the tenant-scoped ones and the ones a restricted run leaves out. */
export function splitFamilies(config: CachectlConfig, names: string[]): { scoped: string[]; skipped: string[] } {
  const scoped: string[] = [];
  const skipped: string[] = [];
  for (const name of names) (isTenantScoped(config.families[name]!) ? scoped : skipped).push(name);
  return { scoped, skipped };
}

/**
 * Bind `{tenant}` of `family` to the scope's id. A family outside the tenant namespace, or a
 * different `--tenant` placeholder value, is a usage error.
 */
export function bindTenant(family: Family, values: FamilyValues, scope: TenantScope): FamilyValues {
  if (!isTenantScoped(family)) {
    throw new UsageError(`Family "${family.name}" is not tenant-scoped (${family.template}), so --tenant cannot restrict it`, {
      hint: `run it without --tenant, or pick a family whose template starts with tenant:{tenant}:`,
    });
  }
  const given = values[TENANT_PLACEHOLDER];
  const list = given === undefined ? [] : Array.isArray(given) ? given : [given];
  if (list.some((v) => v !== scope.id)) {
    throw new UsageError(`The tenant placeholder value differs from --tenant ${scope.id}`, { hint: 'give the tenant once, with --tenant' });
  }
  return { ...values, [TENANT_PLACEHOLDER]: scope.id };
}

/** The family's MATCH pattern inside the tenant (other placeholders open). */
export function tenantFamilyPattern(family: Family, scope: TenantScope): Buffer {
  return buildPattern(family, { [TENANT_PLACEHOLDER]: scope.id });
}

/** Every key of the tenant: `tenant:<id>:*`, the id escaped. */
export function tenantPattern(scope: TenantScope): Buffer {
  return Buffer.concat([escapeGlob(scope.prefix), Buffer.from('*')]);
}

/** True when `key` is inside the tenant. */
export function inTenant(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.subarray(0, prefix.length).equals(prefix);
}

/**
 * Refuse a raw pattern that could match keys outside the tenant: its literal prefix (the bytes
 * before the first unescaped wildcard) must start with `tenant:<id>:`.
 */
export function assertPatternInTenant(pattern: Buffer, scope: TenantScope): void {
  if (inTenant(literalPrefix(pattern), scope.prefix)) return;
  throw new UsageError(`Pattern ${displayKey(pattern)} reaches outside tenant ${scope.id}`, {
    hint: `with --tenant ${scope.id} a pattern must start with ${displayKey(escapeGlob(scope.prefix))} (glob characters of the id escaped), e.g. '${escapeGlob(scope.prefix).toString('utf8')}mapping:*'`,
  });
}

/**
 * The MATCH of a tenant-restricted read or restore: the given glob when it stays inside the tenant
 * (else a usage error), every key of the tenant when none is given.
 */
export function tenantMatch(match: string | Buffer | undefined, scope: TenantScope): Buffer {
  if (match === undefined) return tenantPattern(scope);
  const pattern = Buffer.isBuffer(match) ? match : Buffer.from(match, 'utf8');
  assertPatternInTenant(pattern, scope);
  return pattern;
}
