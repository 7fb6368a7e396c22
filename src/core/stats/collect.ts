/**
 * `collectStats`: what is in the server. INFO on every master, then one of
 * - census: the keyspace is no bigger than the sample, so every key is inspected (exact);
 * - sample (default): RANDOMKEY draws spread over the masters estimate counts and shares;
 * - exact: one server-side SCAN pass counts every key and its TTL, and inspects every n-th
 *   family key on the way (memory, idle time, TTL median) so that about `sample` are inspected.
 * Then BullMQ queues and the maintenance record. Queues come from the full pass when there is one;
 * the sampled mode takes them from the last maintenance record plus the sample (queue-sources.ts),
 * or from a SCAN MATCH pass of its own with `scanQueues`. Read-only throughout.
 */
import type { CachectlConfig } from '../../config/load.js';
import { PartialError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { discoverQueues, queueCounts, refFromMetaKey, type QueueRef } from '../queues/discovery.js';
import { assembleFamilies, assembleTenants, assembleTop, assembleUnknown, share, summarize } from './assemble.js';
import { readRuns, type MaintenanceRun } from '../records/runs.js';
import { ownKeys } from '../records/own-keys.js';
import { judgeMaintenance, lastQueueList, RUNS_READ, type MaintenanceStatus } from './maintenance.js';
import { buildMatchers } from './matchers.js';
import { randomPass, scanPass, type MasterPlan, type PassOptions } from './passes.js';
import { aggregate, isLfu, masterStats } from './server.js';
import type { KeyTally } from './tally.js';
import { checkQueueShapes, describeMalformed, type MalformedQueue } from '../queues/shape.js';
import { queuesFromRecordAndSample } from './queue-sources.js';
import type { QueueDiscovery, QueueStats, StatsOptions, StatsResult } from './types.js';

export const DEFAULT_SAMPLE = 10_000;
export const DEFAULT_NAMESPACE_DEPTH = 1;
export const DEFAULT_TOP_NAMESPACES = 10;
/** Tenant namespaces are `tenant:<id>:` (see core/tenant.ts). */
const TENANT_PREFIX = 'tenant:';
/** COUNT of the SCAN calls that look for queues (MATCH filters on the server, so large is cheap). */
const DISCOVERY_COUNT = 10_000;

/** Collect everything `cachectl stats` shows. Throws `PartialError` when the signal stops it. */
export async function collectStats(connection: RedisConnection, config: CachectlConfig, options: StatsOptions = {}): Promise<StatsResult> {
  const started = performance.now();
  const now = options.now ?? new Date();
  const sample = options.sample ?? DEFAULT_SAMPLE;
  const depth = options.namespaceDepth ?? DEFAULT_NAMESPACE_DEPTH;
  const warnings: string[] = [];
  const malformed: MalformedQueue[] = [];
  const families = Object.values(config.families);
  const progress = options.onProgress;
  try {
    progress?.({ phase: 'server', done: 0, total: 0 });
    const nodes = connection.masters();
    const masters = await Promise.all(nodes.map((node) => masterStats(connection, node, warnings)));
    const plans: MasterPlan[] = nodes.map((node, i) => ({ node, keys: masters[i]!.keys, idleAllowed: !isLfu(masters[i]!.memory.policy) }));
    const totalKeys = plans.reduce((sum, p) => sum + p.keys, 0);
    const passOptions: PassOptions = {
      matchers: buildMatchers(families, config.queues.prefixes),
      familyCount: families.length,
      depth,
      count: config.scan.count,
      signal: options.signal,
      top: options.top ?? 0,
      ttlCeilingsMs: families.map((f) => (f.ttlSeconds ?? 0) * 1000),
      ...(options.tenants ? { tenantPrefix: TENANT_PREFIX } : {}),
      ...(options.pacer ? { pacer: options.pacer } : {}),
    };

    const census = totalKeys <= sample;
    const exact = census || options.exact === true;
    // --scan-queues without a full pass: a MATCH scan for every queue, alongside the draws.
    const discovery =
      options.skipQueues || exact || !options.scanQueues
        ? undefined
        : discoverQueues(connection, config.queues.prefixes, { signal: options.signal, count: DISCOVERY_COUNT, onMalformed: (m) => malformed.push(...m) });
    discovery?.catch(() => undefined); // awaited below; a failing pass must not leave it unhandled
    // The run record gives the maintenance status and, in sampled mode, the queues it last found.
    const runs = readRuns(connection, ownKeys(config).runs, RUNS_READ).then(
      (list): MaintenanceRun[] | Error => list,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    let tally: KeyTally;
    if (exact) {
      passOptions.onStep = (done) => progress?.({ phase: 'scan', done, total: totalKeys });
      // Inspect about `sample` family keys along the way (every key in a census).
      const scanned = await scanPass(plans, passOptions, census ? 1 : Math.max(1, Math.ceil(totalKeys / sample)));
      stopIfIncomplete(scanned.complete, 'scan');
      tally = scanned.tally;
    } else {
      passOptions.onStep = (done) => progress?.({ phase: 'sample', done, total: sample });
      const drawn = await randomPass(plans, passOptions, sample);
      stopIfIncomplete(drawn.complete, 'sample');
      tally = drawn.tally;
    }
    const lfu = plans.some((p) => !p.idleAllowed);
    if (lfu) warnings.push('idle time unknown: an LFU maxmemory-policy does not track it (OBJECT IDLETIME)');

    progress?.({ phase: 'queues', done: 0, total: 0 });
    const record = await runs;
    if (record instanceof Error) warnings.push(`maintenance record unreadable: ${record.message}`);
    let refs: QueueRef[] = [];
    let queueDiscovery: QueueDiscovery | null = null;
    if (options.skipQueues) {
      // nothing to find
    } else if (exact || discovery) {
      refs = discovery ? await discovery : refsFromMetaKeys([...tally.metaKeys.values()], config.queues.prefixes);
      queueDiscovery = { method: 'full-pass' };
    } else {
      const list = record instanceof Error ? undefined : lastQueueList(record);
      const problem = record instanceof Error ? 'maintenance record unreadable: queues found from the sample only; run with --scan-queues for all' : undefined;
      ({ refs, discovery: queueDiscovery } = await queuesFromRecordAndSample(connection, config.queues.prefixes, list, tally.sampledQueueKeys, problem));
    }
    if (options.signal?.aborted) stopIfIncomplete(false, 'queue discovery');
    if (!discovery && refs.length > 0) {
      const checked = await checkQueueShapes(connection, refs);
      refs = checked.queues;
      malformed.push(...checked.malformed);
    }
    for (const m of malformed) warnings.push(describeMalformed(m));
    const queues = await Promise.all(
      refs.map(async (ref): Promise<QueueStats> => ({ prefix: ref.prefix, name: ref.name, key: ref.key, counts: await queueCounts(connection, ref) })),
    );
    const maintenance = record instanceof Error ? null : maintenanceOf(record, config, now);

    const familyStats = assembleFamilies(families, tally, { total: totalKeys, exact, idleUnavailable: lfu ? 'LFU maxmemory-policy' : undefined });
    const { memory, keyspace } = aggregate(masters);
    const timestamp = now.toISOString();
    const result: StatsResult = {
      timestamp,
      target: connection.target,
      mode: connection.mode,
      durationMs: 0,
      sampling: {
        method: exact ? 'exact' : 'sample',
        requested: sample,
        inspected: exact && !census ? tally.inspected : tally.visited,
        everyKeyInspected: census,
      },
      server: { flavor: masters[0]?.flavor ?? 'redis', version: masters[0]?.version ?? 'unknown', masters },
      memory,
      keyspace,
      families: familyStats,
      queueKeys: { keys: Math.round(tally.queueKeys), share: share(tally.queueKeys, totalKeys) },
      unknown: assembleUnknown(tally, totalKeys, depth, options.topNamespaces ?? DEFAULT_TOP_NAMESPACES),
      queues,
      queueDiscovery,
      malformedQueues: malformed.map((m) => ({ queue: m.ref.key, key: m.key, found: m.found, expected: m.expected })),
      maintenance,
      summary: summarize(timestamp, keyspace.keys, familyStats, memory, queues),
      warnings,
    };
    if ((options.top ?? 0) > 0) result.top = assembleTop(families, tally, options.top!, exact, depth);
    if (options.tenants) result.tenants = assembleTenants(tally, config);
    result.durationMs = Math.round(performance.now() - started);
    return result;
  } catch (error) {
    if (error instanceof PartialError) throw error;
    throw connection.wrapError(error);
  }
}

function stopIfIncomplete(complete: boolean, phase: string): void {
  if (!complete) {
    throw new PartialError(`stats interrupted during the ${phase} pass; nothing was changed`, { phase }, { hint: 'run it again when you can let it finish' });
  }
}

/** The queues behind the `<prefix>:<name>:meta` keys a full pass saw (longest prefix wins). */
function refsFromMetaKeys(metaKeys: Buffer[], prefixes: string[]): QueueRef[] {
  const byLength = [...new Set(prefixes)].sort((a, b) => b.length - a.length);
  const found = new Map<string, QueueRef>();
  for (const key of metaKeys) {
    const ref = refFromMetaKey(key.toString('utf8'), byLength);
    if (ref) found.set(ref.key, ref);
  }
  return [...found.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function maintenanceOf(runs: MaintenanceRun[], config: CachectlConfig, now: Date): MaintenanceStatus {
  return judgeMaintenance(runs, {
    schedule: config.maintenance.schedule,
    timezone: config.maintenance.timezone,
    graceMinutes: config.doctor.maintenanceGraceMinutes,
    now,
  });
}
