/**
 * `cachectl ttl`: how the keys of every family with a TTL policy (`ttlSeconds`) stand against it,
 * per family and master; `cachectl ttl apply`: give them the policy (keys without a TTL; with
 * `--cap`, also keys whose TTL is above it), in bounded server-side steps with the safety lifecycle.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ttlApplyOperation, ttlApplySpec, type TtlApplySummary } from '../../core/operations/ttl.js';
import { formatCount, humanDuration } from '../../core/stats/format.js';
import { ttlReport, type TtlCounts, type TtlReport } from '../../core/ttl/report.js';
import type { CliContext } from '../context.js';
import { logFormatOption } from '../log-format.js';
import { runDestructive, type DestructiveFlags } from '../destructive.js';
import type { Output } from '../output.js';
import { integerParser } from '../parsers.js';
import { formatMs } from '../run-summary.js';

interface ApplyFlags extends DestructiveFlags {
  missing: boolean;
  cap?: boolean;
  jitter?: number;
}

/** "10%", "0.1" → 0.1 (0 … 50%). */
export function parseJitter(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(%)?$/.exec(value.trim());
  const share = match ? Number(match[1]) / (match[2] ? 100 : 1) : NaN;
  if (!(share >= 0 && share <= 0.5)) throw new InvalidArgumentError(`expected a share from 0% to 50% (e.g. 10%), got "${value}".`);
  return share;
}

export function ttlCommand(ctx: CliContext): Command {
  const ttl = new Command('ttl')
    .description('TTL policy per family (ttlSeconds): keys without a TTL or above the policy, and the spread; "ttl apply" enforces it')
    .argument('[families...]', 'only these families (default: every family with ttlSeconds)')
    .addHelpText(
      'after',
      `
Read-only: one server-side pass per master; only counts cross the network.

Examples:
  $ cachectl ttl
  $ cachectl ttl convMapping --json
  $ cachectl ttl apply --dry-run
  $ cachectl ttl apply --jitter 10% --yes
  $ cachectl ttl apply --cap --yes            # also lower TTLs above the policy`,
    )
    .action(async (families: string[]) => {
      const report = await ttlReport(await ctx.connection(), ctx.config(), {
        ...(families.length > 0 ? { families } : {}),
        ...(ctx.options.tenant !== undefined ? { tenant: ctx.options.tenant } : {}),
        signal: ctx.signal,
      });
      ctx.output.result(report, printReport);
      const missing = report.families.reduce((n, f) => n + f.noTtl, 0);
      if (missing > 0) ctx.output.hint(`${formatCount(missing)} key(s) have no TTL: "cachectl ttl apply --dry-run" shows what applying the policy would do`);
    });

  const apply = new Command('apply')
    .description('set the policy TTL on keys without one (default) and, with --cap, lower TTLs above it')
    .argument('[families...]', 'only these families (default: every family with ttlSeconds)')
    .addOption(new Option('--missing', 'keys without a TTL get the policy TTL').default(true, 'on'))
    .option('--no-missing', 'leave keys without a TTL alone (with --cap)')
    .option('--cap', 'also lower TTLs above the policy to the policy')
    .option('--jitter <share>', 'shorten each applied TTL by up to this share, chosen per key (e.g. 10%), so keys do not all expire at once', parseJitter)
    .option('--dry-run', 'count the keys that would get a TTL; change nothing')
    .option('-y, --yes', 'go ahead without asking (needed without a terminal for large runs)')
    .option('--limit <n>', 'stop after N keys', integerParser(1))
    .option('--rate <n>', 'at most N keys per second', integerParser(1))
    .option('--batch <n>', 'at most N keys per server call (default scan.serverBatch)', integerParser(1, 100_000))
    .addOption(logFormatOption())
    .addHelpText(
      'after',
      `
Whether a key qualifies is decided again on the server when its TTL is set (PTTL and PEXPIRE in
one script call): a key written with a TTL, or given one, while the run goes is left as it is.
Nothing is deleted and no value crosses the network. The TTL set is the family's ttlSeconds, less
up to --jitter of it (the same key always gets the same share).`,
    )
    .action(async (families: string[], flags: ApplyFlags) => {
      const options = {
        ...(families.length > 0 ? { families } : {}),
        missing: flags.missing,
        ...(flags.cap ? { cap: true } : {}),
        ...(flags.jitter !== undefined ? { jitter: flags.jitter } : {}),
        ...(ctx.options.tenant !== undefined ? { tenant: ctx.options.tenant } : {}),
      };
      const spec = ttlApplySpec(ctx.config(), options);
      await runDestructive<TtlApplySummary>(ctx, flags, {
        label: 'ttl apply',
        build: (engine, env) => ttlApplyOperation(env.connection, env.config, spec, engine, options),
        render: printApply,
      });
    });
  ttl.addCommand(apply);
  ttl.hook('preSubcommand', (parent, sub) => {
    sub.copyInheritedSettings(parent);
  });
  return ttl;
}

