/**
 * How a read-through turns loaded values into the bytes it stores and back. Values are strings by
 * default; `bufferCodec` keeps bytes as they are; `jsonCodec()` stores JSON text.
 */

export interface ReadCodec<T> {
  /** The bytes to store for `value`. */
  encode(value: T): string | Buffer;
  /** The value stored as `raw`. */
  decode(raw: Buffer): T;
}

/** UTF-8 text (the default). */
export const stringCodec: ReadCodec<string> = {
  encode: (value) => value,
  decode: (raw) => raw.toString('utf8'),
};

/** Bytes as they are (binary-safe). */
export const bufferCodec: ReadCodec<Buffer> = {
  encode: (value) => value,
  decode: (raw) => raw,
};

/** JSON text: `JSON.stringify` on the way in, `JSON.parse` on the way out. */
export function jsonCodec<T>(): ReadCodec<T> {
  return {
    encode: (value) => JSON.stringify(value),
    decode: (raw) => JSON.parse(raw.toString('utf8')) as T,
  };
}
