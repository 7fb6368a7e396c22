/**
 * `cachectl schedule`: the cron jobs of the PM2 ecosystem file, their next runs (time-zone
 * aware), and a lint of the file (keys PM2 ignores, restart loops, bad expressions).
 */
import { Command } from 'commander';
import { formatInZone, resolveZone } from '../../core/pm2/cron.js';
import { DEFAULT_ECOSYSTEM, loadEcosystem } from '../../core/pm2/ecosystem.js';
import { scheduleReport, type ScheduleReport } from '../../core/pm2/schedule.js';
import type { CliContext } from '../context.js';
import { registeredCommands } from '../command-names.js';
import type { Output } from '../output.js';
import { integerParser } from '../parsers.js';

interface ScheduleFlags {
  ecosystem: string;
  runs: number;
  tz?: string;
}

export function scheduleCommand(ctx: CliContext): Command {
  return new Command('schedule')
    .description('list the cron jobs of the PM2 ecosystem file with their next runs, and check the file')
    .option('--ecosystem <file>', 'PM2 ecosystem file', DEFAULT_ECOSYSTEM)
    .option('--runs <n>', 'how many next runs to show per job', integerParser(1, 100), 3)
    .option('--tz <zone>', 'IANA time zone for the times (default: maintenance.timezone, UTC)')
    .addHelpText(
      'after',
      `
PM2 fires cron_restart in the PM2 daemon's local time zone: give --tz (or maintenance.timezone)
the zone the daemon runs in. Exit code 1 when an expression is invalid or the file has a
problem PM2 would not report (e.g. pre_restart, or cron without autorestart: false).

Examples:
  $ cachectl schedule
  $ cachectl schedule --runs 5 --tz Africa/Johannesburg
  $ cachectl schedule --ecosystem deploy/ecosystem.config.cjs --json`,
    )
    .action(async function (this: Command, flags: ScheduleFlags) {
      const tz = resolveZone(flags.tz ?? ctx.config().maintenance.timezone);
      const eco = await loadEcosystem(flags.ecosystem, ctx.environment.cwd);
      const report = scheduleReport(eco, {
        tz,
        runs: flags.runs,
        commands: registeredCommands(),
        maintenanceSchedule: ctx.config().maintenance.schedule,
      });
      ctx.output.result(report, printSchedule);
      if (report.jobs.some((j) => !j.valid) || report.findings.some((f) => f.level === 'fail')) ctx.fail(1);
    });
}

/** Runs shown inside the table's cell; more are listed below it, one per line. */
const RUNS_IN_TABLE = 3;

function printSchedule(report: ScheduleReport, out: Output): void {
  const c = out.color;
  const when = (n: string) => formatInZone(new Date(n), report.timezone);
  out.line(`${report.file} (times in ${report.timezone})`);
  if (report.jobs.length === 0) out.line('no app has a cron_restart');
  else {
    out.table(
      ['app', 'cron', 'runs', 'check', 'next runs'],
      report.jobs.map((j) => [
        j.app,
        j.cron,
        j.command !== undefined ? `cachectl ${j.args}`.trim() : j.args || '-',
        j.valid ? c.green('ok') : c.red(`fail: ${j.error}`),
        [...j.next.slice(0, RUNS_IN_TABLE).map(when), ...(j.next.length > RUNS_IN_TABLE ? [`(${j.next.length} listed below)`] : [])].join('\n') || '-',
      ]),
    );
    // A tall cell makes the table layout slow and unreadable: long previews are plain lines.
    for (const j of report.jobs.filter((job) => job.next.length > RUNS_IN_TABLE)) {
      out.line(`next ${j.next.length} runs of ${j.app} (${j.cron}):`);
      for (const n of j.next) out.line(`  ${when(n)}`);
    }
  }
  for (const f of report.findings) {
    const tag = f.level === 'fail' ? c.red('fail') : c.yellow('warn');
    out.line(`${tag} ${f.app}: ${f.message}`);
  }
}
