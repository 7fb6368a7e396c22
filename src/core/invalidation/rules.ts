/**
 * Invalidation rules: from an event type and its fields to the family selections to delete.
 * A missing or empty field is an error naming the rule and the field, never a wildcard: an event
 * that lacks `deviceId` must not invalidate every device.
 */
import type { CachectlConfig, Family } from '../../config/load.js';
import { DEFAULT_INVALIDATION_RULES } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { familyLabel, selectFamily, TENANT_PLACEHOLDER, type FamilyValues, type Selection } from '../families.js';
import { exactKeys } from '../key-builder.js';

/** A rule ready to apply: families resolved, each with the placeholder → field pairs it uses. */
export interface CompiledRule {
  /** 1-based position in the configured (or default) list, for messages. */
  number: number;
  event: string;
  targets: RuleTarget[];
}

/** One family of a rule, with what resolving an event for it needs worked out once. */
export interface RuleTarget {
  family: Family;
  map: Array<[placeholder: string, field: string]>;
  /**
   * Set when every event resolves to exact keys of the family (each placeholder mapped, or
   * `{tenant}` enumerated from the configured tenants; no trailing `*`): the selection's label,
   * and whether `{tenant}` is enumerated.
   */
  exact?: { label: string; tenants: boolean };
}

export type RuleBook = Map<string, CompiledRule[]>;

/**
 * Compile `config.invalidation.rules` (validated at load), or the default rules when the config
 * has none; a default rule whose family or placeholder the config removed is left out.
 */
export function compileRules(config: CachectlConfig): RuleBook {
  let book = compiled.get(config);
  if (!book) {
    book = compile(config);
    compiled.set(config, book);
  }
  return book;
}

/** Compiled once per config object (publishers call this per event). */
const compiled = new WeakMap<CachectlConfig, RuleBook>();

function compile(config: CachectlConfig): RuleBook {
  const configured = config.invalidation.rules;
  const book: RuleBook = new Map();
  (configured ?? DEFAULT_INVALIDATION_RULES).forEach((rule, index) => {
    const names = Array.isArray(rule.family) ? rule.family : [rule.family];
    const targets: CompiledRule['targets'] = [];
    for (const name of names) {
      const family = config.families[name];
      const map = Object.entries(rule.map).filter(([placeholder]) => family?.parsed.placeholders.includes(placeholder));
      if (!family || (family.parsed.placeholders.length > 0 && map.length === 0)) {
        if (configured) throw new UsageError(`Invalidation rule ${index + 1} (${rule.event}) cannot use family "${name}"`);
        continue; // a default rule for a family this config removed
      }
      targets.push({ family, map, ...exactShape(config, family, map) });
    }
    if (targets.length === 0) return;
    const list = book.get(rule.event) ?? [];
    list.push({ number: index + 1, event: rule.event, targets });
    book.set(rule.event, list);
  });
  return book;
}

/**
 * The selections an event resolves to (empty when no rule matches). Throws `UsageError` on a missing
 * field. The same selections as planning each rule's families with the event's values; a family
 * whose keys are always exact is built straight from its compiled template.
 */
export function resolveEvent(rules: CompiledRule[], data: Record<string, unknown>, config: CachectlConfig): Selection[] {
  const out: Selection[] = [];
  for (const rule of rules) {
    for (const target of rule.targets) {
      const { family, map, exact } = target;
      if (exact) {
        const bound: Record<string, readonly string[]> = {};
        for (const [placeholder, field] of map) {
          const value = fieldValues(rule, family, placeholder, field, data);
          bound[placeholder] = typeof value === 'string' ? [value] : [...new Set(value)];
        }
        if (exact.tenants) bound[TENANT_PLACEHOLDER] = config.tenants;
        out.push({ kind: 'exact', family: family.name, label: exact.label, keys: exactKeys(family, bound) });
        continue;
      }
      const values: FamilyValues = {};
      for (const [placeholder, field] of map) values[placeholder] = fieldValues(rule, family, placeholder, field, data);
      out.push(...selectFamily(family, values, { tenants: config.tenants }));
    }
  }
  return out;
}

/** When a rule's family always resolves to exact keys (see `selectFamily`), what building them needs. */
function exactShape(config: CachectlConfig, family: Family, map: RuleTarget['map']): Pick<RuleTarget, 'exact'> {
  const mapped = map.map(([placeholder]) => placeholder);
  const { placeholders, prefix } = family.parsed;
  const tenants = placeholders.includes(TENANT_PLACEHOLDER) && !mapped.includes(TENANT_PLACEHOLDER) && !family.scanTenants && config.tenants.length > 1;
  const bound = placeholders.every((name) => mapped.includes(name) || (name === TENANT_PLACEHOLDER && tenants));
  return prefix || !bound ? {} : { exact: { label: familyLabel(family, mapped), tenants } };
}

/**
 * Check values handed to `invalidate(family, values)`: a placeholder present with an undefined or
 * null value is a bug in the caller (it would silently widen to a wildcard), and a call that binds
 * nothing would invalidate the whole family.
 */
export function checkDirectValues(family: Family, values: FamilyValues): FamilyValues {
  if (typeof values !== 'object' || values === null) {
    throw new UsageError(`invalidate("${family.name}", values): values must be an object`, { hint: `placeholders: ${family.parsed.placeholders.join(', ')}` });
  }
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null) {
      throw new UsageError(`invalidate("${family.name}"): the value of "${name}" is ${String(value)}`, {
        hint: 'pass the value, or leave the placeholder out to mean "any value"',
      });
    }
  }
  const bound = family.parsed.placeholders.filter((p) => values[p] !== undefined);
  if (family.parsed.placeholders.length > 0 && bound.length === 0) {
    throw new UsageError(`invalidate("${family.name}") binds no placeholder: that would invalidate the whole family`, {
      hint: `give at least one of ${family.parsed.placeholders.join(', ')} (clear a whole family with "cachectl invalidate")`,
    });
  }
  return values;
}

function fieldValues(rule: CompiledRule, family: Family, placeholder: string, field: string, data: Record<string, unknown>): string | string[] {
  const where = `rule ${rule.number} (${rule.event} → ${family.name}.${placeholder})`;
  const raw = lookup(data, field);
  if (raw === undefined || raw === null) {
    throw new UsageError(`Event ${rule.event} lacks field "${field}" needed by ${where}`, {
      hint: 'publish the event with that field; nothing was invalidated for this event',
    });
  }
  const list = Array.isArray(raw) ? raw : [raw];
  const values = list.map((value) => scalar(value, field, where));
  if (values.length === 0 || values.some((v) => v === '')) {
    throw new UsageError(`Event ${rule.event} has an empty "${field}" (${where})`, {
      hint: 'an empty value would match nothing or everything; fix the publisher',
    });
  }
  return values.length === 1 ? values[0]! : values;
}

function scalar(value: unknown, field: string, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  throw new UsageError(`Field "${field}" (${where}) must be a string or number, got ${value === null ? 'null' : typeof value}`);
}

/** A top-level field, else a dotted path (`story.id`). */
function lookup(data: Record<string, unknown>, field: string): unknown {
  if (Object.prototype.hasOwnProperty.call(data, field)) return data[field];
  if (!field.includes('.')) return undefined;
  let node: unknown = data;
  for (const part of field.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
