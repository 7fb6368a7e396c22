/**
 * How the CLI speaks: results on stdout (tables, or JSON with --json), diagnostics and warnings on
 * stderr, progress only when stderr is a terminal. Everything written passes through `redact()`
 * and a last guard against control characters; text from data is escaped with `safe()` first.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type Table from 'cli-table3';
import { guardControls, jsonSafe, printable } from '../printable.js';
import { redact } from '../redact.js';

let TableClass: typeof Table | undefined;

/** Load the table renderer (before a command runs): help, version and usage errors never pay for it. */
export async function loadTableRenderer(): Promise<void> {
  TableClass ??= (await import('cli-table3')).default;
}

/** The one helper for text that comes from data (Redis, files, jobs): control characters escaped. */
export const safe = printable;

export interface CliStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  color: boolean;
}

export class Output {
  readonly color: ChalkInstance;
  readonly json: boolean;
  readonly quiet: boolean;
  private progressShown = false;

  constructor(
    readonly streams: CliStreams,
    options: OutputOptions,
  ) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.color = new Chalk({ level: options.color ? 1 : 0 });
  }

  /** Print a command's result: `render` for people, the data itself with --json. */
  result<T>(data: T, render: (data: T, out: Output) => void): void {
    if (this.json) this.write(`${jsonSafe(JSON.stringify(data, jsonReplacer, 2))}\n`);
    else render(data, this);
  }

  /** A line of human output on stdout. */
  line(text = ''): void {
    this.write(`${text}\n`);
  }

  /** A table on stdout. */
  table(head: string[], rows: Array<Array<string | number>>, options: { align?: Array<'left' | 'right'> } = {}): void {
    if (!TableClass) throw new Error('tables are printed only by commands, after loadTableRenderer()');
    const table = new TableClass({
      head: head.map((h) => this.color.bold(h)),
      style: { head: [], border: [] },
      colAligns: options.align ?? head.map(() => 'left' as const),
    });
    for (const row of rows) table.push(row.map(String));
    this.line(table.toString());
  }

  /** Informational message on stderr (hidden by --quiet). */
  info(text: string): void {
    if (!this.quiet) this.err(text);
  }

  /** Warning on stderr (always shown). */
  warn(text: string): void {
    this.err(`${this.color.yellow('warning:')} ${text}`);
  }

  /** Error line on stderr. */
  error(text: string): void {
    this.err(`${this.color.red('error:')} ${text}`);
  }

  /** A hint line on stderr after an error or warning (always shown). */
  hint(text: string): void {
    this.err(this.color.dim(text));
  }

  /** A transient progress line on stderr; only on a terminal and not with --quiet. */
  progress(text: string): void {
    if (!this.streams.stderr.isTTY || this.quiet) return;
    this.progressShown = true;
    this.streams.stderr.write(`\r\x1b[2K${this.guard(redact(text))}`);
  }

  /** Remove the progress line, if one is shown. */
  clearProgress(): void {
    if (!this.progressShown) return;
    this.progressShown = false;
    this.streams.stderr.write('\r\x1b[2K');
  }

  private write(text: string): void {
    this.streams.stdout.write(this.guard(redact(text)));
  }

  private err(text: string): void {
    this.clearProgress();
    this.streams.stderr.write(`${this.guard(redact(text))}\n`);
  }

  /** No raw control character reaches the terminal, except newline, tab and our own colours. */
  private guard(text: string): string {
    return guardControls(text, this.color.level > 0);
  }
}

/** JSON for results: bigint as number-string, Buffers as escaped text. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('latin1');
  }
  return value;
}
