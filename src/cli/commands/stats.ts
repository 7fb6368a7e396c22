/**
 * `cachectl stats`: what is in the server, per family, per namespace and per queue, and whether
 * maintenance runs. Tables, `--json`, or `--prometheus` for node_exporter's textfile collector.
 */
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { renderPrometheus } from '../../core/metrics/stats-metrics.js';
import { collectStats, DEFAULT_NAMESPACE_DEPTH, DEFAULT_SAMPLE, DEFAULT_TOP_NAMESPACES } from '../../core/stats/collect.js';
import { formatCount, humanBytes, humanDuration } from '../../core/stats/format.js';
import { describeTenantPolicy } from '../../core/tenant-policies.js';
import type { FamilyStats, StatsProgress, StatsResult } from '../../core/stats/types.js';
import type { CliContext } from '../context.js';
import { safe, type Output } from '../output.js';
import { QUEUE_COUNT_ALIGN, QUEUE_COUNT_HEADS, queueCountCells } from '../queue-columns.js';
import { integerParser } from '../parsers.js';
import { addOutputOption, addWatchOption, type WatchFlags } from '../view-options.js';
import { watchable } from '../watch.js';
import { printTopKeys } from './stats-top.js';

interface StatsFlags extends WatchFlags {
  sample: number;
  exact?: boolean;
  depth: number;
  namespaces: number;
  top?: number;
  prometheus?: boolean;
  queues: boolean;
  scanQueues?: boolean;
  tenants?: boolean;
}

export function statsCommand(ctx: CliContext): Command {
  return addWatchOption(addOutputOption(new Command('stats')))
    .description('what is in the cache: server, memory, keys per family (share, TTL, memory, idle), unknown namespaces, queues, maintenance')
    .option('--sample <n>', 'keys drawn at random to estimate counts, memory and idle time', integerParser(100, 10_000_000), DEFAULT_SAMPLE)
    .option('--exact', 'count every key and check its TTL (one server-side pass over the keyspace)')
    .option('--depth <n>', 'leading ":" segments that name a namespace of keys outside every family', integerParser(1, 10), DEFAULT_NAMESPACE_DEPTH)
    .option('--namespaces <n>', 'unknown namespaces to list', integerParser(1, 1000), DEFAULT_TOP_NAMESPACES)
    .option('--top <n>', 'list the n biggest keys (MEMORY USAGE) per family and of no family, with the size spread per family', integerParser(1, 1000))
    .option('--no-queues', 'skip BullMQ queue discovery and job counts')
    .option(
      '--scan-queues',
      'find every BullMQ queue with a SCAN MATCH pass (sampled mode otherwise lists the queues the last maintenance run found plus those the sample shows)',
    )
    .option('--tenants', "keys per tenant namespace (tenant:<id>:), which tenants the config lists, and each tenant's own policy (tenantPolicies)")
    .option('--prometheus', 'print Prometheus text format (for node_exporter --collector.textfile)')
    .addHelpText(
      'after',
      `
Counts and shares are estimated from --sample random keys unless --exact is given (or the keyspace
is smaller than the sample, when every key is inspected). Memory per family is always the mean
MEMORY USAGE of the sampled keys times the family's key count. Sampled mode lists the queues the
last \`cachectl maintenance\` run found plus those the sample shows (a line under the queue table
says so); --scan-queues or --exact finds every queue with a pass over the keyspace.

Examples:
  $ cachectl stats
  $ cachectl stats --exact --json | jq '.families[] | {name, keys, withoutTtl}'
  $ cachectl stats --scan-queues
  $ cachectl stats --top 20                  # biggest keys among the sampled ones
  $ cachectl stats --top 20 --exact          # every key measured: the real biggest keys
  $ cachectl stats --prometheus > /var/lib/node_exporter/textfile/cachectl.prom.$$ \\
      && mv /var/lib/node_exporter/textfile/cachectl.prom.$$ /var/lib/node_exporter/textfile/cachectl.prom`,
    )
    .action(async (flags: StatsFlags) => {
      if (flags.prometheus && ctx.output.json) {
        throw new UsageError('--prometheus and --json cannot be combined', { hint: 'pick one output format' });
      }
      if (flags.prometheus && flags.top !== undefined) {
        throw new UsageError('--top and --prometheus cannot be combined', {
          hint: 'key names are not metrics (unbounded labels): use --top with the tables or --json; the exporter exports the size spread',
        });
      }
      if (flags.scanQueues && !flags.queues) {
        throw new UsageError('--scan-queues and --no-queues cannot be combined', { hint: 'drop --no-queues to list queues, or --scan-queues to skip them' });
      }
      if (flags.prometheus && flags.watch !== undefined) {
        throw new UsageError('--watch and --prometheus cannot be combined', { hint: 'write the textfile from cron: node_exporter reads it when it scrapes' });
      }
      const config = ctx.config();
      await watchable(ctx, flags, async (out) => {
        const connection = await ctx.connection();
        const result = await collectStats(connection, config, {
          sample: flags.sample,
          exact: flags.exact === true,
          namespaceDepth: flags.depth,
          topNamespaces: flags.namespaces,
          ...(flags.top !== undefined ? { top: flags.top } : {}),
          skipQueues: !flags.queues,
          scanQueues: flags.scanQueues === true,
          ...(flags.tenants ? { tenants: true } : {}),
          signal: ctx.signal,
          onProgress: (p) => out.progress(progressText(p)),
        });
        out.clearProgress();
        for (const warning of result.warnings) out.warn(warning);
        if (flags.prometheus) out.streams.stdout.write(renderPrometheus(result));
        else out.result(result, printStats);
      });
    });
}

