/**
 * Where a SCAN cursor stands in its pass, as a number that only grows while the pass runs, so the
 * part of a node's keyspace a pass has already covered can be named by one cursor and compared
 * with later cursors.
 *
 * SCAN walks the buckets of a hash table in reverse-binary order: the cursor's low bits, read
 * backwards, are the position. Because the increment happens on the reversed bits, that position
 * keeps its order when the table grows or shrinks between calls (a bucket of the smaller table
 * covers exactly the positions of its buckets in the larger one), which is also why SCAN returns
 * every key present for the whole pass. Servers that keep one table per cluster slot (Valkey 8,
 * Redis 7.4 and later, in cluster mode) put the slot in the cursor's low 14 bits and the
 * reverse-binary position of that slot's table above them; slots are walked in increasing order.
 * A node whose cursors ever go backwards under the order chosen here is treated as unknown: its
 * partial coverage is not trusted (see `NodeSweep`).
 */
import type { Redis } from 'ioredis';
import { compareVersions, identify, parseInfo } from '../../redis/server-info.js';

/** How a node lays out its SCAN cursors. */
export type CursorLayout = 'table' | 'slot-tables';

export interface CursorOrder {
  layout: CursorLayout;
  /** The cursor's position in the pass (0 at the start; grows with every step). */
  position(cursor: string): bigint;
}

const SLOT_BITS = 14n;
const SLOT_MASK = (1n << SLOT_BITS) - 1n;

/** The 64 bits of `value` in reverse order. */
export function reverse64(value: bigint): bigint {
  let out = 0n;
  let v = value;
  for (let i = 0; i < 64; i++) {
    out = (out << 1n) | (v & 1n);
    v >>= 1n;
  }
  return out;
}

export function orderOf(layout: CursorLayout): CursorOrder {
  if (layout === 'table') return { layout, position: (cursor) => reverse64(BigInt(cursor)) };
  return {
    layout,
    position: (cursor) => {
      const value = BigInt(cursor);
      return ((value & SLOT_MASK) << 64n) | reverse64(value >> SLOT_BITS);
    },
  };
}

/** The layout a server uses, from its INFO server fields and whether it runs in cluster mode. */
export function layoutOf(info: Record<string, string>, cluster: boolean): CursorLayout {
  if (!cluster) return 'table';
  const id = identify(info);
  const perSlot = id.flavor === 'valkey' ? compareVersions(id.version, '8.0.0') >= 0 : compareVersions(id.version, '7.4.0') >= 0;
  return perSlot ? 'slot-tables' : 'table';
}

const known = new WeakMap<Redis, Promise<CursorOrder>>();

/** The cursor order of one node (asked once per client object). */
export function cursorOrder(node: Redis, cluster: boolean): Promise<CursorOrder> {
  let pending = known.get(node);
  if (!pending) {
    pending = node.info('server').then((text) => orderOf(layoutOf(parseInfo(text), cluster)));
    pending.catch(() => known.delete(node));
    known.set(node, pending);
  }
  return pending;
}
