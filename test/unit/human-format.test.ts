// Sizes and durations as people read them: one formatter per style, shared by every command.
import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, humanBytes, humanDuration, shortDuration } from '../../src/core/stats/format.js';

describe('human-readable sizes and durations', () => {
  it('formatBytes: IEC units, one decimal', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });

  it('formatCount: what toLocaleString("en-US") prints, for counts, rates and the odd fraction', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(-1000)).toBe('-1,000');
    // Random integers over every magnitude, negative ones, fractions of up to three decimals.
    let seed = 20261203;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const values = [0, -0, 1, 10, 100, 1000, 1e6, 999999, 1000000.5, 0.0004, -0.0004, 12.3456, 2.0006, 2 ** 53, 1e20];
    for (let i = 0; i < 2000; i++) {
      const magnitude = 10 ** Math.floor(next() * 16);
      const v = next() * magnitude;
      values.push(Math.floor(v), -Math.floor(v), Math.floor(v % 1e6) + Math.floor(next() * 1000) / 1000);
    }
    for (const v of values) expect(formatCount(v), String(v)).toBe(v.toLocaleString('en-US'));
  });

  it('humanBytes: as INFO prints used_memory_human', () => {
    expect(humanBytes(512)).toBe('512B');
    expect(humanBytes(1572864)).toBe('1.50M');
  });

  it('shortDuration: the largest whole unit', () => {
    expect(shortDuration(0)).toBe('0s');
    expect(shortDuration(59.9)).toBe('59s');
    expect(shortDuration(60)).toBe('1m');
    expect(shortDuration(3 * 3600 + 59 * 60)).toBe('3h');
    expect(shortDuration(2 * 86400 + 5)).toBe('2d');
    expect(shortDuration(-3)).toBe('0s');
  });

  it('humanDuration: two units from an hour on', () => {
    expect(humanDuration(45)).toBe('45s');
    expect(humanDuration(5 * 3600 + 3 * 60)).toBe('5h 3m');
    expect(humanDuration(3 * 86400 + 4 * 3600)).toBe('3d 4h');
  });
});
