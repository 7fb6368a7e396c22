/**
 * `cachectl doctor`: health checks with pass / warn / fail and a hint each. Exit code 1 when a
 * check fails (or warns, with --strict), so cron jobs and CI can act on it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { ConnectionError, ExitCode, UsageError } from '../../errors.js';
import { displayUrl } from '../../redact.js';
import { doctorUnreachable, runDoctor } from '../../core/doctor/run.js';
import type { CheckStatus, DoctorResult } from '../../core/doctor/types.js';
import { renderDoctorPrometheus } from '../../core/metrics/doctor-metrics.js';
import { DEFAULT_SAMPLE } from '../../core/stats/collect.js';
import type { CliContext } from '../context.js';
import { logFormatOption } from '../log-format.js';
import { registeredCommands } from '../command-names.js';
import type { Output } from '../output.js';
import { integerParser } from '../parsers.js';
import { addOutputOption } from '../view-options.js';

interface DoctorFlags {
  strict?: boolean;
  exact?: boolean;
  sample: number;
  /** A path, or false for --no-ecosystem. */
  ecosystem?: string | false;
  prometheus?: boolean;
}

export function doctorCommand(ctx: CliContext): Command {
  return addOutputOption(new Command('doctor'))
    .description('health checks: latency, version, eviction policy vs queues, keys without TTL, fragmentation, maintenance, queues, ecosystem file')
    .option('--strict', 'exit 1 on warnings too')
    .option('--exact', 'check the TTL of every key (one server-side pass) instead of a sample')
    .option('--sample <n>', 'keys drawn at random for the key checks', integerParser(100, 10_000_000), DEFAULT_SAMPLE)
    .option('--ecosystem <file>', 'PM2 ecosystem file to lint (default: ./ecosystem.config.cjs when present)')
    .option('--no-ecosystem', 'do not lint an ecosystem file')
    .option('--prometheus', 'print one cachectl_doctor_check_status gauge per check (Prometheus text format)')
    .addOption(logFormatOption())
    .addHelpText(
      'after',
      `
Each check reports pass, warn, fail (or skip when there is nothing to check) with a hint.
Exit code: 0 when no check fails (warnings allowed unless --strict), 1 otherwise.
Thresholds live in the "doctor" section of the config file.

Examples:
  $ cachectl doctor
  $ cachectl doctor --strict --json | jq '.checks[] | select(.status != "pass")'
  $ cachectl doctor --ecosystem deploy/ecosystem.config.cjs`,
    )
    .action(async (flags: DoctorFlags) => {
      const out = ctx.output;
      if (flags.prometheus && out.json) throw new UsageError('--prometheus and --json cannot be combined', { hint: 'pick one output format' });
      const cwd = ctx.environment.cwd;
      if (typeof flags.ecosystem === 'string' && !existsSync(path.resolve(cwd, flags.ecosystem))) {
        throw new UsageError(`ecosystem file not found: ${flags.ecosystem}`, { hint: 'give the path of your ecosystem.config.cjs, or --no-ecosystem' });
      }
      const config = ctx.config();
      const options = {
        sample: flags.sample,
        exact: flags.exact === true,
        ecosystemFile: flags.ecosystem === false ? null : flags.ecosystem,
        commands: registeredCommands(),
        cwd,
        signal: ctx.signal,
        onProgress: (phase: string) => out.progress(`checking ${phase}…`),
      };
      let result: DoctorResult;
      try {
        const connection = await ctx.connection();
        result = await runDoctor(connection, config, options);
      } catch (error) {
        if (!(error instanceof ConnectionError)) throw error;
        result = await doctorUnreachable(displayUrl(config.redis.url), error, config, options);
      }
      out.clearProgress();
      if (flags.prometheus) out.streams.stdout.write(renderDoctorPrometheus(result));
      else out.result(result, printDoctor);
      if (result.status === 'fail' || (flags.strict && result.status === 'warn')) ctx.fail(ExitCode.FAILED);
    });
}

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

/** Render a doctor result: one line per check, its hint under warnings and failures. */
export function printDoctor(result: DoctorResult, out: Output): void {
  const c = out.color;
  const paint: Record<CheckStatus, (s: string) => string> = { pass: c.green, warn: c.yellow, fail: c.red, skip: c.dim };
  const { pass, warn, fail, skip } = result.counts;
  out.paragraph(
    `cachectl doctor: ${result.target}: ${paint[result.status](result.status.toUpperCase())} (${fail} fail, ${warn} warn, ${pass} pass, ${skip} skipped)`,
    2,
  );
  const width = Math.max(...result.checks.map((ch) => ch.title.length));
  // On a narrow terminal the message and hint wrap under their column, or under the title when
  // that column would leave too little room.
  const room = out.width();
  const lead = 8 + width + 2;
  const beside = room === undefined || lead <= room - MIN_MESSAGE_CELLS;
  for (const check of result.checks) {
    const label = `  ${paint[check.status](LABEL[check.status])}  `;
    if (beside) out.paragraph(`${label}${check.title.padEnd(width)}  ${check.message}`, lead);
    else {
      out.paragraph(`${label}${check.title}`, 8);
      out.paragraph(`        ${check.message}`, 8);
    }
    if (check.hint) out.paragraph(`${' '.repeat(beside ? lead : 8)}${c.dim(`hint: ${check.hint}`)}`, beside ? lead : 8);
  }
}

/** Below this many cells beside the titles, messages go under them. */
const MIN_MESSAGE_CELLS = 30;
