/**
 * Where keys live: the masters to work on (once a cluster client knows them), whether they cover
 * every slot, which master serves a key (CRC16 slots, hash tags honoured), grouping per-key
 * commands by master, and snapshots of the slot map so a keyspace pass can tell whether slots
 * moved while it ran (resharding, failover).
 */
import { Cluster, type Redis } from 'ioredis';
import { ConnectionError } from '../errors.js';
import type { RedisConnection } from './connect.js';

const READY_TIMEOUT_MS = 10_000;
export const CLUSTER_SLOTS = 16384;

// --- slots ------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
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
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** The cluster slot of `key` (CRC16-XMODEM of the key or of its `{hash tag}`, mod 16384). */
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

/** The node a key-less report should name for `key`: its master on a cluster, the server otherwise. */
export function nodeOfKey(connection: RedisConnection, key: Buffer): string {
  const { client } = connection;
  if (client instanceof Cluster) return masterOfKey(client, key) ?? 'cluster';
  return connection.nodeName(connection.masters()[0]!);
}

/** Sorted slot numbers as ranges: `[0,1,2,5]` → `0-2, 5`. */
export function formatSlots(slots: readonly number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < slots.length;) {
    let j = i;
    while (j + 1 < slots.length && slots[j + 1] === slots[j]! + 1) j++;
    ranges.push(i === j ? String(slots[i]) : `${slots[i]}-${slots[j]}`);
    i = j + 1;
  }
  return ranges.join(', ');
}

// --- masters ----------------------------------------------------------------------------------

/** `connection.masters()`, after waiting for a cluster client's slot map; never empty. */
export async function readyMasters(connection: RedisConnection): Promise<Redis[]> {
  const { client } = connection;
  if (client instanceof Cluster && client.status !== 'ready') {
    if (client.status === 'wait') await client.connect().catch(() => undefined);
    if ((client.status as string) !== 'ready') await onceReady(client);
  }
  // A long-lived client may still map slots to a master that died: ask the cluster again first.
  if (client instanceof Cluster && passMasters(connection).uncovered.length > 0) await refreshSlots(client);
  const masters = connection.masters();
  if (masters.length === 0) {
    throw new ConnectionError(`No master nodes are known for ${connection.target}`, {
      hint: 'the cluster client is not connected; check the cluster is up (cluster_state:ok)',
    });
  }
  return masters;
}

/** Reload a cluster client's slot map (bounded); a failure leaves the old map. */
export function refreshSlots(cluster: Cluster): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, READY_TIMEOUT_MS);
    cluster.refreshSlotsCache(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function onceReady(cluster: Cluster): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      cluster.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, READY_TIMEOUT_MS);
    cluster.once('ready', done);
  });
}

/** Slots of the cluster client's slot map that no master in `masters` serves, grouped by the node the map names. */
export interface UncoveredSlots {
  /** `host:port` the slot map still names for these slots ("none" when no node serves them). */
  node: string;
  /** e.g. `5461-10922` or `0-99, 200`. */
  slots: string;
}

/**
 * The masters a keyspace pass must cover, checked against the cluster client's slot map. When a
 * master dies, the client drops it from its pool as soon as its connection ends, but learns the
 * replica that took over only later: a pass over `masters()` alone would skip those slots and
 * report success. Standalone and sentinel: `masters()` as is, nothing uncovered.
 */
export function passMasters(connection: RedisConnection): { masters: Redis[]; uncovered: UncoveredSlots[] } {
  const masters = connection.masters();
  const { client } = connection;
  if (!(client instanceof Cluster)) return { masters, uncovered: [] };
  const scanned = new Set(masters.map((node) => connection.nodeName(node)));
  const missing = new Map<string, number[]>();
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    const owner = client.slots[slot]?.[0];
    if (owner !== undefined && scanned.has(owner)) continue;
    const key = owner ?? 'none';
    let list = missing.get(key);
    if (!list) missing.set(key, (list = []));
    list.push(slot);
  }
  return { masters, uncovered: [...missing].map(([node, slots]) => ({ node, slots: formatSlots(slots) })) };
}

/** `passMasters`, throwing a `ConnectionError` that names the uncovered slots. */
export function coveredMasters(connection: RedisConnection): Redis[] {
  const { masters, uncovered } = passMasters(connection);
  if (uncovered.length > 0) throw uncoveredError(connection, uncovered);
  return masters;
}

export const UNCOVERED_HINT =
  'a master went away and its replica has not taken over yet (or this client has not learnt it); run again once CLUSTER INFO says cluster_state:ok';

/** The error for slots no reachable master serves. */
export function uncoveredError(connection: RedisConnection, uncovered: UncoveredSlots[]): ConnectionError {
  const where = uncovered.map((u) => `${u.node} (slots ${u.slots})`).join('; ');
  return new ConnectionError(`No reachable master serves part of ${connection.target}: ${where} not scanned`, { hint: UNCOVERED_HINT });
}

