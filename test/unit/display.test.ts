import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayKey, parseDisplayedKey } from '../../src/core/display.js';

describe('displayKey', () => {
  it('prints plain printable keys as they are', () => {
    expect(displayKey('user:state:27821234567')).toBe('user:state:27821234567');
  });

  it('quotes and escapes control bytes, NUL and invalid UTF-8 like redis-cli', () => {
    expect(displayKey(Buffer.from([0x61, 0x00, 0x0a, 0xff]))).toBe('"a\\x00\\n\\xff"');
    expect(displayKey('say "hi"')).toBe('"say \\"hi\\""');
  });

  it('round-trips any bytes through parseDisplayedKey (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const key = Buffer.from(bytes);
        expect(parseDisplayedKey(displayKey(key)).equals(key)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
