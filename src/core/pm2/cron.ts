/**
 * Cron expressions as PM2 uses them for `cron_restart`. PM2 7 checks the value with croner when
 * it starts an app (one bad expression and `pm2 start` starts nothing) and fires it with croner in
 * the daemon's local time zone. We call croner (the same major version, same call) so that what
 * `schedule` and `doctor` accept is what PM2 accepts: 5 or 6 fields (seconds first), no `@daily`,
 * no `#`, steps no larger than the field, day of month AND day of week, `?` = the value of that
 * field at the moment PM2 starts the app.
 */
import Cron from 'croner';
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

export type CronCheck = { valid: true; next: Date[]; note?: string } | { valid: false; error: string };

/** What `?` means under PM2: croner replaces it once, when the pattern is read. */
export const QUESTION_MARK_NOTE = '"?" takes the current value of its field when PM2 starts the app, so the runs move with every pm2 start';

/**
 * Validate `expression` as PM2 does and compute its next `count` runs after `from` in time zone
 * `tz`. Never throws for a bad expression: the caller reports it as a failed check.
 */
export function checkCron(expression: unknown, options: { tz: string; count?: number; from?: Date }): CronCheck {
  const count = options.count ?? 1;
  try {
    // Exactly PM2's check (lib/Common.js): the raw value, no options.
    Cron(expression as string);
  } catch (error) {
    return { valid: false, error: cronerMessage(error) };
  }
  let next: Date[];
  try {
    next = Cron(expression as string, { timezone: options.tz }).enumerate(count, options.from ?? new Date());
  } catch (error) {
    return { valid: false, error: `time zone "${options.tz}": ${cronerMessage(error)}` };
  }
  const note = typeof expression === 'string' && expression.includes('?') ? { note: QUESTION_MARK_NOTE } : {};
  return { valid: true, next, ...note };
}

/** The next run of `expression` after `from`, or `undefined` when it is invalid or never runs. */
export function nextCronRun(expression: string, tz: string, from: Date = new Date()): Date | undefined {
  const check = checkCron(expression, { tz, from, count: 1 });
  return check.valid ? check.next[0] : undefined;
}

/** croner's message without its `CronPattern: ` prefix (PM2 prints `Cron pattern error: ...`). */
function cronerMessage(error: unknown): string {
  return String((error as Error)?.message ?? error).replace(/^CronPattern:\s*/, '');
}

/** Render `date` as local wall-clock time in `tz`: `Sun 2024-01-07 03:00`. */
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

/** Look-back windows for `previousCronRun`, short first so a frequent pattern stays cheap. */
const LOOK_BACK_MS = [60_000, 3_600_000, 86_400_000, 8 * 86_400_000, 32 * 86_400_000, 367 * 86_400_000, 1462 * 86_400_000];

/**
 * The latest run of `expression` before `at`, in time zone `tz` (croner 4 has no backwards
 * search: we walk forwards through growing windows). Throws croner's error for a bad expression;
 * `undefined` when it has not run in the last four years.
 */
export function previousCronRun(expression: string, tz: string, at: Date): Date | undefined {
  const cron = Cron(expression, { timezone: tz });
  // One search first: a pattern that never fires (31 February) costs croner a long scan each time.
  const earliest = cron.next(new Date(at.getTime() - LOOK_BACK_MS[LOOK_BACK_MS.length - 1]!));
  if (!earliest || earliest.getTime() >= at.getTime()) return undefined;
  for (const window of LOOK_BACK_MS) {
    let last: Date | undefined;
    let next = cron.next(new Date(at.getTime() - window));
    while (next && next.getTime() < at.getTime()) {
      last = next;
      next = cron.next(next);
    }
    if (last) return last;
  }
  return undefined;
}