function ttlText(seconds: number | null): string {
  return seconds === null ? '-' : humanDuration(seconds);
}

function printReport(report: TtlReport, out: Output): void {
  out.line(
    `TTL policy · ${report.families.length} famil${report.families.length === 1 ? 'y' : 'ies'} · scanned ${formatCount(report.scanned)} · ${formatMs(report.durationMs)}`,
  );
  const head = ['family', 'policy', 'keys', 'no TTL', 'above policy', 'min', 'max', ...report.spreadLabels];
  const row = (label: string, policy: string, c: TtlCounts) => [
    label,
    policy,
    formatCount(c.keys),
    formatCount(c.noTtl),
    formatCount(c.aboveTtl),
    ttlText(c.minSeconds),
    ttlText(c.maxSeconds),
    ...c.spread.map((n) => formatCount(n)),
  ];
  const rows: Array<Array<string | number>> = [];
  for (const family of report.families) {
    rows.push(row(family.tenant !== undefined ? `${family.family} (tenant ${family.tenant})` : family.family, humanDuration(family.ttlSeconds), family));
    if (family.nodes.length > 1) for (const node of family.nodes) rows.push(row(`  ${node.node}`, '', node));
  }
  out.table(head, rows, { align: head.map((_, i) => (i === 0 ? 'left' : 'right')) });
  if (report.skippedFamilies.length > 0) out.info(`skipped (not tenant-scoped): ${report.skippedFamilies.join(', ')}`);
}

function printApply(summary: TtlApplySummary, out: Output): void {
  const c = out.color;
  const what = summary.apply === 'missing' ? 'without a TTL' : summary.apply === 'above' ? 'with a TTL above the policy' : 'without a TTL or above the policy';
  const jitter = summary.jitter > 0 ? ` (jitter up to ${Math.round(summary.jitter * 1000) / 10}%)` : '';
  if (summary.dryRun)
    out.line(
      `${c.bold('dry run')}: ${formatCount(summary.applied)} key(s) ${what} would get the policy TTL (nothing was changed) · scanned ${formatCount(summary.scanned)} · ${formatMs(summary.durationMs)}`,
    );
  else {
    const failed = summary.failed > 0 ? ` · ${c.red(`${formatCount(summary.failed)} failed`)}` : '';
    out.line(
      `${c.green('TTL set')} on ${formatCount(summary.applied)} key(s) ${what}${jitter}${failed} · scanned ${formatCount(summary.scanned)} · ${formatMs(summary.durationMs)}`,
    );
  }
  // Without --cap, keys that have a TTL are passed over before family matching: no "kept" column.
  const kept = summary.apply !== 'missing';
  out.table(
    ['family', 'policy', summary.dryRun ? 'would set' : 'set', ...(kept ? ['TTL within policy'] : [])],
    summary.families.map((f) => [f.family, humanDuration(f.ttlSeconds), formatCount(f.applied), ...(kept ? [formatCount(f.kept)] : [])]),
    { align: ['left', 'right', 'right', 'right'] },
  );
  if (summary.dryRun && summary.sample && summary.sample.length > 0) {
    out.line(`sample (${summary.sample.length} of ${formatCount(summary.applied)}):`);
    for (const key of summary.sample) out.line(`  ${key}`);
  }
}
