// Sizes and durations as people read them: one formatter per style, shared by every command.
import { describe, expect, it } from 'vitest';
import { formatBytes, humanBytes, humanDuration, shortDuration } from '../../src/core/stats/format.js';

describe('human-readable sizes and durations', () => {
  it('formatBytes: IEC units, one decimal', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
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