function progressText(p: StatsProgress): string {
  if (p.phase === 'scan') return `counting keys: ${formatCount(p.done)} / ${formatCount(p.total)}`;
  if (p.phase === 'sample') return `sampling keys: ${formatCount(p.done)} / ${formatCount(p.total)}`;
  return `reading ${p.phase}…`;
}

const n = formatCount;
// A narrow terminal: the idle key shortened; oldest idle, TTL spread, memory, share left out.
const FAMILY_FIT = { shrink: [0, 6], drop: [6, 4, 5, 2], short: { 4: 'TTL min/med/max', 5: 'memory' } };
const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

/** Render a stats result as tables. */
export function printStats(s: StatsResult, out: Output): void {
  const c = out.color;
  const name = s.server.flavor === 'valkey' ? 'Valkey' : 'Redis';
  const layout = s.mode === 'cluster' ? `cluster of ${s.server.masters.length} masters` : s.mode;
  const how =
    s.sampling.method === 'exact'
      ? s.sampling.everyKeyInspected
        ? 'every key inspected'
        : `exact counts, ${n(s.sampling.inspected)} keys sampled for memory/idle`
      : `estimated from ${n(s.sampling.inspected)} sampled keys`;
  out.paragraph(
    `${c.bold(`${name} ${s.server.version}`)}, ${layout}, ${n(s.keyspace.keys)} keys (${how}), ${s.timestamp}, ${(s.durationMs / 1000).toFixed(2)} s`,
    2,
  );
  out.line();
  out.table(
    ['master', 'uptime', 'clients', 'used', 'peak', 'rss', 'frag', 'maxmemory', 'policy'],
    s.server.masters.map((m) => [
      m.address,
      humanDuration(m.uptimeSeconds),
      m.connectedClients,
      humanBytes(m.memory.usedBytes),
      humanBytes(m.memory.peakBytes),
      humanBytes(m.memory.rssBytes),
      m.memory.fragmentationRatio.toFixed(2),
      m.memory.maxmemoryBytes === null ? 'unknown' : m.memory.maxmemoryBytes === 0 ? 'none' : humanBytes(m.memory.maxmemoryBytes),
      m.memory.policy,
    ]),
    { align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'], fit: { shrink: [0], drop: [4, 5, 2, 1, 6] } },
  );
  out.table(
    ['master', 'db', 'keys', 'with TTL', 'expired', 'evicted', 'hit ratio'],
    s.server.masters.flatMap((m) =>
      (m.dbs.length > 0 ? m.dbs : [{ db: 0, keys: 0, keysWithExpiry: 0 }]).map((d) => {
        const lookups = m.keyspaceHits + m.keyspaceMisses;
        return [m.address, d.db, n(d.keys), n(d.keysWithExpiry), n(m.expiredKeys), n(m.evictedKeys), lookups === 0 ? '-' : pct(m.keyspaceHits / lookups)];
      }),
    ),
    { align: ['left', 'right', 'right', 'right', 'right', 'right', 'right'], fit: { shrink: [0], drop: [5, 4, 6] } },
  );
  const est = s.sampling.method === 'exact' ? '' : '~';
  out.table(
    ['family', 'keys', 'share', 'no TTL', 'TTL min / median / max', 'memory (sampled keys)', 'oldest idle'],
    s.families.map((f) => [
      f.name,
      `${est}${n(f.keys)}`,
      pct(f.share),
      noTtlCell(f, out),
      ttlCell(f),
      f.memory ? `${humanBytes(f.memory.bytes)} (${n(f.memory.sampleSize)})` : '-',
      idleCell(f),
    ]),
    { align: ['left', 'right', 'right', 'right', 'right', 'right', 'left'], fit: FAMILY_FIT },
  );
  if (s.top) printTopKeys(s.top, out);
  if (s.tenants) printTenants(s, out);
  out.paragraph(
    `queue keys: ${est}${n(s.queueKeys.keys)} (${pct(s.queueKeys.share)})    keys of no family: ${est}${n(s.unknown.keys)} (${pct(s.unknown.share)})`,
  );
  if (s.unknown.namespaces.length > 0) {
    const rows = s.unknown.namespaces.map((ns) => [safe(ns.namespace), `${est}${n(ns.keys)}`, pct(ns.share)]);
    if (s.unknown.otherKeys > 0) rows.push([`(${n(s.unknown.otherNamespaces)} more namespaces)`, `${est}${n(s.unknown.otherKeys)}`, '']);
    out.table(['namespace (no family)', 'keys', 'share'], rows, { align: ['left', 'right', 'right'], fit: { shrink: [0], drop: [2] } });
  }
  if (s.queues.length > 0) {
    out.table(
      QUEUE_COUNT_HEADS,
      s.queues.map((q) => queueCountCells(q.key, q.counts, out)),
      { align: QUEUE_COUNT_ALIGN, fit: { shrink: [0], drop: [5, 6, 4, 7, 3] } },
    );
  } else out.line('queues: none found');
  const sourceLine = queueSourceLine(s);
  if (sourceLine) out.paragraph(c.dim(sourceLine), 2);
  printMaintenance(s, out);
}

/** Where the queue list came from, when it was not a full pass (undefined otherwise). */
export function queueSourceLine(s: StatsResult): string | undefined {
  const d = s.queueDiscovery;
  if (!d || d.method === 'full-pass') return undefined;
  const extra = [d.goneSinceRecord ? `${n(d.goneSinceRecord)} recorded queue(s) gone since` : '', d.method === 'sample' ? '' : (d.note ?? '')].filter(Boolean);
  const tail = extra.length > 0 ? ` (${extra.join('; ')})` : '';
  if (d.method === 'sample') return `queues: ${d.note ?? 'found from the sample only'}${tail}`;
  return `queues: as found by maintenance at ${d.asOf} plus the sample${tail}; \`stats --scan-queues\` or \`cachectl queues\` lists every queue`;
}

function noTtlCell(f: FamilyStats, out: Output): string {
  if (f.keys === 0) return '-';
  const text = `${n(f.withoutTtl)} (${pct(f.withoutTtlShare)})`;
  return f.ttlFlagged ? out.color.yellow(`${text} !`) : text;
}

function ttlCell(f: FamilyStats): string {
  if (!f.ttl) return '-';
  const median = f.ttl.medianSeconds === null ? '?' : humanDuration(f.ttl.medianSeconds);
  return `${humanDuration(f.ttl.minSeconds)} / ${median} / ${humanDuration(f.ttl.maxSeconds)}`;
}

function idleCell(f: FamilyStats): string {
  if (!f.idle) return '-';
  if ('unavailable' in f.idle) return f.idle.unavailable;
  return `${humanDuration(f.idle.maxSeconds)} ${f.idle.key}`;
}

function printMaintenance(s: StatsResult, out: Output): void {
  const m = s.maintenance;
  if (!m) return;
  const c = out.color;
  const last = m.lastRun
    ? `last run ${m.lastRun.startedAt} ${m.lastRun.status === 'ok' ? c.green('ok') : c.yellow(m.lastRun.status)}, removed ${n(m.lastRun.removed)}${m.lastRun.errors.length > 0 ? `, ${m.lastRun.errors.length} error(s)` : ''}`
    : 'never ran';
  const next = m.scheduleError ? c.red(`schedule "${m.schedule}" invalid: ${m.scheduleError}`) : `next due ${m.nextRunAt} (${m.schedule} ${m.timezone})`;
  out.paragraph(`maintenance: ${last}; ${next}${m.overdue ? c.red(' — OVERDUE') : ''}`, 2);
}

/** Keys per tenant namespace, whether the config lists it, and its own policy. */
function printTenants(s: StatsResult, out: Output): void {
  const est = s.sampling.method === 'exact' ? '' : '~';
  const rows = s.tenants!.tenants.map((t) => [
    safe(t.tenant),
    `${est}${n(t.keys)}`,
    t.listed ? 'yes' : 'no',
    t.policy ? describeTenantPolicy(t.policy) : "the families' own",
  ]);
  if (s.tenants!.otherKeys > 0) rows.push(['(more tenants)', `${est}${n(s.tenants!.otherKeys)}`, '', '']);
  out.table(['tenant', 'keys', 'listed', 'policy'], rows, { align: ['left', 'right', 'left', 'left'], fit: { shrink: [3, 0], drop: [2] } });
}
