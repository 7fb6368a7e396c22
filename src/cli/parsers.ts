/**
 * Option parsers for commander: each returns the typed value or throws `InvalidArgumentError`,
 * which commander reports as a usage error (exit code 2).
 *
 * One grammar for durations: a number with a unit (`500ms`, `90s`, `15m`, `24h`, `7d`, `2w`). A bare
 * number is accepted only where the flag's name says the unit (`--hours 48`, `--keep-days 14`);
 * elsewhere it is refused with a hint, since `--connect-timeout 5` could mean 5 ms or 5 s.
 */
import { InvalidArgumentError, Option } from 'commander';

export const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS_MS;

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/i;
const EXAMPLES = 'such as 500ms, 5s, 24h or 7d';

/** A whole number ≥ `min`. */
export function integerParser(min = 1, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number, got "${value}".`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got ${n}.`);
    return n;
  };
}

/** A duration split into its number and unit (`undefined` for a bare number); throws on anything else. */
export function splitDuration(value: string): { amount: number; unit: DurationUnit | undefined } {
  const match = DURATION.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`expected a duration ${EXAMPLES}, got "${value}".`);
  return { amount: Number(match[1]), unit: match[2]?.toLowerCase() as DurationUnit | undefined };
}

export interface DurationOptions {
  /** Unit of a bare number; without it a bare number is refused (except `0` with `allowZero`). */
  bare?: DurationUnit;
  /** `0` is a meaningful value ("none"). */
  allowZero?: boolean;
}

/** Parse a duration to milliseconds (see the module comment for the grammar). */
export function parseDuration(value: string, options: DurationOptions = {}): number {
  const { amount, unit } = splitDuration(value);
  if (amount === 0 && options.allowZero) return 0;
  if (amount === 0) throw new InvalidArgumentError(`expected a duration above zero, got "${value}".`);
  if (unit === undefined && options.bare === undefined) {
    throw new InvalidArgumentError(`"${value}" has no unit: write ${amount}s, ${amount}ms or ${amount}m (durations take a unit: ms, s, m, h, d, w).`);
  }
  const ms = amount * DURATION_UNITS_MS[unit ?? options.bare!];
  if (!(ms > 0)) throw new InvalidArgumentError(`expected a duration above zero, got "${value}".`);
  return Math.round(ms);
}

/** A commander parser for a duration flag, in milliseconds. */
export function durationParser(options: DurationOptions = {}): (value: string) => number {
  return (value) => parseDuration(value, options);
}

/** A positive amount of `unit` (`--hours 48`, `--hours 2d`, `--keep-days 14`): a bare number is in that unit. */
export function amountParser(unit: 'h' | 'd'): (value: string) => number {
  const refuse = (value: string) =>
    new InvalidArgumentError(
      `expected a positive number of ${unit === 'h' ? 'hours' : 'days'}, got "${value}" (e.g. ${unit === 'h' ? '48, 48h, 2d' : '14, 14d, 2w'}).`,
    );
  return (value) => {
    let split: ReturnType<typeof splitDuration>;
    try {
      split = splitDuration(value);
    } catch {
      throw refuse(value);
    }
    // Not rounded: "--hours 0.0001" is a real (test) threshold.
    const amount = (split.amount * DURATION_UNITS_MS[split.unit ?? unit]) / DURATION_UNITS_MS[unit];
    if (!(amount > 0)) throw refuse(value);
    return amount;
  };
}

/** A positive number of hours ("48", "1.5", "48h", "2d"); rejects negatives, zero, NaN. */
export const parseHours = amountParser('h');

/** A positive number of days ("14", "14d", "2w"). */
export const parseDays = amountParser('d');

/** Show a millisecond value the way the flags take it: 1200 → "1.2s", 600000 → "10m". */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS_MS[unit];
    if (ms >= size && Number.isInteger(ms / size)) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A `<duration>` option in milliseconds, its default shown with a unit in help (`(default: 20m)`). */
export function durationOption(flags: string, description: string, defaultMs?: number, options: DurationOptions = {}): Option {
  const option = new Option(flags, description).argParser(durationParser(options));
  return defaultMs === undefined ? option : option.default(defaultMs, formatDuration(defaultMs));
}
