/**
 * Text that came from data (job names, failure reasons, backup headers, queue names) made safe
 * for a terminal: control characters (C0, DEL, C1), bidirectional-text controls, lone surrogates
 * and invalid UTF-8 become visible escapes, so data cannot clear the screen, set a window title
 * or reorder what is shown. Newlines become `\n`, so one value stays on one line.
 */

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x07': '\\a', '\x08': '\\b', '\x1b': '\\e' };

/** Characters escaped in text from data. */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeChar(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** Decode UTF-8, writing each byte of an invalid sequence as `\xNN`. */
function decodeBytes(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  if (!text.includes('\ufffd') || Buffer.from(text, 'utf8').equals(bytes)) return text.replace(UNSAFE, escapeChar);
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    const slice = length > 0 ? bytes.subarray(i, i + length) : undefined;
    const decoded = slice && slice.length === length ? slice.toString('utf8') : '\ufffd';
    if (decoded.includes('\ufffd') && !(length === 3 && slice!.equals(Buffer.from('\ufffd', 'utf8')))) {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i += 1;
    } else {
      out += decoded.replace(UNSAFE, escapeChar);
      i += length;
    }
  }
  return out;
}

/** A string or bytes from data, safe to print on a terminal line. */
export function printable(value: string | Buffer | number | undefined | null): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return String(value);
  if (Buffer.isBuffer(value)) return decodeBytes(value);
  return value.replace(UNSAFE, escapeChar);
}

/** SGR colour codes (what chalk writes): the only escape sequences cachectl itself prints. */
const SGR = /\x1b\[[0-9;]*m/y;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The last guard before a write: control characters other than newline and tab, and bidi controls, become `\uXXXX`
 * (valid inside JSON strings, so a JSON line stays exact JSON); with colours on, SGR codes stay.
 */
export function guardControls(text: string, keepColours: boolean): string {
  return text.replace(CONTROL, (ch, offset: number) => {
    if (keepColours && ch === '\x1b') {
      SGR.lastIndex = offset;
      if (SGR.test(text)) return ch;
    }
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** JSON text with DEL, C1 and bidi controls written as `\u` escapes (same values, nothing raw). */
export function jsonSafe(json: string): string {
  return json.replace(/[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
