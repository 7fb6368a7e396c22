/**
 * Cron expressions as PM2 uses them for `cron_restart`. PM2 fires them with croner in the PM2
 * daemon's local time zone; we compute and validate with cron-parser in an explicit zone so the
 * answer does not depend on where cachectl runs.
 */
import { CronExpressionParser } from 'cron-parser';
import { UsageError } from '../../errors.js';

/** `cron_restart: 0` (or `'0'`) is PM2's way of saying "no cron". */
export function cronDisabled(value: unknown): boolean {
  return value === undefined || value === null || value === 0 || value === '0' || value === '' || value === false;
}

/** True when `zone` is an IANA time zone this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** `zone` when this runtime knows it, else a `UsageError` with a hint. */
export function resolveZone(zone: string): string {
  if (!isValidTimeZone(zone))
    throw new UsageError(`unknown time zone "${zone}"`, { hint: 'use an IANA name such as UTC, Europe/Berlin or Africa/Johannesburg' });
  return zone;
}

export type CronCheck = { valid: true; next: Date[] } | { valid: false; error: string };

/**
 * Validate `expression` and compute its next `count` runs after `from` in time zone `tz`.
 * Never throws for a bad expression: the caller reports it as a failed check.
 */
export function checkCron(expression: string, options: { tz: string; count?: number; from?: Date }): CronCheck {
  const count = options.count ?? 1;
  if (typeof expression !== 'string' || expression.trim() === '') return { valid: false, error: 'empty cron expression' };
  try {
    const cron = CronExpressionParser.parse(expression.trim(), { tz: options.tz, currentDate: options.from ?? new Date() });
    const next: Date[] = [];
    for (let i = 0; i < count && cron.hasNext(); i++) next.push(cron.next().toDate());
    return { valid: true, next };
  } catch (error) {
    return { valid: false, error: (error as Error).message };
  }
}

/** The next run of `expression` after `from`, or `undefined` when it is invalid. */
export function nextCronRun(expression: string, tz: string, from: Date = new Date()): Date | undefined {
  const check = checkCron(expression, { tz, from, count: 1 });
  return check.valid ? check.next[0] : undefined;
}

/** Render `date` as local wall-clock time in `tz`: `2024-01-07 03:00 (Africa/Johannesburg)`. */
export function formatInZone(date: Date, tz: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
    hourCycle: 'h23',
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('weekday')} ${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}
