/**
 * Keys and patterns as bytes (binary-safe): the helpers several passes share.
 */

/** The buffers in their order, each distinct byte string once. */
export function uniqueBuffers(values: Buffer[]): Buffer[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const id = value.toString('latin1');
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** The longest byte string every value starts with (empty for no values). */
export function commonPrefix(values: Buffer[]): Buffer {
  if (values.length === 0) return Buffer.alloc(0);
  let length = Math.min(...values.map((v) => v.length));
  for (const value of values) {
    let i = 0;
    while (i < length && value[i] === values[0]![i]) i++;
    length = i;
  }
  return values[0]!.subarray(0, length);
}
