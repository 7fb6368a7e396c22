/**
 * `--<placeholder> value` pairs after a family name (`invalidate convMapping --conversationId
 * abc`). Commander leaves options it does not know in the operands; this turns them into family
 * values, checked against the family's placeholders before anything is touched.
 */
import type { Family } from '../config/load.js';
import type { FamilyValues } from '../core/families.js';
import { UsageError } from '../errors.js';

/** Parse `--name value` / `--name=value` pairs (repeatable) for `family`. Kebab-case names are accepted. */
export function parsePlaceholderArgs(tokens: string[], family: Family): FamilyValues {
  const placeholders = family.parsed.placeholders;
  const valid = placeholders.length > 0 ? placeholders.map((p) => `--${p}`).join(', ') : 'none (the family has no placeholders)';
  const values: Record<string, string[]> = {};
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!token.startsWith('--') || token === '--') {
      throw new UsageError(`Unexpected argument "${token}" after family ${family.name}`, {
        hint: `give values as --<placeholder> value; placeholders of ${family.name}: ${valid}`,
      });
    }
    const eq = token.indexOf('=');
    const raw = eq === -1 ? token.slice(2) : token.slice(2, eq);
    const name = resolveName(raw, placeholders);
    if (name === undefined) {
      throw new UsageError(`Family "${family.name}" has no placeholder "${raw}"`, {
        hint: `its template is ${family.template}; valid: ${valid}`,
      });
    }
    let value: string | undefined;
    if (eq !== -1) value = token.slice(eq + 1);
    else {
      value = tokens[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new UsageError(`--${raw} needs a value`, { hint: `write --${raw} <value> (or --${raw}=<value> for a value starting with "--")` });
      }
      i++;
    }
    if (value === '') {
      throw new UsageError(`Empty value for --${raw}`, { hint: 'give a non-empty value, or leave the placeholder out to match any value' });
    }
    (values[name] ??= []).push(value);
  }
  const out: FamilyValues = {};
  for (const [name, list] of Object.entries(values)) out[name] = list.length === 1 ? list[0] : list;
  return out;
}

function resolveName(raw: string, placeholders: string[]): string | undefined {
  if (placeholders.includes(raw)) return raw;
  const camel = raw.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  if (placeholders.includes(camel)) return camel;
  return placeholders.find((p) => p.toLowerCase() === raw.toLowerCase().replace(/-/g, ''));
}
