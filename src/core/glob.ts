/**
 * Redis glob patterns, byte for byte: escaping user values so they match only themselves, and a
 * client-side matcher with the server's semantics (`*`, `?`, `[...]`, `[^...]`, ranges, `\`).
 */

const SPECIAL = new Set([0x2a /* * */, 0x3f /* ? */, 0x5b /* [ */, 0x5d /* ] */, 0x5c /* \ */]);

/** Escape a literal value for use inside a MATCH pattern. Works on bytes, so binary values stay exact. */
export function escapeGlob(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let specials = 0;
  for (const b of bytes) if (SPECIAL.has(b)) specials++;
  if (specials === 0) return Buffer.from(bytes);
  const out = Buffer.alloc(bytes.length + specials);
  let j = 0;
  for (const b of bytes) {
    if (SPECIAL.has(b)) out[j++] = 0x5c;
    out[j++] = b;
  }
  return out;
}

/** True when the pattern has an unescaped wildcard or class (i.e. it is not a plain key). */
export function hasWildcard(pattern: string | Buffer): boolean {
  const p = typeof pattern === 'string' ? Buffer.from(pattern) : pattern;
  for (let i = 0; i < p.length; i++) {
    const b = p[i]!;
    if (b === 0x5c) i++;
    else if (b === 0x2a || b === 0x3f || b === 0x5b) return true;
  }
  return false;
}

/** The literal bytes before the first wildcard (unescaped); used to judge how broad a pattern is. */
export function literalPrefix(pattern: string | Buffer): Buffer {
  const p = typeof pattern === 'string' ? Buffer.from(pattern) : pattern;
  const out: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const b = p[i]!;
    if (b === 0x5c && i + 1 < p.length) out.push(p[++i]!);
    else if (b === 0x2a || b === 0x3f || b === 0x5b) break;
    else out.push(b);
  }
  return Buffer.from(out);
}

/** Does `key` match `pattern` the way Redis `stringmatchlen` decides it (case-sensitive)? */
export function globMatch(pattern: string | Buffer, key: string | Buffer): boolean {
  const p = typeof pattern === 'string' ? Buffer.from(pattern) : pattern;
  const s = typeof key === 'string' ? Buffer.from(key) : key;
  return matchFrom(p, 0, s, 0);
}

function matchFrom(p: Buffer, pi: number, s: Buffer, si: number): boolean {
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === 0x2a) {
      while (pi + 1 < p.length && p[pi + 1] === 0x2a) pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) if (matchFrom(p, pi + 1, s, k)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === 0x3f) {
      pi++;
      si++;
      continue;
    }
    if (c === 0x5b) {
      const { matched, next } = matchClass(p, pi + 1, s[si]!);
      if (!matched) return false;
      pi = next;
      si++;
      continue;
    }
    let literal = c;
    if (c === 0x5c && pi + 1 < p.length) literal = p[++pi]!;
    if (literal !== s[si]) return false;
    pi++;
    si++;
  }
  return si === s.length;
}

/** Match one byte against a `[...]` class starting after the `[`; returns where the class ends. */
function matchClass(p: Buffer, start: number, byte: number): { matched: boolean; next: number } {
  let i = start;
  const negate = p[i] === 0x5e;
  if (negate) i++;
  let matched = false;
  while (i < p.length && p[i] !== 0x5d) {
    if (p[i] === 0x5c && i + 1 < p.length) {
      if (p[i + 1] === byte) matched = true;
      i += 2;
    } else if (i + 2 < p.length && p[i + 1] === 0x2d && p[i + 2] !== 0x5d) {
      let lo = p[i]!;
      let hi = p[i + 2]!;
      if (lo > hi) [lo, hi] = [hi, lo];
      if (byte >= lo && byte <= hi) matched = true;
      i += 3;
    } else {
      if (p[i] === byte) matched = true;
      i++;
    }
  }
  // An unterminated class in Redis consumes to the end of the pattern.
  const next = i < p.length ? i + 1 : i;
  return { matched: negate ? !matched : matched, next };
}
