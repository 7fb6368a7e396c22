/**
 * `--log-format json`: the output of a command that runs unattended (PM2, cron, systemd, a log
 * shipper) as one JSON object per line, `{time, level, ...}`. Results and informational lines go
 * to stdout, warnings and errors to stderr (PM2's error log), every line exact JSON: no tables, no
 * colours, no progress line, and control characters escaped by the same last guard as text output.
 */
import { Option, type Command } from 'commander';
import { guardControls, jsonSafe } from '../printable.js';
import { redact } from '../redact.js';
import { jsonReplacer, Output, type CliStreams, type OutputOptions } from './output.js';

export type LogFormat = 'text' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

/** `--log-format <text|json>` (default text), for every command that runs unattended. */
export function logFormatOption(): Option {
  return new Option('--log-format <format>', 'json: one JSON object per line, for PM2 logs and log shippers (no tables, colours or progress)')
    .choices([...LOG_FORMATS])
    .default('text');
}

export function addLogFormatOption(command: Command): Command {
  return command.addOption(logFormatOption());
}

/** `--log-format json` / `--log-format=json` on a command line (read before parsing, for usage errors). */
export function logFormatInArgv(argv: readonly string[]): LogFormat | undefined {
  let found: LogFormat | undefined;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    const value = token === '--log-format' ? argv[i + 1] : token.startsWith('--log-format=') ? token.slice('--log-format='.length) : undefined;
    if (value === 'json' || value === 'text') found = value;
  }
  return found;
}

/** One log record as a line of exact JSON, redacted, with no raw control character. */
export function jsonLogLine(record: object | string): string {
  const text = typeof record === 'string' ? record : JSON.stringify(record, jsonReplacer);
  return `${jsonSafe(guardControls(redact(text), false))}\n`;
}

type Level = 'info' | 'warn' | 'error';

/** The Output of a command run with `--log-format json`. */
export class JsonLogOutput extends Output {
  private lastLevel: Level = 'info';

  constructor(
    streams: CliStreams,
    options: OutputOptions,
    private readonly commandName?: string,
  ) {
    // Commands treat it as --json (no text-only lines); no colours ever.
    super(streams, { ...options, json: true, color: false });
  }

  /** The result as one record: `{time, level, event: "result", command, result}`. */
  override result<T>(data: T): void {
    this.out({ level: 'info', event: 'result', ...this.source(), result: data });
  }

  override line(text = ''): void {
    if (text !== '') this.out({ level: 'info', msg: text });
  }

  /** A table as records, one object per row keyed by the column names. */
  override table(head: string[], rows: Array<Array<string | number>>): void {
    this.out({ level: 'info', event: 'table', rows: rows.map((row) => Object.fromEntries(head.map((h, i) => [h, row[i]]))) });
  }

  override info(text: string): void {
    if (!this.quiet) this.out({ level: 'info', msg: text });
  }

  override warn(text: string): void {
    this.errLine({ level: 'warn', msg: text });
  }

  override error(text: string, fields: Record<string, unknown> = {}): void {
    this.errLine({ level: 'error', ...this.source(), msg: text, ...fields });
  }

  override hint(text: string): void {
    this.errLine({ level: this.lastLevel, event: 'hint', msg: text.replace(/^hint:\s*/, '') });
  }

  override get showsProgress(): boolean {
    return false; // never in logs
  }

  override progress(_text: string): void {
    // never in logs
  }

  private source(): { command?: string } {
    return this.commandName ? { command: this.commandName } : {};
  }

  private out(record: { level: Level } & Record<string, unknown>): void {
    this.streams.stdout.write(jsonLogLine({ time: new Date().toISOString(), ...record }));
  }

  private errLine(record: { level: Level } & Record<string, unknown>): void {
    this.lastLevel = record.level;
    this.streams.stderr.write(jsonLogLine({ time: new Date().toISOString(), ...record }));
  }
}
