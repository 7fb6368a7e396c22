/**
 * Cluster hash slots (CRC16-XMODEM of the key, or of its `{hash tag}`, mod 16384): used to group
 * keys by slot and to name the master a key lives on, never to build multi-key commands.
 */
import type { Cluster } from 'ioredis';

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

function crc16(bytes: Buffer, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** The cluster slot of `key` (hash tags honoured the way the server does). */
export function keySlot(key: Buffer): number {
  const open = key.indexOf(0x7b); // {
  if (open !== -1) {
    const close = key.indexOf(0x7d, open + 1); // }
    if (close > open + 1) return crc16(key, open + 1, close) & 16383;
  }
  return crc16(key, 0, key.length) & 16383;
}

/** `host:port` of the master serving `key` according to the client's slot map, if known. */
export function masterOfKey(cluster: Cluster, key: Buffer): string | undefined {
  return cluster.slots[keySlot(key)]?.[0];
}
