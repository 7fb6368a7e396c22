// Measuring and fitting text in terminal cells: wide characters, emoji and colour codes; tables
// that give way column by column; the progress line; output that is not a terminal stays as it was.
import { Chalk } from 'chalk';
import Table from 'cli-table3';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTableRenderer, Output, type CliStreams } from '../../src/cli/output.js';
import { clock, progressLine } from '../../src/cli/progress.js';
import { fitTable, planColumns, tableWidth } from '../../src/cli/table-fit.js';
import { cellWidth, truncateEnd, truncateMiddle, wrapCells } from '../../src/cli/width.js';

const colour = new Chalk({ level: 1 });

function capture(isTTY: boolean, columns?: number) {
  const stream = {
    text: '',
    isTTY,
    columns,
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream;
}

function output(isTTY: boolean, options: { columns?: number; streamColumns?: number; fit?: boolean } = {}) {
  const stdout = capture(isTTY, options.streamColumns);
  const stderr = capture(isTTY, options.streamColumns);
  const streams = { stdout, stderr, stdin: process.stdin } as unknown as CliStreams;
  const out = new Output(streams, { json: false, quiet: false, color: false, fit: options.fit, columns: options.columns });
  return { out, stdout, stderr };
}

const widestLine = (text: string) => Math.max(...text.split('\n').map(cellWidth));

describe('cellWidth', () => {
  it('counts wide East Asian characters and emoji as two cells, colour codes and combining marks as none', () => {
    expect(cellWidth('queue')).toBe(5);
    expect(cellWidth('通知キュー')).toBe(10);
    expect(cellWidth('한국어')).toBe(6);
    expect(cellWidth('😀')).toBe(2);
    expect(cellWidth('👨‍👩‍👧')).toBe(2);
    expect(cellWidth('e\u0301')).toBe(1);
    expect(cellWidth(colour.red('failed'))).toBe(6);
    expect(cellWidth('ﬁ©')).toBe(2);
  });
});

describe('truncating', () => {
  it('shortens in the middle keeping both ends (bull:ema…:wait)', () => {
    expect(truncateMiddle('bull:emails:wait', 14)).toBe('bull:em…s:wait');
    expect(cellWidth(truncateMiddle('bull:emails:wait', 14))).toBe(14);
    expect(truncateMiddle('short', 10)).toBe('short');
    expect(truncateEnd('a long line of text', 8)).toBe('a long …');
  });

  it('never splits a wide character and never exceeds the width', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'é', '通', '😀', ':', 'キ', 'e\u0301'), { maxLength: 40 }), fc.integer({ min: 1, max: 30 }), (chars, max) => {
        const text = chars.join('');
        expect(cellWidth(truncateMiddle(text, max))).toBeLessThanOrEqual(max);
        expect(cellWidth(truncateEnd(text, max))).toBeLessThanOrEqual(max);
        for (const line of wrapCells(`${text} ${text}`, Math.max(max, 2), 4)) expect(cellWidth(line)).toBeLessThanOrEqual(Math.max(max, 2));
      }),
    );
  });

  it('wraps at spaces with a hanging indent, keeping leading spaces', () => {
    expect(wrapCells('  PASS  one two three four', 20, 8)).toEqual(['  PASS  one two', '        three four']);
  });
});

describe('planColumns', () => {
  it('shortens names first, then leaves out columns in the given order', () => {
    const natural = [40, 6, 6, 6, 6];
    const minimum = [5, 6, 6, 6, 6];
    expect(planColumns(natural, minimum, 200, { shrink: [0] })).toEqual({ shown: [0, 1, 2, 3, 4], widths: natural });
    const shrunk = planColumns(natural, minimum, 66, { shrink: [0], drop: [3, 1] });
    expect(shrunk.shown).toEqual([0, 1, 2, 3, 4]);
    expect(tableWidth(shrunk.widths)).toBe(66);
    const dropped = planColumns(natural, minimum, 55, { shrink: [0], drop: [3, 1] });
    expect(dropped.shown).toEqual([0, 1, 2, 4]);
    expect(tableWidth(dropped.widths)).toBeLessThanOrEqual(55);
    expect(dropped.widths[0]).toBeGreaterThanOrEqual(24);
  });

  it('fitTable names the columns it left out and shortens cells of shrinkable columns in the middle', () => {
    const rows = [['bull:a-very-long-queue-name-that-goes-on:and-on', '1', '2', '3']];
    const fitted = fitTable(['queue', 'wait', 'paused', 'events'], rows, ['left', 'right', 'right', 'right'], 48, { shrink: [0], drop: [3, 2] });
    expect(fitted.hidden).toEqual(['events']);
    expect(fitted.rows[0]![0]).toMatch(/^bull:a-very-.*….*on:and-on$/);
  });
});

