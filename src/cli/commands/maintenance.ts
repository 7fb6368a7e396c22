/**
 * `cachectl maintenance`: one locked, recorded run of the maintenance policy (meant for PM2 cron).
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { LockHeldError } from '../../errors.js';
import { redact } from '../../redact.js';
import { eventJson, eventText } from '../../core/maintenance/event-text.js';
import { runMaintenance, type MaintenanceOutcome } from '../../core/maintenance/run.js';
import { defaultSteps } from '../../core/maintenance/steps.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { integerParser, parseHours } from '../parsers.js';

interface MaintenanceFlags {
  hours?: number;
  rate?: number;
  logFormat: 'json' | 'text';
}

export function maintenanceCommand(ctx: CliContext): Command {
  return new Command('maintenance')
    .description('run the maintenance policy once, under a lock: clear-old per family, clean finished queue jobs, trim queue events, stats snapshot')
    .option('--hours <n>', "age threshold for every family (overrides maintenance.hours and each family's maxAgeHours)", parseHours)
    .option('--rate <keys/s>', 'ceiling on cache deletions per second (protects a busy server)', integerParser(1))
    .addOption(
      new Option('--log-format <format>', 'json: one JSON object per line on stdout (PM2 logs); text: readable lines')
        .choices(['json', 'text'])
        .default('text'),
    )
    .addHelpText(
      'after',
      `
Every run takes the lock cachectl:maintenance:lock (a second run exits with code 6), appends its
record to the stream cachectl:maintenance:runs and one JSON line to <logs.dir>/maintenance.log.

Exit codes: 0 every step succeeded · 5 partial (some steps failed, or interrupted) · 1 nothing
succeeded · 6 another run holds the lock · 3 cannot reach the server.

Examples:
  $ cachectl maintenance
  $ cachectl maintenance --hours 48
  $ cachectl maintenance --rate 2000         # at most 2000 deletions per second
  $ cachectl maintenance --log-format json      # as in ecosystem.config.cjs`,
    )
    .action(async (flags: MaintenanceFlags) => {
      releaseIdleStdin(ctx);
      const config = ctx.config();
      const connection = await ctx.connection();
      const out = ctx.output;
      const json = flags.logFormat === 'json';
      // Straight to stdout (one object per line, nothing else on it), through the same redaction as Output.
      const write = (line: string) => out.streams.stdout.write(`${redact(line)}\n`);
      let outcome: MaintenanceOutcome;
      try {
        outcome = await runMaintenance(connection, config, {
          steps: defaultSteps(config, { rate: flags.rate }),
          hours: flags.hours,
          signal: ctx.signal,
          logDir: path.resolve(ctx.environment.cwd, config.logs.dir),
          onEvent: (event) => {
            if (out.json && !json) return;
            if (json) return write(eventJson(event));
            if (event.type === 'warning') return out.warn(event.message);
            const text = eventText(event);
            if (text !== undefined) out.line(text);
          },
        });
      } catch (error) {
        if (error instanceof LockHeldError && json)
          write(JSON.stringify({ time: new Date().toISOString(), level: 'error', event: 'lock-held', message: error.message }));
        throw error;
      }
      if (out.json && !json) out.result({ ...outcome.run, recorded: outcome.recorded, logFile: outcome.logFile, exitCode: outcome.exitCode }, () => undefined);
      else if (!json) printHint(outcome, out);
      ctx.fail(outcome.exitCode);
    });
}

/**
 * Under PM2 (and in ssh sessions) stdin is a pipe nobody closes, and on Node 20 any ESM import of
 * `node:process` opens it; an idle open stdin keeps the process alive after the work is done, so
 * PM2 would show a finished run as `online` forever. These commands never read stdin: unref it.
 */
export function releaseIdleStdin(ctx: CliContext): void {
  const stdin = ctx.environment.streams.stdin as { isTTY?: boolean; unref?: () => void };
  if (!stdin.isTTY) stdin.unref?.();
}

function printHint(outcome: MaintenanceOutcome, out: Output): void {
  if (outcome.exitCode === 0) return;
  out.hint(
    `hint: exit ${outcome.exitCode}: ${outcome.run.status === 'partial' ? 'some steps did not finish; the rest was done' : 'no step succeeded'} (see the lines above and ${outcome.logFile ?? 'maintenance.log'})`,
  );
}
