/**
 * `cachectl ping`: is the server there, what is it, how fast does it answer.
 */
import { Command } from 'commander';
import { collectPing, type PingResult } from '../../core/ping.js';
import { shortDuration } from '../../core/stats/format.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { addOutputOption, addWatchOption, type WatchFlags } from '../view-options.js';
import { watchable } from '../watch.js';

export function pingCommand(ctx: CliContext): Command {
  return addWatchOption(addOutputOption(new Command('ping')))
    .alias('info')
    .description('check the connection: server version, mode (standalone / cluster masters / sentinel), latency, keys per master')
    .addHelpText(
      'after',
      `
Examples:
  $ cachectl ping
  $ cachectl ping --redis-url rediss://cache:6380 --tls-ca ca.pem
  $ cachectl ping --json | jq .totalKeys`,
    )
    .action(async (flags: WatchFlags) => {
      await watchable(ctx, flags, async (out) => {
        const connection = await ctx.connection();
        out.result(await collectPing(connection), printPing);
      });
    });
}

export function printPing(result: PingResult, out: Output): void {
  const c = out.color;
  const name = result.flavor === 'valkey' ? 'Valkey' : 'Redis';
  const layout = result.mode === 'cluster' ? `cluster of ${result.masters.length} masters` : result.mode;
  out.paragraph(
    `${c.green('PONG')} from ${result.target}: ${name} ${result.version}, ${layout}, ${result.totalKeys} keys, ${result.latencyMs.toFixed(2)} ms`,
    2,
  );
  out.table(
    ['master', 'server', 'keys', 'latency (ms)', 'uptime'],
    result.masters.map((m) => [m.address, `${m.flavor} ${m.version}`, m.keys, m.latencyMs.toFixed(2), shortDuration(m.uptimeSeconds)]),
    { align: ['left', 'left', 'right', 'right', 'right'], fit: { shrink: [0], drop: [4, 1] } },
  );
}
