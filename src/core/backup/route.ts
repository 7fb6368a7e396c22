/**
 * Sending per-key commands to the right master: on a cluster each key goes to the master serving
 * its hash slot, so a pipeline never mixes nodes; standalone and sentinel have one node.
 */
import { Cluster, type Redis } from 'ioredis';
import type { RedisConnection } from '../../redis/connect.js';
import { keySlot } from '../keyspace/slot.js';

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

/** True for cluster redirections: the key moved; retry through the cluster client. */
export function isRedirect(error: Error | null | undefined): boolean {
  return !!error && /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b/.test(error.message);
}
