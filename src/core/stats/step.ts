/**
 * Running `stats-step.lua` on one node and decoding its reply (EVALSHA, EVAL when the node does
 * not have it cached).
 */
import type { Redis } from 'ioredis';
import { runScript } from '../scripts/index.js';
import { matcherArgs, type LuaMatcher } from './matchers.js';

/** Aggregates of one family in one step. */
export interface FamilyStep {
  keys: number;
  withoutTtl: number;
  /** -1 when no key of the family had a TTL. */
  minTtlMs: number;
  maxTtlMs: number;
  /** Keys inspected (MEMORY USAGE, IDLETIME, TTL value). */
  inspected: number;
  memoryBytes: number;
  memorySampled: number;
  /** -1 when unknown. */
  maxIdleSeconds: number;
  idlestKey: Buffer | null;
  ttlsMs: number[];
}

export interface StepResult {
  cursor: string;
  visited: number;
  queueKeys: number;
  families: FamilyStep[];
  /** Namespace prefix (raw bytes, empty = no `:`) → keys. */
  namespaces: Array<[Buffer, number]>;
  metaKeys: Buffer[];
  /** Random draws only: the distinct queue keys drawn. */
  sampledQueueKeys: Buffer[];
}

export interface StepRequest {
  source: 'scan' | 'random';
  cursor: string;
  /** Keys to visit (scan: at least; random: draws). */
  budget: number;
  count: number;
  /** Inspect every n-th family key (1 = all, 0 = none). */
  inspectEvery: number;
  idleAllowed: boolean;
  depth: number;
  matchers: LuaMatcher[];
}

/** Run one step on `node`. */
export async function runStep(node: Redis, request: StepRequest): Promise<StepResult> {
  const args = [
    request.source,
    request.cursor,
    String(request.budget),
    String(request.count),
    String(request.inspectEvery),
    request.idleAllowed ? '1' : '0',
    String(request.depth),
    ...matcherArgs(request.matchers),
  ];
  return decode(await runScript(node, 'stats-step', false, [], args));
}

function decode(reply: unknown[]): StepResult {
  const [cursor, visited, queueKeys, families, namespaces, metaKeys, sampledQueueKeys] = reply as [
    Buffer,
    number,
    number,
    unknown[][],
    Buffer[],
    Buffer[],
    Buffer[] | undefined,
  ];
  const flat = namespaces ?? [];
  const pairs: Array<[Buffer, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i] as Buffer, num(flat[i + 1])]);
  return {
    cursor: cursor.toString(),
    visited: num(visited),
    queueKeys: num(queueKeys),
    families: (families ?? []).map((f) => ({
      keys: num(f[0]),
      withoutTtl: num(f[1]),
      minTtlMs: num(f[2]),
      maxTtlMs: num(f[3]),
      inspected: num(f[4]),
      memoryBytes: num(f[5]),
      memorySampled: num(f[6]),
      maxIdleSeconds: num(f[7]),
      idlestKey: Buffer.isBuffer(f[8]) ? f[8] : null,
      ttlsMs: ((f[9] as unknown[] | undefined) ?? []).map(num),
    })),
    namespaces: pairs,
    metaKeys: metaKeys ?? [],
    sampledQueueKeys: sampledQueueKeys ?? [],
  };
}

function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (Buffer.isBuffer(value)) return Number(value.toString());
  return Number(value ?? 0);
}
