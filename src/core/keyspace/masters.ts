/**
 * The masters to work on, once they are known. A Cluster client learns its nodes only after
 * connecting; scanning before that would silently cover nothing, so wait for it (bounded).
 */
import { Cluster, type Redis } from 'ioredis';
import { ConnectionError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';

const READY_TIMEOUT_MS = 10_000;

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

/** Reload the slot map (bounded); a failure leaves the old map, which the pass check then reports. */
function refreshSlots(cluster: Cluster): Promise<void> {
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

const CLUSTER_SLOTS = 16384;

/** Slots of the cluster client's slot map that no master in `masters` serves, grouped by the node the map names. */
export interface UncoveredSlots {
  /** `host:port` the slot map still names for these slots ("none" when no node serves them). */
  node: string;
  /** e.g. `5461-10922` or `0-99, 200`. */
  slots: string;
}

/**
 * The masters a keyspace pass must scan, checked against the cluster client's slot map. When a
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

/** `passMasters`, throwing a `ConnectionError` that names the uncovered slots (read-only passes). */
export function coveredMasters(connection: RedisConnection): Redis[] {
  const { masters, uncovered } = passMasters(connection);
  if (uncovered.length > 0) throw uncoveredError(connection, uncovered);
  return masters;
}

/** The error for slots no reachable master serves. */
export function uncoveredError(connection: RedisConnection, uncovered: UncoveredSlots[]): ConnectionError {
  const where = uncovered.map((u) => `${u.node} (slots ${u.slots})`).join('; ');
  return new ConnectionError(`No reachable master serves part of ${connection.target}: ${where} not scanned`, {
    hint: 'a master went away and its replica has not taken over yet (or this client has not learnt it); run again once CLUSTER INFO says cluster_state:ok',
  });
}

/** The slot ranges the client's slot map gives `node` (cluster only), e.g. `5461-10922`. */
export function slotsOfNode(connection: RedisConnection, node: string): string | undefined {
  const { client } = connection;
  if (!(client instanceof Cluster)) return undefined;
  const slots: number[] = [];
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) if (client.slots[slot]?.[0] === node) slots.push(slot);
  return slots.length > 0 ? formatSlots(slots) : undefined;
}

/** Sorted slot numbers as ranges: `[0,1,2,5]` → `0-2, 5`. */
function formatSlots(slots: number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < slots.length;) {
    let j = i;
    while (j + 1 < slots.length && slots[j + 1] === slots[j]! + 1) j++;
    ranges.push(i === j ? String(slots[i]) : `${slots[i]}-${slots[j]}`);
    i = j + 1;
  }
  return ranges.join(', ');
}
