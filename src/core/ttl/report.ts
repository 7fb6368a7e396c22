/**
 * `cachectl ttl`: how the keys of every family with a TTL policy stand against it, per family and
 * per master — keys without a TTL, keys whose TTL is above the policy, and the spread of the
 * remaining TTLs (min, max, and counts by range). One read-only pass per master, in bounded
 * server-side steps (`ttl-report-step.lua`): only counts cross the network.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';
import { nodeFeatures } from '../../redis/features.js';
import { coveredMasters, readyMasters } from '../../redis/topology.js';
import { KeyGuard } from '../guard.js';
import { compileRules, type PassRule } from '../keyspace/rules.js';
import { int, runScript } from '../scripts/index.js';
import { withTenantTtl } from '../tenant-policies.js';
import { ttlPlan } from './plan.js';
import { compareNodeNames } from '../../redis/node-order.js';

/** Upper edges of the spread's ranges (seconds); the last range is "above the last edge". */
export const SPREAD_EDGES_SECONDS = [60, 3600, 86_400, 7 * 86_400, 30 * 86_400] as const;
/** Labels of the ranges, in order. */
export const SPREAD_LABELS = ['≤1m', '≤1h', '≤1d', '≤7d', '≤30d', '>30d'] as const;

export interface TtlCounts {
  keys: number;
  /** Keys without a TTL. */
  noTtl: number;
  /** Keys whose remaining TTL is above the policy. */
  aboveTtl: number;
  /** Smallest / largest remaining TTL among keys with one (seconds; null when none has one). */
  minSeconds: number | null;
  maxSeconds: number | null;
  /** Keys with a TTL per range of `SPREAD_LABELS`. */
  spread: number[];
}

export interface TtlFamilyReport extends TtlCounts {
  family: string;
  /** A tenant with its own policy (tenantPolicies): this row is its keys only, the family's row the others'. */
  tenant?: string;
  template: string;
  ttlSeconds: number;
  /** Per master (`host:port`). */
  nodes: Array<TtlCounts & { node: string }>;
}

export interface TtlReport {
  timestamp: string;
  durationMs: number;
  /** Keys the pass covered (sum of DBSIZE at the start). */
  scanned: number;
  families: TtlFamilyReport[];
  /** Range labels of `spread`. */
  spreadLabels: string[];
  /** Families restricted to a tenant leave out the ones not tenant-scoped. */
  skippedFamilies: string[];
}

export interface TtlReportOptions {
  families?: string[];
  tenant?: string;
  /** SCAN COUNT per step (default config.scan.count). */
  count?: number;
  signal?: AbortSignal;
}

/** Read every family's TTL standing (read-only). */
export async function ttlReport(connection: RedisConnection, config: CachectlConfig, options: TtlReportOptions = {}): Promise<TtlReport> {
  const began = performance.now();
  const scope = options.tenant !== undefined ? { tenant: options.tenant } : {};
  // Tenants with their own TTL policy (tenantPolicies) get rows of their own, judged by it.
  const plan = withTenantTtl(config, ttlPlan(config, { ...(options.families ? { families: options.families } : {}), ...scope }), scope);
  await readyMasters(connection);
  const masters = coveredMasters(connection);
  const rules: PassRule[] = plan.selections.map((s, i) => ({
    target: i,
    pattern: s.kind === 'pattern' ? s.pattern : Buffer.alloc(0),
    condition: s.kind === 'pattern' && s.condition ? s.condition : { mode: 'all' },
  }));
  const compiled = compileRules(rules, { native: false });
  // One MATCH for all families (their shared literal prefix) when there is one.
  const match = compileRules(rules).match;
  const guard = new KeyGuard(config, options.tenant !== undefined ? { tenant: options.tenant } : {}).scriptArgs();
  const edges = SPREAD_EDGES_SECONDS.map((s) => s * 1000);
  const families: TtlFamilyReport[] = compiled.rules.map((rule) => {
    const selection = plan.selections[rule.target]!;
    const family = config.families[selection.family!]!;
    const ttlMs = rule.condition.mode === 'ttl' ? rule.condition.ttlMs : family.ttlSeconds! * 1000;
    const tenant = selection.label !== family.name ? /\(tenant (.*)\)$/.exec(selection.label)?.[1] : undefined;
    return {
      family: family.name,
      ...(tenant !== undefined ? { tenant } : {}),
      template: family.template,
      ttlSeconds: Math.round(ttlMs / 1000),
      ...emptyCounts(),
      nodes: [],
    };
  });
  let scanned = 0;
  await Promise.all(
    masters.map(async (node) => {
      const name = connection.nodeName(node);
      scanned += await node.dbsize();
      const perNode = compiled.rules.map(() => emptyCounts());
      const flags = (await nodeFeatures(node)).scriptFlags;
      let cursor = '0';
      do {
        if (options.signal?.aborted) throw new Error('interrupted');
        const reply = await runScript(
          node,
          'ttl-report-step',
          flags,
          [],
          [cursor, match ?? '', options.count ?? config.scan.count, ...guard, ...compiled.args, edges.length, ...edges],
        );
        cursor = String(reply[0]);
        decode(reply, perNode, edges.length + 1);
      } while (cursor !== '0');
      perNode.forEach((counts, i) => {
        families[i]!.nodes.push({ node: name, ...counts });
        add(families[i]!, counts);
      });
    }),
  );
  for (const family of families) family.nodes.sort((a, b) => compareNodeNames(a.node, b.node));
  return {
    timestamp: new Date().toISOString(),
    durationMs: Math.round(performance.now() - began),
    scanned,
    families,
    spreadLabels: [...SPREAD_LABELS],
    skippedFamilies: plan.skippedFamilies,
  };
}

function emptyCounts(): TtlCounts {
  return { keys: 0, noTtl: 0, aboveTtl: 0, minSeconds: null, maxSeconds: null, spread: SPREAD_LABELS.map(() => 0) };
}

function decode(reply: unknown[], into: TtlCounts[], buckets: number): void {
  let i = 2;
  for (const counts of into) {
    const min = int(reply[i + 3]);
    const max = int(reply[i + 4]);
    add(counts, {
      keys: int(reply[i]),
      noTtl: int(reply[i + 1]),
      aboveTtl: int(reply[i + 2]),
      minSeconds: min < 0 ? null : Math.floor(min / 1000),
      maxSeconds: max < 0 ? null : Math.ceil(max / 1000),
      spread: Array.from({ length: buckets }, (_, b) => int(reply[i + 5 + b])),
    });
    i += 5 + buckets;
  }
}

function add(to: TtlCounts, from: TtlCounts): void {
  to.keys += from.keys;
  to.noTtl += from.noTtl;
  to.aboveTtl += from.aboveTtl;
  if (from.minSeconds !== null) to.minSeconds = to.minSeconds === null ? from.minSeconds : Math.min(to.minSeconds, from.minSeconds);
  if (from.maxSeconds !== null) to.maxSeconds = to.maxSeconds === null ? from.maxSeconds : Math.max(to.maxSeconds, from.maxSeconds);
  from.spread.forEach((n, b) => (to.spread[b] = (to.spread[b] ?? 0) + n));
}
