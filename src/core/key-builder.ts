/**
 * Exact keys of a family, built from its template compiled once: the literal text encoded to bytes
 * once, each placeholder a slot. A key is one allocation written in place (its length summed
 * first), where building it from one Buffer per piece cost an allocation per piece and a
 * concatenation — per event, in `listen`. Keys come in template order (the first part varies
 * slowest, a placeholder used twice varies at each place) without repeats.
 */
import type { Family } from '../config/load.js';

/** A literal's bytes, or the name of the placeholder filling the slot. */
type Part = Buffer | string;

const compiled = new WeakMap<Family, Part[]>();

function partsOf(family: Family): Part[] {
  let parts = compiled.get(family);
  if (!parts) {
    parts = family.parsed.parts.map((part) => (part.kind === 'literal' ? Buffer.from(part.text, 'utf8') : part.name));
    compiled.set(family, parts);
  }
  return parts;
}

/** Every key of `family` for the product of the `bound` values (each placeholder of its template bound to ≥ 1 value). */
export function exactKeys(family: Family, bound: Readonly<Record<string, readonly string[]>>): Buffer[] {
  const parts = partsOf(family);
  const lists: Array<readonly string[] | undefined> = parts.map((part) => (typeof part === 'string' ? bound[part]! : undefined));
  const picks = new Array<number>(parts.length).fill(0);
  const keys: Buffer[] = [];
  let seen: Set<string> | undefined;
  for (;;) {
    const key = writeKey(parts, lists, picks);
    if (keys.length === 0) keys.push(key);
    else {
      // Different values can spell the same key ("a:b" + "c" and "a" + "b:c" around a ":").
      seen ??= new Set([keys[0]!.toString('latin1')]);
      const id = key.toString('latin1');
      if (!seen.has(id)) {
        seen.add(id);
        keys.push(key);
      }
    }
    // Next combination: the last slot with values left moves on, the ones after it start over.
    let i = parts.length - 1;
    while (i >= 0 && (lists[i] === undefined || picks[i]! + 1 >= lists[i]!.length)) picks[i--] = 0;
    if (i < 0) return keys;
    picks[i]!++;
  }
}

function writeKey(parts: Part[], lists: Array<readonly string[] | undefined>, picks: number[]): Buffer {
  let length = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    length += typeof part === 'string' ? Buffer.byteLength(lists[i]![picks[i]!]!, 'utf8') : part.length;
  }
  const key = Buffer.allocUnsafe(length);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    at += typeof part === 'string' ? key.write(lists[i]![picks[i]!]!, at, 'utf8') : part.copy(key, at);
  }
  return key;
}