/** The slot ranges the client's slot map gives `node` (cluster only), e.g. `5461-10922`. */
export function slotsOfNode(connection: RedisConnection, node: string): string | undefined {
  const { client } = connection;
  if (!(client instanceof Cluster)) return undefined;
  const slots: number[] = [];
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) if (client.slots[slot]?.[0] === node) slots.push(slot);
  return slots.length > 0 ? formatSlots(slots) : undefined;
}

// --- routing per-key commands -------------------------------------------------------------------

export interface RoutedGroup<T> {
  node: Redis;
  items: T[];
}

export interface Routed<T> {
  groups: Array<RoutedGroup<T>>;
  /** Items whose slot has no known master (topology changing): send them through the cluster client. */
  unrouted: T[];
}

/** Groups items by the master that serves their key. */
export type Router = <T>(items: readonly T[], keyOf: (item: T) => Buffer) => Routed<T>;

/** A router for `connection`, using the slot map the cluster client keeps up to date. */
export function createRouter(connection: RedisConnection): Router {
  const client = connection.client;
  if (!(client instanceof Cluster)) {
    const node = client;
    return (items) => ({ groups: items.length > 0 ? [{ node, items: [...items] }] : [], unrouted: [] });
  }
  return (items, keyOf) => {
    // Rebuilt per call: masters and slots change when the cluster fails over or reshards.
    const byName = new Map<string, Redis>();
    for (const node of connection.masters()) byName.set(connection.nodeName(node), node);
    const groups = new Map<Redis, (typeof items)[number][]>();
    const unrouted: (typeof items)[number][] = [];
    for (const item of items) {
      const owner = client.slots[keySlot(keyOf(item))]?.[0];
      const node = owner === undefined ? undefined : byName.get(owner);
      if (!node) {
        unrouted.push(item);
        continue;
      }
      let list = groups.get(node);
      if (!list) groups.set(node, (list = []));
      list.push(item);
    }
    return { groups: [...groups].map(([node, list]) => ({ node, items: list })), unrouted };
  };
}

/** True for cluster redirections and refusals of a slot in transit: retry through the cluster client. */
export function isRedirect(error: unknown): boolean {
  const message = String((error as Error | null | undefined)?.message ?? '');
  return /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b/.test(message) || /non local key|non-local key/i.test(message);
}

// --- slot-map snapshots (resharding) ------------------------------------------------------------

/** Who served every slot at one moment, and which slots were migrating or importing. */
export interface SlotMap {
  /** `host:port` per slot (index = slot), undefined where no master serves it. */
  owners: Array<string | undefined>;
  /** Slots in transit (MIGRATING on one node / IMPORTING on another) when the snapshot was taken. */
  moving: Set<number>;
}

/**
 * Ask the cluster itself (not the client's cached map) who serves each slot, and which slots are
 * in transit. `CLUSTER NODES` shows both; when the ACL denies it, `CLUSTER SLOTS` still gives the
 * owners (transit states are then unknown). Undefined for a standalone server.
 */
export async function readSlotMap(connection: RedisConnection): Promise<SlotMap | undefined> {
  const { client } = connection;
  if (!(client instanceof Cluster)) return undefined;
  const owners = new Array<string | undefined>(CLUSTER_SLOTS).fill(undefined);
  const moving = new Set<number>();
  try {
    const text = String(await client.cluster('NODES'));
    for (const line of text.split('\n')) {
      const fields = line.trim().split(' ');
      if (fields.length < 8 || !fields[2]!.split(',').includes('master')) continue;
      const address = fields[1]!.split('@')[0]!;
      for (const part of fields.slice(8)) {
        if (part.startsWith('[')) {
          const slot = Number(part.slice(1, part.search(/-[<>]-/)));
          if (Number.isInteger(slot)) moving.add(slot);
          continue;
        }
        const [from, to] = part.split('-').map(Number);
        for (let slot = from!; slot <= (to ?? from!); slot++) owners[slot] = address;
      }
    }
    return { owners: owners.map((owner) => (owner ? normalizeHost(owner, connection) : owner)), moving };
  } catch {
    const ranges = (await client.cluster('SLOTS')) as unknown as Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>;
    for (const [from, to, [host, port]] of ranges) for (let slot = from; slot <= to; slot++) owners[slot] = `${host}:${port}`;
    return { owners, moving };
  }
}

/** CLUSTER NODES gives ":port" for a node that does not know its own address (single-host clusters). */
function normalizeHost(address: string, connection: RedisConnection): string {
  if (!address.startsWith(':')) return address;
  const first = connection.masters()[0];
  return `${first?.options.host ?? '127.0.0.1'}${address}`;
}

/** Slots whose owner differs between two snapshots, or that were in transit in either. */
export function movedSlots(before: SlotMap, after: SlotMap): number[] {
  const moved: number[] = [];
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    if (before.owners[slot] !== after.owners[slot] || before.moving.has(slot) || after.moving.has(slot)) moved.push(slot);
  }
  return moved;
}
