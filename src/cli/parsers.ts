/**
 * Option parsers for commander: each returns the typed value or throws `InvalidArgumentError`,
 * which commander reports as a usage error (exit code 2).
 */
import { InvalidArgumentError } from 'commander';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A whole number ≥ `min`. */
export function integerParser(min = 1, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number, got "${value}".`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got ${n}.`);
    return n;
  };
}

/** A positive number of hours ("48", "1.5"); rejects negatives, zero, NaN. */
export function parseHours(value: string): number {
  const trimmed = value.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed) || Number(trimmed) <= 0) {
    throw new InvalidArgumentError(`expected a positive number of hours, got "${value}".`);
  }
  return Number(trimmed);
}

/** A duration with a unit ("500ms", "5s", "24h", "7d") or a plain number in `defaultUnit`; in ms. */
export function durationParser(defaultUnit: keyof typeof UNITS_MS): (value: string) => number {
  return (value) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(value.trim());
    if (!match) throw new InvalidArgumentError(`expected a duration such as 500ms, 5s, 24h or 7d, got "${value}".`);
    const ms = Number(match[1]) * UNITS_MS[match[2] ?? defaultUnit]!;
    if (!(ms > 0)) throw new InvalidArgumentError(`expected a duration above zero, got "${value}".`);
    return Math.round(ms);
  };
}
