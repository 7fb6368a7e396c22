/**
 * `cachectl pm2-status`: PM2's processes (status, restarts, memory, CPU, cron and its next run)
 * next to a short cache summary. Never starts a PM2 daemon to find out.
 */
import { Command } from 'commander';
import { pm2Home } from '../../core/pm2/client.js';
import { formatInZone, resolveZone } from '../../core/pm2/cron.js';
import { Pm2NotRunningError } from '../../core/pm2/errors.js';
import { assertPm2Installed } from '../../core/pm2/installed.js';
import { collectCacheSummary, collectPm2, type Pm2Status } from '../../core/pm2/status.js';
import { ownKeys } from '../../core/records/own-keys.js';
import { formatBytes, shortDuration } from '../../core/stats/format.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';

interface Pm2StatusFlags {
  tz?: string;
}

export function pm2StatusCommand(ctx: CliContext): Command {
  return new Command('pm2-status')
    .description('PM2 processes (status, pid, uptime, restarts, memory, CPU, cron and next run) and a cache summary')
    .option('--tz <zone>', 'IANA time zone for next runs (default: maintenance.timezone)')
    .addHelpText(
      'after',
      `
PM2_HOME selects the daemon (default ~/.pm2). When no daemon is running there, the cache summary
is still shown and the exit code is 3. Needs pm2 (an optional dependency): exit code 2 without it.

Examples:
  $ cachectl pm2-status
  $ PM2_HOME=/srv/app/.pm2 cachectl pm2-status --json`,
    )
    .action(async (flags: Pm2StatusFlags) => {
      assertPm2Installed('pm2-status');
      const config = ctx.config();
      const tz = resolveZone(flags.tz ?? config.maintenance.timezone);
      const home = pm2Home(ctx.env);
      const pm2 = await collectPm2(home, tz);
      let cache: Pm2Status['cache'];
      try {
        cache = await collectCacheSummary(await ctx.connection(), ownKeys(ctx.config()));
      } catch (error) {
        cache = { error: (error as Error).message };
        ctx.fail(3);
      }
      ctx.output.result<Pm2Status>({ pm2, timezone: tz, cache }, printStatus);
      if (!pm2.running) {
        throw new Pm2NotRunningError(`no PM2 daemon is running for PM2_HOME=${home} (${pm2.reason ?? 'not found'})`, {
          hint: 'start the apps with "pm2 start ecosystem.config.cjs", or set PM2_HOME to the daemon\'s home',
        });
      }
    });
}

function printStatus(status: Pm2Status, out: Output): void {
  const c = out.color;
  const { pm2 } = status;
  if (!pm2.running) out.line(`PM2: ${c.red('no daemon running')} for ${pm2.home} (${pm2.reason})`);
  else if (pm2.processes.length === 0) out.line(`PM2 (daemon pid ${pm2.daemonPid}, ${pm2.home}): no processes`);
  else {
    out.line(`PM2 (daemon pid ${pm2.daemonPid}, ${pm2.home}), times in ${status.timezone}`);
    out.table(
      ['name', 'id', 'status', 'pid', 'uptime', 'restarts', 'memory', 'cpu', 'cron', 'next run'],
      pm2.processes.map((p) => [
        p.name,
        p.pmId,
        p.status === 'online' ? c.green(p.status) : p.status === 'errored' ? c.red(p.status) : p.status,
        p.pid || '-',
        p.uptimeMs === undefined ? '-' : shortDuration(p.uptimeMs / 1000),
        p.restarts,
        formatBytes(p.memoryBytes),
        `${p.cpuPercent}%`,
        p.cronRestart ?? '-',
        p.nextRun ? formatInZone(new Date(p.nextRun), status.timezone) : '-',
      ]),
      { align: ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'left', 'left'] },
    );
  }
  const cache = status.cache;
  if ('error' in cache) {
    out.line(`cache: ${c.red('unavailable')} (${cache.error})`);
    return;
  }
  out.line(`cache: ${cache.totalKeys} keys on ${cache.target} (${cache.mode}, ${cache.masters} master${cache.masters === 1 ? '' : 's'})`);
  const last = cache.lastMaintenance;
  out.line(
    last
      ? `last maintenance: ${last.status} at ${last.finishedAt ?? last.startedAt} (${last.errors.length} error(s)) on ${last.host}`
      : 'last maintenance: never recorded',
  );
  if (cache.maintenanceRunning) out.line(`maintenance running now: ${cache.maintenanceRunning}`);
}
