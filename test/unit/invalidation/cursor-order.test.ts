import { describe, expect, it } from 'vitest';
import { layoutOf, orderOf, reverse64 } from '../../../src/core/invalidation/cursor-order.js';

/** The cursors SCAN returns over a table of 2^bits buckets, in order (the reverse-binary increment). */
function cursors(bits: number): bigint[] {
  const mask = (1n << BigInt(bits)) - 1n;
  const out: bigint[] = [];
  let v = 0n;
  do {
    out.push(v);
    v |= ~mask & ((1n << 64n) - 1n);
    v = reverse64(v);
    v = (v + 1n) & ((1n << 64n) - 1n);
    v = reverse64(v);
  } while (v !== 0n);
  return out;
}

describe('SCAN cursor order', () => {
  it('reverses 64 bits', () => {
    expect(reverse64(1n)).toBe(1n << 63n);
    expect(reverse64(reverse64(0x1234_5678_9abc_def0n))).toBe(0x1234_5678_9abc_def0n);
  });

  it('positions grow along a pass over one table, and keep their order across a resize', () => {
    const { position } = orderOf('table');
    for (const bits of [3, 6]) {
      const list = cursors(bits).map((c) => position(c.toString()));
      for (let i = 1; i < list.length; i++) expect(list[i]!).toBeGreaterThan(list[i - 1]!);
    }
    // A cursor of the small table names the same point as its buckets in the large one: everything
    // of the large table before it is before it in the small one too.
    const small = cursors(3).map((c) => position(c.toString()));
    const large = cursors(6).map((c) => position(c.toString()));
    for (const point of small) {
      const before = large.filter((p) => p < point).length;
      expect(before % 8).toBe(0); // whole groups of the 8 large buckets that make one small bucket
    }
  });

  it('per-slot tables: the slot first, then the position in its table', () => {
    const { position } = orderOf('slot-tables');
    const at = (slot: number, cursor: bigint) => position(((cursor << 14n) | BigInt(slot)).toString());
    const inSlot = cursors(4);
    const list = [5, 6, 900].flatMap((slot) => inSlot.map((c) => at(slot, c)));
    for (let i = 1; i < list.length; i++) expect(list[i]!).toBeGreaterThan(list[i - 1]!);
    // Under the plain-table order those cursors would not grow: the check in NodeSweep notices.
    const plain = orderOf('table').position;
    const wrong = [5, 6].flatMap((slot) => inSlot.map((c) => plain(((c << 14n) | BigInt(slot)).toString())));
    expect(wrong.some((p, i) => i > 0 && p < wrong[i - 1]!)).toBe(true);
  });

  it('picks the layout from the server and its mode', () => {
    expect(layoutOf({ redis_version: '7.0.15' }, true)).toBe('table');
    expect(layoutOf({ redis_version: '7.4.1' }, true)).toBe('slot-tables');
    expect(layoutOf({ redis_version: '7.2.4', server_name: 'valkey', valkey_version: '8.0.1' }, true)).toBe('slot-tables');
    expect(layoutOf({ redis_version: '7.2.4', server_name: 'valkey', valkey_version: '8.0.1' }, false)).toBe('table');
  });
});
