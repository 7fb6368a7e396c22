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
  /** Keys whose remaining TTL is above the family's ceiling (ttlSeconds). */
  overTtl: number;
  /** MEMORY USAGE of the inspected keys (`top` > 0 only). */
  sizes: number[];
  /** The step's biggest keys, biggest first (`top` > 0 only). */
  top: SizedKey[];
}

/** A key and its MEMORY USAGE. */
export interface SizedKey {
  key: Buffer;
  bytes: number;
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
  /** Keys of no family (`top` > 0 only): how many were measured, their sizes, the biggest. */
  unknown: { inspected: number; sizes: number[]; top: SizedKey[] };
  /** Keys per tenant (`tenantPrefix` given only). */
  tenants: Array<[string, number]>;
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
  /** Biggest keys kept per family and among unknown keys (0 = none). */
  top?: number;
  /** Count keys per `<tenantPrefix><tenant>:` (undefined = do not). */
  tenantPrefix?: string;
  /** Per family (config order): TTL ceiling in ms, 0 = none. */
  ttlCeilingsMs?: number[];
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
    String(request.top ?? 0),
    request.tenantPrefix ?? '',
    ...ceilingArgs(request),
    ...matcherArgs(request.matchers),
  ];
  return decode(await runScript(node, 'stats-step', false, [], args));
}

/** The family count, then one TTL ceiling per family (the script sizes its tables from the count). */
function ceilingArgs(request: StepRequest): string[] {
  const familyCount = request.matchers.reduce((max, m) => Math.max(max, m.group), 0);
  const ceilings = Array.from({ length: familyCount }, (_, i) => String(Math.max(0, Math.round(request.ttlCeilingsMs?.[i] ?? 0))));
  return [String(familyCount), ...ceilings];
}

/** Flat `{ key, bytes, … }` into sized keys. */
function sizedKeys(flat: unknown): SizedKey[] {
  const list = (flat as unknown[] | undefined) ?? [];
  const out: SizedKey[] = [];
  for (let i = 0; i + 1 < list.length; i += 2) out.push({ key: list[i] as Buffer, bytes: num(list[i + 1]) });
  return out;
}

function decode(reply: unknown[]): StepResult {
  const [cursor, visited, queueKeys, families, namespaces, metaKeys, sampledQueueKeys, unknown, tenants] = reply as [
    Buffer,
    number,
    number,
    unknown[][],
    Buffer[],
    Buffer[],
    Buffer[] | undefined,
    unknown[] | undefined,
    Buffer[] | undefined,
  ];
  const flat = namespaces ?? [];
  const pairs: Array<[Buffer, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i] as Buffer, num(flat[i + 1])]);
  const tenantFlat = tenants ?? [];
  const tenantPairs: Array<[string, number]> = [];
  for (let i = 0; i + 1 < tenantFlat.length; i += 2) tenantPairs.push([tenantFlat[i]!.toString('utf8'), num(tenantFlat[i + 1])]);
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
      overTtl: num(f[10]),
      sizes: ((f[11] as unknown[] | undefined) ?? []).map(num),
      top: sizedKeys(f[12]),
    })),
    namespaces: pairs,
    metaKeys: metaKeys ?? [],
    sampledQueueKeys: sampledQueueKeys ?? [],
    unknown: { inspected: num(unknown?.[0]), sizes: ((unknown?.[1] as unknown[] | undefined) ?? []).map(num), top: sizedKeys(unknown?.[2]) },
    tenants: tenantPairs,
  };
}

function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (Buffer.isBuffer(value)) return Number(value.toString());
  return Number(value ?? 0);
}
