/**
 * What a node can do, asked once per node: UNLINK (≥ 4.0), script flags (≥ 7.0), writes after
 * SCAN inside a script (effects replication, ≥ 3.2), and whether idle times are tracked (not
 * under an LFU maxmemory-policy).
 */
import type { Redis } from 'ioredis';
import { compareVersions, identify, parseInfo } from './server-info.js';

export interface NodeFeatures {
  /** The Redis protocol version the node claims (`redis_version`; Valkey 8 says 7.2.x). */
  redisVersion: string;
  /** UNLINK exists (else DEL). */
  unlink: boolean;
  /** `#!lua flags=…` is understood (needed on a cluster for keys of several slots). */
  scriptFlags: boolean;
  /** A script may write after a non-deterministic command such as SCAN. */
  scriptWritesAfterScan: boolean;
}

const known = new WeakMap<Redis, Promise<NodeFeatures>>();

/** Features of one node (cached per client object). */
export function nodeFeatures(node: Redis): Promise<NodeFeatures> {
  let pending = known.get(node);
  if (!pending) {
    pending = node.info('server').then((text) => featuresOf(identify(parseInfo(text)).redisVersion));
    // A failed probe must not stick: the next call asks again.
    pending.catch(() => known.delete(node));
    known.set(node, pending);
  }
  return pending;
}

/** Features implied by a `redis_version`. */
export function featuresOf(redisVersion: string): NodeFeatures {
  return {
    redisVersion,
    unlink: compareVersions(redisVersion, '4.0.0') >= 0,
    scriptFlags: compareVersions(redisVersion, '7.0.0') >= 0,
    scriptWritesAfterScan: compareVersions(redisVersion, '3.2.0') >= 0,
  };
}

/** The delete command for a node. */
export function deleteCommand(features: NodeFeatures): 'UNLINK' | 'DEL' {
  return features.unlink ? 'UNLINK' : 'DEL';
}

/** Whether idle times are tracked; `unknown` when the policy cannot be read. */
export interface IdlePolicy {
  tracked: boolean | 'unknown';
  policy?: string;
}

/**
 * Is `OBJECT IDLETIME` available on this node? Not under an LFU maxmemory-policy. When CONFIG is
 * denied (ACL, renamed command) the answer is "unknown" and the caller detects the error instead.
 */
export async function idlePolicy(node: Redis): Promise<IdlePolicy> {
  try {
    const reply = (await node.call('CONFIG', 'GET', 'maxmemory-policy')) as unknown;
    const flat = Array.isArray(reply) ? reply.map(String) : [];
    const policy = flat[1];
    if (policy === undefined) return { tracked: 'unknown' };
    return { tracked: !/lfu/i.test(policy), policy };
  } catch {
    return { tracked: 'unknown' };
  }
}

/** True for the error OBJECT IDLETIME raises under an LFU policy. */
export function isLfuError(error: unknown): boolean {
  return /LFU/i.test(String((error as Error)?.message ?? error)) && /idle/i.test(String((error as Error)?.message ?? error));
}
