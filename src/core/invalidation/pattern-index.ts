/**
 * Many glob patterns against one stream of keys, at a per-key cost that does not grow with the
 * number of patterns. Each pattern is anchored by its longer literal end: the literal prefix
 * (`context:STORY-1*`) goes into a byte trie walked from the key's start, the literal suffix
 * (`tenant:*:mapping:conv:abc`) into a trie walked from the key's end. A key only meets the few
 * patterns whose anchor it actually carries; those are confirmed with `globMatch` unless the
 * anchor alone decides (`prefix*`, `*suffix`, or a plain key).
 */
import { globMatch, literalPrefix } from '../glob.js';

type Shape = 'exact' | 'prefix' | 'suffix' | 'glob';

interface Compiled {
  pattern: Buffer;
  shape: Shape;
  /** Length of the anchor (prefix or suffix) it is indexed by. */
  anchor: number;
}

interface TrieNode {
  next: Map<number, TrieNode> | undefined;
  /** Patterns whose anchor ends here. */
  ids: number[] | undefined;
}

const newNode = (): TrieNode => ({ next: undefined, ids: undefined });

/** Compiled set of patterns; `match(key)` gives the index of the first pattern that matches, or -1. */
export class PatternIndex {
  private readonly compiled: Compiled[] = [];
  private readonly prefixRoot = newNode();
  private readonly suffixRoot = newNode();
  private readonly unanchored: number[] = [];
  /** The literal prefix every pattern starts with (may be empty): usable as a SCAN MATCH filter. */
  readonly commonPrefix: Buffer;

  constructor(patterns: Buffer[]) {
    let common: Buffer | undefined;
    patterns.forEach((pattern, id) => {
      const { prefix, suffix, shape } = analyse(pattern);
      common = common === undefined ? prefix : sharedStart(common, prefix);
      if (prefix.length === 0 && suffix.length === 0) {
        this.compiled.push({ pattern, shape: 'glob', anchor: 0 });
        this.unanchored.push(id);
      } else if (prefix.length >= suffix.length) {
        this.compiled.push({ pattern, shape: shape === 'suffix' ? 'glob' : shape, anchor: prefix.length });
        insert(this.prefixRoot, prefix, id, false);
      } else {
        this.compiled.push({ pattern, shape: shape === 'prefix' ? 'glob' : shape, anchor: suffix.length });
        insert(this.suffixRoot, suffix, id, true);
      }
    });
    this.commonPrefix = common ?? Buffer.alloc(0);
  }

  get size(): number {
    return this.compiled.length;
  }

  /** Index of the first pattern (in anchor order) that matches `key`, or -1. */
  match(key: Buffer): number {
    let node: TrieNode | undefined = this.prefixRoot;
    for (let i = 0; node.next !== undefined && i < key.length; i++) {
      node = node.next.get(key[i]!);
      if (node === undefined) break;
      if (node.ids !== undefined) {
        const hit = this.confirm(node.ids, key, 'prefix');
        if (hit >= 0) return hit;
      }
    }
    node = this.suffixRoot;
    for (let i = key.length - 1; node.next !== undefined && i >= 0; i--) {
      node = node.next.get(key[i]!);
      if (node === undefined) break;
      if (node.ids !== undefined) {
        const hit = this.confirm(node.ids, key, 'suffix');
        if (hit >= 0) return hit;
      }
    }
    for (const id of this.unanchored) if (globMatch(this.compiled[id]!.pattern, key)) return id;
    return -1;
  }

  private confirm(ids: number[], key: Buffer, side: 'prefix' | 'suffix'): number {
    for (const id of ids) {
      const c = this.compiled[id]!;
      if (c.shape === side) return id;
      if (c.shape === 'exact') {
        if (key.length === c.anchor) return id;
      } else if (globMatch(c.pattern, key)) return id;
    }
    return -1;
  }
}

function insert(root: TrieNode, bytes: Buffer, id: number, reverse: boolean): void {
  let node = root;
  for (let k = 0; k < bytes.length; k++) {
    const byte = bytes[reverse ? bytes.length - 1 - k : k]!;
    node.next ??= new Map();
    let child = node.next.get(byte);
    if (!child) {
      child = newNode();
      node.next.set(byte, child);
    }
    node = child;
  }
  (node.ids ??= []).push(id);
}

/**
 * Literal prefix and suffix of a pattern and its shape: `exact` (no wildcard), `prefix`
 * (literal then `*`), `suffix` (`*` then literal), or `glob` (anything else).
 */
export function analyse(pattern: Buffer): { prefix: Buffer; suffix: Buffer; shape: Shape } {
  const tokens = tokenize(pattern);
  const prefix = literalPrefix(pattern);
  let last = -1;
  tokens.forEach((t, i) => {
    if (t !== 'literal') last = i;
  });
  if (last === -1) return { prefix, suffix: Buffer.alloc(0), shape: 'exact' };
  const suffixBytes: number[] = [];
  const literals = literalBytes(pattern);
  for (let i = last + 1; i < tokens.length; i++) suffixBytes.push(literals[i]!);
  const suffix = Buffer.from(suffixBytes);
  const wild = tokens.filter((t) => t !== 'literal');
  const onlyStars = wild.every((t) => t === 'star');
  const firstWild = tokens.findIndex((t) => t !== 'literal');
  // Stars are contiguous when nothing literal sits between the first and the last wildcard.
  const contiguous = tokens.slice(firstWild, last + 1).every((t) => t === 'star');
  if (onlyStars && contiguous && last === tokens.length - 1) return { prefix, suffix, shape: 'prefix' };
  if (onlyStars && contiguous && firstWild === 0) return { prefix, suffix, shape: 'suffix' };
  return { prefix, suffix, shape: 'glob' };
}

type Token = 'literal' | 'star' | 'any' | 'class';

/** Tokens of a Redis glob: `\x` is a literal x, `[...]` one class (unterminated: to the end). */
function tokenize(p: Buffer): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < p.length; i++) {
    const b = p[i]!;
    if (b === 0x5c && i + 1 < p.length) {
      i++;
      out.push('literal');
    } else if (b === 0x2a) out.push('star');
    else if (b === 0x3f) out.push('any');
    else if (b === 0x5b) {
      i++;
      while (i < p.length && p[i] !== 0x5d) i += p[i] === 0x5c ? 2 : 1;
      out.push('class');
    } else out.push('literal');
  }
  return out;
}

/** For each token, its literal byte (0 for non-literal tokens); same indexing as `tokenize`. */
function literalBytes(p: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const b = p[i]!;
    if (b === 0x5c && i + 1 < p.length) out.push(p[++i]!);
    else if (b === 0x5b) {
      i++;
      while (i < p.length && p[i] !== 0x5d) i += p[i] === 0x5c ? 2 : 1;
      out.push(0);
    } else out.push(b === 0x2a || b === 0x3f ? 0 : b);
  }
  return out;
}

function sharedStart(a: Buffer, b: Buffer): Buffer {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return a.subarray(0, n);
}
