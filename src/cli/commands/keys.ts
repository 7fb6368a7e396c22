/**
 * `cachectl keys`: list or count the keys a family selection or a glob matches — what
 * `invalidate` with the same arguments would remove. Read-only.
 */
import { formatCount } from '../../core/stats/format.js';
import { Command } from 'commander';
import { displayKey } from '../../core/display.js';
import { countKeys, listKeys } from '../../core/operations/keys.js';
import { getFamily, plan, type Plan } from '../../core/plan.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { integerParser } from '../parsers.js';
import { parsePlaceholderArgs } from '../placeholder-args.js';

interface KeysFlags {
  count?: boolean;
  limit?: number;
  scanTenants?: boolean;
}

export function keysCommand(ctx: CliContext): Command {
  return new Command('keys')
    .description('list (or --count) the keys of a family selection or a glob; read-only, uses SCAN, never KEYS')
    .argument('<family>', 'a family name, or "pattern" followed by a glob')
    .argument('[args...]', '--<placeholder> value pairs for a family; the glob after "pattern"')
    .option('--count', 'print how many keys match (per master with --json) instead of listing them')
    .option('--limit <n>', 'list at most N keys', integerParser(1))
    .option('--scan-tenants', 'scan every tenant:* namespace instead of the configured tenants')
    .allowUnknownOption()
    .addHelpText(
      'after',
      `
Keys are printed one per line, escaped the way redis-cli shows them (binary bytes as \\xNN, quoted).
Queue keys and cachectl's own keys are not listed (cache commands never touch them).

Examples:
  $ cachectl keys userState --limit 20
  $ cachectl keys convMapping --conversationId 0f8e-42
  $ cachectl keys pattern 'context:STORY-00*' --count
  $ cachectl keys chatList --deviceId device-1 --json | jq '.keys[]'`,
    )
    .action(async (target: string, args: string[], flags: KeysFlags) => {
      const config = ctx.config();
      const planned = planKeys(ctx, target, args, flags.scanTenants === true);
      const tenant = ctx.options.tenant !== undefined ? { tenant: ctx.options.tenant } : {};
      const connection = await ctx.connection();
      const op = { connection, config };
      const out = ctx.output;
      if (flags.count) {
        const summary = await countKeys(op, planned, { signal: ctx.signal, ...tenant });
        const data = {
          targets: summary.targets,
          count: summary.matched,
          skippedQueueKeys: summary.skippedQueueKeys,
          skippedOwnKeys: summary.skippedOwnKeys,
          nodes: summary.nodes.map((n) => ({ node: n.node, count: n.matched })),
          interrupted: summary.interrupted,
        };
        out.result(data, (d) => out.line(String(d.count)));
        if (summary.interrupted) ctx.fail(ExitCode.PARTIAL);
        return;
      }
      let count = 0;
      if (out.json) out.line(`{"targets":${JSON.stringify(planned.labels)},"keys":[`);
      for await (const { key } of listKeys(op, planned, { signal: ctx.signal, ...tenant, ...(flags.limit !== undefined ? { limit: flags.limit } : {}) })) {
        out.line(out.json ? `${count > 0 ? ',' : ''}${JSON.stringify(displayKey(key))}` : displayKey(key));
        count++;
      }
      const limitReached = flags.limit !== undefined && count >= flags.limit;
      if (out.json) out.line(`],"count":${count},"limitReached":${limitReached},"interrupted":${ctx.signal.aborted}}`);
      else out.info(`${formatCount(count)} key(s)${limitReached ? ' (--limit reached)' : ''}`);
      if (ctx.signal.aborted) ctx.fail(ExitCode.PARTIAL);
    });
}

function planKeys(ctx: CliContext, target: string, args: string[], scanTenants: boolean): Plan {
  const config = ctx.config();
  const scope = ctx.options.tenant !== undefined ? { tenant: ctx.options.tenant } : {};
  if (target === 'pattern') {
    const [glob, ...extra] = args;
    if (glob === undefined || glob === '') throw new UsageError('Missing a glob after "pattern"', { hint: "e.g. cachectl keys pattern 'context:*'" });
    if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`, { hint: 'run "cachectl keys --help" for the options' });
    return plan(config, [{ kind: 'pattern', pattern: glob }], scope);
  }
  const family = getFamily(config, target);
  return plan(config, [{ kind: 'family', family: family.name, values: parsePlaceholderArgs(args, family) }], {
    ...(scanTenants ? { scanTenants } : {}),
    ...scope,
  });
}
