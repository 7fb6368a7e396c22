// One grammar for flags: durations with units, bare numbers only where the flag names the unit,
// BullMQ's state names with the earlier spellings as input aliases.
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseGrace } from '../../src/cli/commands/queues/shared.js';
import { durationOption, formatDuration, parseDays, parseDuration, parseHours } from '../../src/cli/parsers.js';
import { CLEANABLE_STATES, EXPORTABLE_STATES, parseState } from '../../src/core/queues/bull.js';

describe('durations', () => {
  it('take every unit, in milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('1w')).toBe(604_800_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration(' 5S ')).toBe(5000);
  });

  it('refuse a bare number unless the flag names its unit, and say how to write it', () => {
    expect(() => parseDuration('5')).toThrow(InvalidArgumentError);
    expect(() => parseDuration('5')).toThrow(/"5" has no unit: write 5s, 5ms/);
    expect(parseDuration('5', { bare: 'h' })).toBe(5 * 3_600_000);
  });

  it('refuse zero (unless it means none), negatives, junk and unknown units', () => {
    expect(() => parseDuration('0s')).toThrow(/above zero/);
    expect(() => parseDuration('0')).toThrow(/above zero/);
    expect(parseDuration('0', { allowZero: true })).toBe(0);
    for (const bad of ['-5s', '5parsecs', 's', '', '1e3ms', '5 s 3']) expect(() => parseDuration(bad), bad).toThrow(InvalidArgumentError);
  });

  it('--hours and --keep-days: bare numbers in the unit of the name, units accepted too', () => {
    expect(parseHours('48')).toBe(48);
    expect(parseHours('48h')).toBe(48);
    expect(parseHours('2d')).toBe(48);
    expect(parseHours('90m')).toBe(1.5);
    expect(parseHours('0.0001')).toBe(0.0001);
    expect(parseDays('14')).toBe(14);
    expect(parseDays('2w')).toBe(14);
    expect(parseDays('12h')).toBe(0.5);
    for (const bad of ['0', '0h', '-1', 'abc', '']) expect(() => parseHours(bad), bad).toThrow(/expected a positive number of hours, got/);
  });

  it('--grace: units, 0 for none, and a bare number still in hours but marked', () => {
    expect(parseGrace('24h')).toEqual({ ms: 86_400_000, bare: false });
    expect(parseGrace('30m')).toEqual({ ms: 1_800_000, bare: false });
    expect(parseGrace('0')).toEqual({ ms: 0, bare: false });
    expect(parseGrace('24')).toEqual({ ms: 86_400_000, bare: true });
    expect(() => parseGrace('5parsecs')).toThrow(InvalidArgumentError);
  });

  it('defaults are shown with a unit', () => {
    expect(formatDuration(1200)).toBe('1200ms');
    expect(formatDuration(5000)).toBe('5s');
    expect(formatDuration(60_000)).toBe('1m');
    expect(formatDuration(1_200_000)).toBe('20m');
    expect(formatDuration(86_400_000)).toBe('1d');
    const option = durationOption('--stop-timeout <duration>', 'x', 1_200_000);
    expect(option.defaultValue).toBe(1_200_000);
    expect(option.defaultValueDescription).toBe('20m');
  });
});

describe('queue states', () => {
  it("BullMQ's names are accepted as they are", () => {
    for (const state of EXPORTABLE_STATES) expect(parseState(state, EXPORTABLE_STATES)).toBe(state);
  });

  it('the earlier spellings are aliases', () => {
    expect(parseState('waiting', CLEANABLE_STATES)).toBe('wait');
    expect(parseState('prio', CLEANABLE_STATES)).toBe('prioritized');
    expect(parseState('PRIO', CLEANABLE_STATES)).toBe('prioritized');
    expect(parseState('children', EXPORTABLE_STATES)).toBe('waiting-children');
    expect(parseState('waitingChildren', EXPORTABLE_STATES)).toBe('waiting-children');
  });

  it('an unknown or not allowed state is refused with the list', () => {
    expect(() => parseState('active', CLEANABLE_STATES)).toThrow(/never removed/);
    expect(() => parseState('waiting-children', CLEANABLE_STATES)).toThrow(/Unknown state/);
    expect(() => parseState('nope', EXPORTABLE_STATES)).toThrow(/Unknown state "nope"/);
  });
});
