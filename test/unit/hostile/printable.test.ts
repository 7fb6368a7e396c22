// printable / guardControls / jsonSafe: data cannot carry raw control characters to a terminal.
import { describe, expect, it } from 'vitest';
import { guardControls, jsonSafe, printable } from '../../../src/printable.js';

describe('printable', () => {
  it('escapes C0, DEL, C1, bidi controls and newlines; keeps other unicode', () => {
    expect(printable('a\x1b[2Jb\x07\n\t\x7f\x85\u202eé日本')).toBe('a\\e[2Jb\\a\\n\\t\\x7f\\x85\\u{202e}é日本');
  });
  it('escapes lone surrogates and invalid UTF-8 bytes', () => {
    expect(printable('x\ud800y')).toBe('x\\u{d800}y');
    expect(printable(Buffer.from([0x61, 0xff, 0xc3, 0xa9, 0xe2, 0x28, 0x1b]))).toBe('a\\xffé\\xe2(\\e');
    expect(printable(Buffer.from('\ufffd ok', 'utf8'))).toBe('\ufffd ok');
  });
});

describe('guardControls', () => {
  it('escapes control characters except newline and tab; colour codes kept only when colours are on', () => {
    expect(guardControls('\x1b[1mbold\x1b[22m\x1b]0;t\x07\n\t', true)).toBe('\x1b[1mbold\x1b[22m\\u001b]0;t\\u0007\n\t');
    expect(guardControls('\x1b[1mb', false)).toBe('\\u001b[1mb');
  });
  it('keeps a JSON line valid and exact', () => {
    const line = JSON.stringify({ v: 'a\x85\x7f\u202eb' });
    const guarded = jsonSafe(guardControls(line, false));
    expect(guarded).not.toMatch(/[\x7f-\x9f\u202e]/);
    expect((JSON.parse(guarded) as { v: string }).v).toBe('a\x85\x7f\u202eb');
  });
});

describe('Prometheus label values', () => {
  it('escape control characters other than newline as the text \\xNN', async () => {
    const { escapeLabelValue } = await import('../../../src/core/metrics/exposition.js');
    expect(escapeLabelValue('q\x1b[2J\x07"\\\n')).toBe('q\\\\x1b[2J\\\\x07\\"\\\\\\n');
    expect(escapeLabelValue('plain')).toBe('plain');
  });
});