describe('Output.table', () => {
  beforeAll(loadTableRenderer); // as the CLI does before a command runs

  const head = ['queue', 'wait', 'active', 'delayed', 'completed', 'failed', 'events'];
  const rows = [
    ['bull:notifications-outbound-email-delivery', 1, 2, 3, 4, 5, 6],
    ['bull:通知キュー', 10, 20, 30, 40, 50, 60],
  ];
  const fit = { shrink: [0], drop: [6, 4, 3] };

  it('is unchanged when stdout is not a terminal (the table cli-table3 draws)', () => {
    const { out, stdout } = output(false, { columns: 40, streamColumns: 40 });
    out.table(head, rows, { fit });
    const plain = new Table({ head, style: { head: [], border: [] }, colAligns: head.map(() => 'left' as const) });
    for (const row of rows) plain.push(row.map(String));
    expect(stdout.text).toBe(`${plain.toString()}\n`);
  });

  it('fits the terminal width, and COLUMNS wins over what the terminal says', () => {
    const tty = output(true, { streamColumns: 50 });
    tty.out.table(head, rows, { fit });
    expect(widestLine(tty.stdout.text)).toBeLessThanOrEqual(50);
    expect(tty.stdout.text.replace(/\n(?!┌)/g, ' ')).toMatch(/\(not shown: [^)]*events; -o wide shows every column\)/);
    const env = output(true, { streamColumns: 200, columns: 45 });
    env.out.table(head, rows, { fit });
    expect(widestLine(env.stdout.text)).toBeLessThanOrEqual(45);
  });

  it('-o wide (fit: false) on a terminal draws the full table', () => {
    const { out, stdout } = output(true, { streamColumns: 40, fit: false });
    out.table(head, rows, { fit });
    expect(stdout.text).toContain('bull:notifications-outbound-email-delivery');
    expect(widestLine(stdout.text)).toBeGreaterThan(40);
  });
});

describe('the progress line', () => {
  const event = {
    target: 'redis://cache-primary.internal.example:6379 db 0',
    scanned: 250_000,
    total: 1_000_000,
    matched: 0,
    deleted: 200_000,
    elapsedMs: 5000,
  };

  it('shows rate and ETA from the scan so far', () => {
    const line = progressLine(event, 'clear-all', false);
    expect(line).toBe(`clear-all ${event.target}: scanned 250,000/1,000,000 (25%) · deleted 200,000 · 40,000 keys/s · ETA 15s`);
    expect(clock(725)).toBe('12m 05s');
    expect(clock(12_000)).toBe('3h 20m');
  });

  it('fits any width, shortening the target before dropping details', () => {
    for (const width of [100, 79, 60, 40, 25]) expect(cellWidth(progressLine(event, 'clear-all', false, width))).toBeLessThanOrEqual(width);
    expect(progressLine(event, 'clear-all', false, 100)).toMatch(/^clear-all redis:.*….*db 0: scanned .* · ETA 15s$/);
    expect(progressLine(event, 'clear-all', false, 40)).toContain('ETA 15s');
  });

  it('Output.progress never writes a line as wide as the terminal', () => {
    const { out, stderr } = output(true, { streamColumns: 50 });
    out.progress('x'.repeat(120));
    expect(cellWidth(stderr.text.replace('\r\x1b[2K', ''))).toBe(49);
  });
});
