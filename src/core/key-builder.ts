/**
 * Exact keys of a family, built from its template compiled once: literal text and placeholder
 * slots. A key is its text joined and encoded once (where building it from one Buffer per piece
 * cost an allocation per piece and a concatenation — per event, in `listen`), or, when a piece
 * starts or ends inside a surrogate pair's range, piece by piece as before: encoding pieces
 * separately and encoding them joined differ only there. Keys come in template order (the first
 * part varies slowest, a placeholder used twice varies at each place) without repeats.
 */
import type { Family } from '../config/load.js';

/** Literal text, or the name of the placeholder filling the slot. */
interface Part {
  text: string;
  slot: boolean;
}

interface Compiled {
  parts: Part[];
  /** A literal starts or ends with a surrogate code unit: always encode piece by piece. */
  pieces: boolean;
}

const compiled = new WeakMap<Family, Compiled>();

function compile(family: Family): Compiled {
  let out = compiled.get(family);
  if (!out) {
    const parts = family.parsed.parts.map((part) => (part.kind === 'literal' ? { text: part.text, slot: false } : { text: part.name, slot: true }));
    out = { parts, pieces: parts.some((part) => !part.slot && edgeSurrogate(part.text)) };
    compiled.set(family, out);
  }
  return out;
}

/** Every key of `family` for the product of the `bound` values (each placeholder of its template bound to ≥ 1 value). */
export function exactKeys(family: Family, bound: Readonly<Record<string, readonly string[]>>): Buffer[] {
  const { parts, pieces } = compile(family);
  let single = true;
  const lists = parts.map((part) => {
    if (!part.slot) return undefined;
    const list = bound[part.text]!;
    if (list.length > 1) single = false;
    return list;
  });
  const picks = new Array<number>(parts.length).fill(0);
  if (single) return [keyAt(parts, lists, picks, pieces)];
  const keys: Buffer[] = [];
  // Different values can spell the same key: "a:b" + "c" and "a" + "b:c" around a ":", or two
  // lone surrogates (each encoded as U+FFFD).
  const seen = new Set<string>();
  for (;;) {
    const key = keyAt(parts, lists, picks, pieces);
    const id = key.toString('latin1');
    if (!seen.has(id)) {
      seen.add(id);
      keys.push(key);
    }
    // Next combination: the last slot with values left moves on, the ones after it start over.
    let i = parts.length - 1;
    while (i >= 0 && (lists[i] === undefined || picks[i]! + 1 >= lists[i]!.length)) picks[i--] = 0;
    if (i < 0) return keys;
    picks[i]!++;
  }
}

/** The key of the values `picks` points at. */
function keyAt(parts: Part[], lists: Array<readonly string[] | undefined>, picks: number[], pieces: boolean): Buffer {
  let text = '';
  let split = pieces;
  for (let i = 0; i < parts.length; i++) {
    const list = lists[i];
    if (list === undefined) text += parts[i]!.text;
    else {
      const value = list[picks[i]!]!;
      if (!split && edgeSurrogate(value)) split = true;
      text += value;
    }
  }
  return split ? piecewise(parts, lists, picks) : Buffer.from(text, 'utf8');
}

function edgeSurrogate(text: string): boolean {
  return text.length > 0 && (isSurrogate(text.charCodeAt(0)) || isSurrogate(text.charCodeAt(text.length - 1)));
}

function isSurrogate(code: number): boolean {
  return (code & 0xf800) === 0xd800;
}

/** Each piece encoded on its own (a lone surrogate becomes U+FFFD even beside its other half). */
function piecewise(parts: Part[], lists: Array<readonly string[] | undefined>, picks: number[]): Buffer {
  return Buffer.concat(parts.map((part, i) => Buffer.from(part.slot ? lists[i]![picks[i]!]! : part.text, 'utf8')));
}
