/**
 * The cron jobs of an ecosystem file with their next runs, plus the lint findings: what
 * `cachectl schedule` shows and what `pm2-status` uses for "next run".
 */
import { checkCron, cronDisabled } from './cron.js';
import { appName, lintEcosystem, type Ecosystem, type LintFinding } from './ecosystem.js';
import { cachectlCommandOf, isCachectlScript } from './commands.js';

export interface ScheduledJob {
  app: string;
  cron: string;
  /** The cachectl command it runs (`maintenance`…), or undefined for another script. */
  command: string | undefined;
  args: string;
  autorestart: boolean;
  valid: boolean;
  error?: string;
  /** Something to know about a valid expression (what `?` means under PM2). */
  note?: string;
  /** Next runs as ISO-8601 instants. */
  next: string[];
}

export interface ScheduleReport {
  file: string;
  timezone: string;
  jobs: ScheduledJob[];
  findings: LintFinding[];
}

export interface ScheduleOptions {
  tz: string;
  runs: number;
  from?: Date;
  /** cachectl commands that exist (for the args check). */
  commands?: readonly string[];
  /** config.maintenance.schedule: compared with the app that runs `maintenance`. */
  maintenanceSchedule?: string;
}

/** Every app with a cron_restart, validated, with its next `runs` runs in `tz`. */
export function scheduleReport(eco: Ecosystem, options: ScheduleOptions): ScheduleReport {
  const jobs: ScheduledJob[] = [];
  eco.apps.forEach((app, index) => {
    if (cronDisabled(app.cron_restart)) return;
    const cron = String(app.cron_restart);
    const check = checkCron(app.cron_restart, { tz: options.tz, count: options.runs, from: options.from });
    const command = isCachectlScript(app.script) ? cachectlCommandOf(app.args) : undefined;
    jobs.push({
      app: appName(app, index),
      cron,
      command,
      args: Array.isArray(app.args) ? app.args.join(' ') : (app.args ?? ''),
      autorestart: app.autorestart !== false,
      valid: check.valid,
      ...(check.valid ? {} : { error: check.error }),
      ...(check.valid && check.note ? { note: check.note } : {}),
      next: check.valid ? check.next.map((d) => d.toISOString()) : [],
    });
  });
  const findings = lintEcosystem(eco, { commands: options.commands, tz: options.tz });
  const maintenance = jobs.find((j) => j.command === 'maintenance');
  if (options.maintenanceSchedule && maintenance && maintenance.cron.trim() !== options.maintenanceSchedule.trim()) {
    findings.push({
      app: maintenance.app,
      level: 'warn',
      message: `runs maintenance at "${maintenance.cron}" but config maintenance.schedule is "${options.maintenanceSchedule}" (doctor's overdue check uses the config)`,
    });
  }
  return { file: eco.file, timezone: options.tz, jobs, findings };
}
