/**
 * Redis glob patterns, byte for byte: escaping user values so they match only themselves, one
 * tokenizer with the server's exact semantics (`stringmatchlen`: `*`, `?`, `[...]`, `[^...]`,
 * ranges compared as signed chars, `\`, unterminated classes), a client-side matcher built on it,
 * and its translation to an anchored Lua pattern, so a server-side step can test keys against
 * several patterns at C speed.
 */

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const BACKSLASH = 0x5c;
const CARET = 0x5e;
const DASH = 0x2d;

const SPECIAL = new Set([STAR, QUESTION, OPEN, CLOSE, BACKSLASH]);

/** Escape a literal value for use inside a MATCH pattern. Works on bytes, so binary values stay exact. */
export function escapeGlob(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let specials = 0;
  for (const b of bytes) if (SPECIAL.has(b)) specials++;
  if (specials === 0) return Buffer.from(bytes);
  const out = Buffer.alloc(bytes.length + specials);
  let j = 0;
  for (const b of bytes) {
    if (SPECIAL.has(b)) out[j++] = BACKSLASH;
    out[j++] = b;
  }
  return out;
}

/** True when the pattern has an unescaped wildcard or class (i.e. it is not a plain key). */
export function hasWildcard(pattern: string | Buffer): boolean {
  return tokenize(toBytes(pattern)).some((t) => t.kind !== 'literal');
}

/** The literal bytes before the first wildcard (unescaped); used to judge how broad a pattern is. */
export function literalPrefix(pattern: string | Buffer): Buffer {
  const out: number[] = [];
  for (const token of tokenize(toBytes(pattern))) {
    if (token.kind !== 'literal') break;
    out.push(token.byte);
  }
  return Buffer.from(out);
}

/** One unit of a glob: a literal byte, `?`, a run of `*`, or a class (the set of bytes it accepts). */
export type GlobToken = { kind: 'literal'; byte: number } | { kind: 'any' } | { kind: 'star' } | { kind: 'class'; accepts: Uint8Array };

/** Split a pattern into tokens exactly as Redis reads it. */
export function tokenize(p: Buffer): GlobToken[] {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < p.length;) {
    const c = p[i]!;
    if (c === STAR) {
      while (i < p.length && p[i] === STAR) i++;
      tokens.push({ kind: 'star' });
    } else if (c === QUESTION) {
      tokens.push({ kind: 'any' });
      i++;
    } else if (c === OPEN) {
      const { accepts, next } = readClass(p, i + 1);
      tokens.push({ kind: 'class', accepts });
      i = next;
    } else if (c === BACKSLASH && i + 1 < p.length) {
      tokens.push({ kind: 'literal', byte: p[i + 1]! });
      i += 2;
    } else {
      tokens.push({ kind: 'literal', byte: c });
      i++;
    }
  }
  return tokens;
}

/**
 * A `[...]` class starting after its `[`: which bytes it accepts (1 = yes) and where the pattern
 * goes on. Mirrors Redis: `\x` is x; `a-b` is a range when two more bytes follow (even when the
 * second is `]`), compared as signed chars and swapped when reversed; a class without `]` runs to
 * the end of the pattern.
 */
function readClass(p: Buffer, start: number): { accepts: Uint8Array; next: number } {
  const accepts = new Uint8Array(256);
  let k = start;
  const negate = k < p.length && p[k] === CARET;
  if (negate) k++;
  let next = p.length;
  while (k < p.length) {
    const b = p[k]!;
    if (b === BACKSLASH && p.length - k >= 2) {
      accepts[p[k + 1]!] = 1;
      k += 2;
    } else if (b === CLOSE) {
      next = k + 1;
      break;
    } else if (p.length - k >= 3 && p[k + 1] === DASH) {
      let lo = signed(b);
      let hi = signed(p[k + 2]!);
      if (lo > hi) [lo, hi] = [hi, lo];
      for (let c = 0; c < 256; c++) if (signed(c) >= lo && signed(c) <= hi) accepts[c] = 1;
      k += 3;
    } else {
      accepts[b] = 1;
      k++;
    }
  }
  if (negate) for (let c = 0; c < 256; c++) accepts[c] = accepts[c] ? 0 : 1;
  return { accepts, next };
}

/** Redis compares class ranges as (signed) chars: bytes from 0x80 sort below ASCII. */
function signed(b: number): number {
  return b >= 0x80 ? b - 256 : b;
}

/** Does `key` match `pattern` the way Redis decides it (case-sensitive)? */
export function globMatch(pattern: string | Buffer, key: string | Buffer): boolean {
  return compileGlob(pattern)(toBytes(key));
}

/** A pattern compiled once, for matching many keys. */
export function compileGlob(pattern: string | Buffer): (key: Buffer) => boolean {
  const bytes = toBytes(pattern);
  // SCAN does not even test a MATCH of exactly "*": every key, the empty one included.
  if (isMatchAll(bytes)) return () => true;
  const tokens = tokenize(bytes);
  return (key) => matchTokens(tokens, 0, key, 0);
}

/** True for the pattern `*`, which the server treats as "no filter". */
export function isMatchAll(pattern: string | Buffer): boolean {
  const bytes = toBytes(pattern);
  return bytes.length === 1 && bytes[0] === STAR;
}

function matchTokens(tokens: GlobToken[], ti: number, s: Buffer, si: number): boolean {
  while (ti < tokens.length && si < s.length) {
    const t = tokens[ti]!;
    if (t.kind === 'star') {
      if (ti === tokens.length - 1) return true;
      // Redis tries every non-empty rest of the key (the loop stops before the empty one).
      for (let k = si; k < s.length; k++) if (matchTokens(tokens, ti + 1, s, k)) return true;
      return false;
    }
    const byte = s[si]!;
    if (t.kind === 'literal' ? t.byte !== byte : t.kind === 'class' && t.accepts[byte] === 0) return false;
    ti++;
    si++;
    // The key is used up: trailing stars match nothing.
    if (si === s.length) while (ti < tokens.length && tokens[ti]!.kind === 'star') ti++;
  }
  // An empty key only matches an empty pattern (Redis never enters its loop for it).
  return ti === tokens.length && si === s.length;
}

/**
 * The pattern as an anchored Lua 5.1 pattern (the language of Redis and Valkey scripts) that
 * accepts the same non-empty keys; `undefined` when no key can match (an empty class). Lua 5.1
 * patterns end at a NUL byte, so NUL is written `%z`; every other byte that is not a letter or
 * digit is escaped with `%`. Callers must not apply it to the empty key (see `globMatch`).
 */
export function globToLua(pattern: string | Buffer): Buffer | undefined {
  const out: number[] = [0x5e]; // ^
  for (const token of tokenize(toBytes(pattern))) {
    if (token.kind === 'star')
      out.push(0x2e, 0x2a); // .*
    else if (token.kind === 'any')
      out.push(0x2e); // .
    else if (token.kind === 'literal') pushLuaByte(out, token.byte);
    else {
      const members: number[] = [];
      for (let c = 0; c < 256; c++) if (token.accepts[c]) members.push(c);
      if (members.length === 0) return undefined;
      if (members.length === 256) {
        out.push(0x2e);
        continue;
      }
      out.push(OPEN);
      for (const c of members) pushLuaByte(out, c);
      out.push(CLOSE);
    }
  }
  out.push(0x24); // $
  return Buffer.from(out);
}

function pushLuaByte(out: number[], b: number): void {
  if (b === 0)
    out.push(0x25, 0x7a); // %z
  else if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b >= 0x80) out.push(b);
  else out.push(0x25, b);
}

function toBytes(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}
