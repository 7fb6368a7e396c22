/**
 * Key classification for the stats script: families and queue prefixes turned into anchored Lua
 * patterns with the same meaning as `FamilyMatcher` (first family in config order wins, queue
 * prefixes before any family), plus the first byte a match must start with so the script tries
 * few patterns per key.
 */
import type { Family } from '../../config/load.js';

/** One matcher as the script takes it: group 0 = queue key, f ≥ 1 = family number f. */
export interface LuaMatcher {
  group: number;
  /** The byte every matching key starts with (empty when any byte may start it). */
  first: Buffer;
  pattern: Buffer;
}

// Lua 5.1 pattern magic characters; NUL cannot appear in a pattern and is written `%z`.
const MAGIC = new Set([...'^$()%.[]*+-?'].map((c) => c.charCodeAt(0)));

/** Escape bytes so a Lua pattern matches them literally. */
export function escapeLuaPattern(bytes: Buffer): Buffer {
  const out: number[] = [];
  for (const b of bytes) {
    if (b === 0) out.push(0x25, 0x7a);
    else {
      if (MAGIC.has(b)) out.push(0x25);
      out.push(b);
    }
  }
  return Buffer.from(out);
}

type Token = { literal: Buffer } | { wild: true };

/**
 * The anchored Lua pattern of a family: literals escaped, placeholders `.-` (lazy: the literal
 * after a placeholder is usually near the start, and lazy finds it without backtracking from the
 * end). A trailing wildcard is dropped (an anchored prefix already means "anything after"), so
 * `user:state:{phone}` becomes `^user:state:` and costs one comparison per key.
 */
export function familyLuaPattern(family: Family): { first: Buffer; pattern: Buffer } {
  const tokens: Token[] = [];
  for (const part of family.parsed.parts) {
    if (part.kind === 'literal') {
      if (part.text !== '') tokens.push({ literal: Buffer.from(part.text, 'utf8') });
    } else if (!('wild' in (tokens[tokens.length - 1] ?? {}))) tokens.push({ wild: true });
  }
  if (family.parsed.prefix && !('wild' in (tokens[tokens.length - 1] ?? {}))) tokens.push({ wild: true });
  const open = tokens.length > 0 && 'wild' in tokens[tokens.length - 1]!;
  if (open) tokens.pop();
  const chunks: Buffer[] = [Buffer.from('^')];
  for (const token of tokens) chunks.push('wild' in token ? Buffer.from('.-') : escapeLuaPattern(token.literal));
  if (!open) chunks.push(Buffer.from('$'));
  const head = tokens[0];
  const first = head && 'literal' in head ? head.literal.subarray(0, 1) : Buffer.alloc(0);
  return { first, pattern: Buffer.concat(chunks) };
}

/** Matchers in priority order: every queue prefix (`<prefix>:`), then the families in config order. */
export function buildMatchers(families: Family[], queuePrefixes: string[]): LuaMatcher[] {
  const matchers: LuaMatcher[] = [];
  for (const prefix of new Set(queuePrefixes)) {
    const bytes = Buffer.from(`${prefix}:`, 'utf8');
    matchers.push({ group: 0, first: bytes.subarray(0, 1), pattern: Buffer.concat([Buffer.from('^'), escapeLuaPattern(bytes)]) });
  }
  families.forEach((family, index) => matchers.push({ group: index + 1, ...familyLuaPattern(family) }));
  return matchers;
}

/** The matcher part of the script's ARGV: count, then (group, first, pattern) triples. */
export function matcherArgs(matchers: LuaMatcher[]): Array<string | Buffer> {
  const args: Array<string | Buffer> = [String(matchers.length)];
  for (const m of matchers) args.push(String(m.group), m.first, m.pattern);
  return args;
}
