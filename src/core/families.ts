/**
 * Key families: from a family and placeholder values to what to delete, either exact keys (every
 * placeholder bound, or `{tenant}` enumerated from the configured tenants) or one escaped MATCH
 * pattern. Also the reverse: which family a key belongs to.
 */
import type { Family } from '../config/load.js';
import { UsageError } from '../errors.js';
import { escapeGlob } from './glob.js';
import { exactKeys } from './key-builder.js';
import type { Selection } from './selection.js';

/** Placeholder values; an array means "each of these" (e.g. two spellings of a phone number). */
export type FamilyValues = Record<string, string | string[] | undefined>;

export type { Selection } from './selection.js';

export interface SelectOptions {
  /** Tenants `{tenant}` enumerates when it is not given (from config; includes `default`). */
  tenants: string[];
  /** Scan instead of enumerating tenants (finds tenants the config does not list). */
  scanTenants?: boolean;
}

export const TENANT_PLACEHOLDER = 'tenant';

/**
 * Resolve a family with values into selections. Unknown placeholders and empty values are usage
 * errors. When every placeholder is bound (`{tenant}` by the configured tenants if not given) the
 * result is one exact selection; otherwise one pattern per combination of the given values, with
 * open placeholders as wildcards.
 */
export function selectFamily(family: Family, values: FamilyValues, options: SelectOptions): Selection[] {
  const known = new Set(family.parsed.placeholders);
  const given: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (!known.has(name)) {
      throw new UsageError(`Family "${family.name}" has no placeholder "${name}"`, {
        hint: `its template is ${family.template}; placeholders: ${family.parsed.placeholders.join(', ') || 'none'}`,
      });
    }
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || list.some((v) => v === '')) {
      throw new UsageError(`Empty value for "${name}" in family "${family.name}"`, {
        hint: 'give a non-empty value, or leave the placeholder out to match any value',
      });
    }
    given[name] = [...new Set(list)];
  }
  const label = describe(family, values);

  const bound: Record<string, string[]> = { ...given };
  const tenantOpen = known.has(TENANT_PLACEHOLDER) && given[TENANT_PLACEHOLDER] === undefined;
  if (tenantOpen && !options.scanTenants && !family.scanTenants && options.tenants.length > 1) bound[TENANT_PLACEHOLDER] = options.tenants;
  const allBound = family.parsed.placeholders.every((name) => bound[name] !== undefined);
  if (allBound && !family.parsed.prefix) {
    return [{ kind: 'exact', family: family.name, label, keys: exactKeys(family, bound) }];
  }
  return combinations(given).map((combo) => ({
    kind: 'pattern' as const,
    family: family.name,
    label,
    pattern: buildPattern(family, combo),
  }));
}

function combinations(given: Record<string, string[]>): Array<Record<string, string>> {
  let out: Array<Record<string, string>> = [{}];
  for (const [name, list] of Object.entries(given)) {
    out = out.flatMap((combo) => list.map((value) => ({ ...combo, [name]: value })));
  }
  return out;
}

/** The MATCH pattern of a whole family (every placeholder a wildcard). */
export function familyPattern(family: Family): Buffer {
  return buildPattern(family, {});
}

/** Build a pattern: literals and given values escaped, open placeholders as `*`. */
export function buildPattern(family: Family, values: Record<string, string | undefined>): Buffer {
  const chunks: Buffer[] = [];
  for (const part of family.parsed.parts) {
    if (part.kind === 'literal') chunks.push(escapeGlob(part.text));
    else {
      const value = values[part.name];
      chunks.push(value === undefined ? Buffer.from('*') : escapeGlob(value));
    }
  }
  if (family.parsed.prefix) chunks.push(Buffer.from('*'));
  return collapseStars(Buffer.concat(chunks));
}

/** Compiled matchers that tell which family a key belongs to (first match in config order). */
export class FamilyMatcher {
  private readonly matchers: Array<{ name: string; regex: RegExp }>;

  constructor(families: Family[]) {
    this.matchers = families.map((family) => ({ name: family.name, regex: familyRegex(family) }));
  }

  /** The family of `key`, or undefined for keys no family describes. */
  familyOf(key: Buffer): string | undefined {
    const text = key.toString('latin1');
    for (const m of this.matchers) if (m.regex.test(text)) return m.name;
    return undefined;
  }
}

function familyRegex(family: Family): RegExp {
  let source = '^';
  for (const part of family.parsed.parts) {
    source += part.kind === 'literal' ? escapeRegex(Buffer.from(part.text, 'utf8').toString('latin1')) : '[\\s\\S]*';
  }
  source += family.parsed.prefix ? '[\\s\\S]*$' : '$';
  return new RegExp(source);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `**` matches what `*` matches; collapsing keeps patterns readable in summaries. */
function collapseStars(pattern: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const b = pattern[i]!;
    if (b === 0x5c && i + 1 < pattern.length) {
      out.push(b, pattern[++i]!);
      continue;
    }
    if (b === 0x2a && out[out.length - 1] === 0x2a && !(out.length >= 2 && out[out.length - 2] === 0x5c)) continue;
    out.push(b);
  }
  return Buffer.from(out);
}

function describe(family: Family, values: FamilyValues): string {
  return familyLabel(
    family,
    Object.keys(values).filter((name) => values[name] !== undefined),
  );
}

/** A selection's label: the family, and which placeholders were bound (never their values: they can be personal data). */
export function familyLabel(family: Family, bound: readonly string[]): string {
  return bound.length === 0 ? family.name : `${family.name}(${bound.join(',')})`;
}
