/**
 * Showing keys to people: binary-safe, escaped the way redis-cli prints replies, so a key with
 * control characters, NUL or invalid UTF-8 is visible and can be pasted back.
 */

/** Printable ASCII stays as is; anything else becomes `\xNN` (or `\n`, `\t`…), quoted if escaped. */
export function displayKey(key: Buffer | string): string {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  let plain = true;
  for (const b of bytes) {
    if (b < 0x20 || b > 0x7e || b === 0x22 || b === 0x5c || b === 0x20) {
      plain = false;
      break;
    }
  }
  if (plain && bytes.length > 0) return bytes.toString('latin1');
  let out = '"';
  for (const b of bytes) {
    switch (b) {
      case 0x5c:
        out += '\\\\';
        break;
      case 0x22:
        out += '\\"';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x07:
        out += '\\a';
        break;
      case 0x08:
        out += '\\b';
        break;
      default:
        out += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    }
  }
  return `${out}"`;
}

/** Inverse of `displayKey`: turn a displayed key (quoted with escapes, or plain) back into bytes. */
export function parseDisplayedKey(text: string): Buffer {
  if (!(text.length >= 2 && text.startsWith('"') && text.endsWith('"'))) return Buffer.from(text, 'utf8');
  const body = text.slice(1, -1);
  const out: number[] = [];
  const simple: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, a: 0x07, b: 0x08, '\\': 0x5c, '"': 0x22 };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '\\' && i + 1 < body.length) {
      const next = body[i + 1]!;
      if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 2, i + 4))) {
        out.push(Number.parseInt(body.slice(i + 2, i + 4), 16));
        i += 3;
        continue;
      }
      if (simple[next] !== undefined) {
        out.push(simple[next]!);
        i++;
        continue;
      }
    }
    for (const b of Buffer.from(ch, 'utf8')) out.push(b);
  }
  return Buffer.from(out);
}
