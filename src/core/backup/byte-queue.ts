/**
 * A queue of incoming chunks read from the front in exact sizes. Reads within one chunk are
 * zero-copy views; only reads that straddle chunks allocate, so a large payload spread over many
 * chunks is assembled once (no repeated concatenation).
 */
export class ByteQueue {
  private readonly chunks: Buffer[] = [];
  private head = 0;
  /** Bytes queued and not yet taken. */
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Take exactly `n` bytes from the front (caller checks `length >= n`). */
  take(n: number): Buffer {
    if (n > this.length) throw new RangeError(`take(${n}) with ${this.length} bytes queued`);
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const chunk = this.chunks[0]!;
      const piece = Math.min(chunk.length - this.head, n - at);
      chunk.copy(out, at, this.head, this.head + piece);
      at += piece;
      this.advance(piece);
    }
    return out;
  }

  /** Drop `n` bytes from the front without copying them (caller checks `length >= n`). */
  skip(n: number): void {
    if (n > this.length) throw new RangeError(`skip(${n}) with ${this.length} bytes queued`);
    while (n > 0) {
      const piece = Math.min(this.chunks[0]!.length - this.head, n);
      this.advance(piece);
      n -= piece;
    }
  }

  /** The byte at `offset` from the front (caller checks `length > offset`). */
  byteAt(offset: number): number {
    let at = this.head + offset;
    for (const chunk of this.chunks) {
      if (at < chunk.length) return chunk[at]!;
      at -= chunk.length;
    }
    throw new RangeError(`byteAt(${offset}) with ${this.length} bytes queued`);
  }

  /** Big-endian u32 at `offset` from the front, without consuming it. */
  uint32At(offset: number): number {
    const first = this.chunks[0]!;
    const at = this.head + offset;
    if (at + 4 <= first.length) return first.readUInt32BE(at);
    return ((this.byteAt(offset) << 24) >>> 0) + (this.byteAt(offset + 1) << 16) + (this.byteAt(offset + 2) << 8) + this.byteAt(offset + 3);
  }

  /** Offset of the first `byte` within the first `limit` queued bytes, or -1. */
  indexOf(byte: number, limit: number): number {
    let seen = 0;
    for (let i = 0; i < this.chunks.length && seen < limit; i++) {
      const chunk = this.chunks[i]!;
      const start = i === 0 ? this.head : 0;
      const end = Math.min(chunk.length, start + (limit - seen));
      const found = chunk.indexOf(byte, start);
      if (found >= 0 && found < end) return seen + (found - start);
      seen += end - start;
    }
    return -1;
  }

  /** `n` bytes from `offset` without consuming them (a view when they lie in one chunk). */
  peek(offset: number, n: number): Buffer {
    if (offset + n > this.length) throw new RangeError(`peek(${offset}, ${n}) with ${this.length} bytes queued`);
    let at = this.head + offset;
    let i = 0;
    while (at >= this.chunks[i]!.length) at -= this.chunks[i++]!.length;
    if (at + n <= this.chunks[i]!.length) return this.chunks[i]!.subarray(at, at + n);
    const out = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const chunk = this.chunks[i++]!;
      const piece = Math.min(chunk.length - at, n - done);
      chunk.copy(out, done, at, at + piece);
      done += piece;
      at = 0;
    }
    return out;
  }

  /** True when every queued byte from `offset` on is zero. */
  zeroFrom(offset: number): boolean {
    let skip = offset;
    for (let i = 0; i < this.chunks.length; i++) {
      const chunk = this.chunks[i]!;
      const start = i === 0 ? this.head : 0;
      const available = chunk.length - start;
      if (skip >= available) {
        skip -= available;
        continue;
      }
      for (let at = start + skip; at < chunk.length; at++) if (chunk[at] !== 0) return false;
      skip = 0;
    }
    return true;
  }

  private advance(n: number): void {
    if (n === 0) return;
    this.head += n;
    this.length -= n;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}
