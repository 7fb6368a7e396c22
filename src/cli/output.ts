/**
 * How the CLI speaks: results on stdout (tables, or JSON with --json), diagnostics and warnings on
 * stderr, progress only when stderr is a terminal. Everything written passes through `redact()`
 * and a last guard against control characters; text from data is escaped with `safe()` first.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type Table from 'cli-table3';
import { guardControls, jsonSafe, printable } from '../printable.js';
import { redact } from '../redact.js';
import { fitTable, type TableFit } from './table-fit.js';
import { truncateEnd, wrapCells } from './width.js';

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
  /** Fit tables and long lines to the terminal when stdout is one (false: `-o wide`). */
  fit?: boolean;
  /** Terminal width from the COLUMNS environment variable, when set (wins over the stream's). */
  columns?: number;
  /** JSON results on one line each (NDJSON), as `--watch --json` prints them. */
  jsonLines?: boolean;
}

/** Table layout: alignment per column, and how the table gives way on a narrow terminal. */
export interface TableOptions {
  align?: Array<'left' | 'right'>;
  fit?: TableFit;
}

export class Output {
  readonly color: ChalkInstance;
  readonly json: boolean;
  readonly quiet: boolean;
  private progressShown = false;

  constructor(
    readonly streams: CliStreams,
    readonly options: OutputOptions,
  ) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.color = new Chalk({ level: options.color ? 1 : 0 });
  }

  /** The same output settings writing to other streams (`--watch` renders each frame aside). */
  derive(streams: CliStreams, options: Partial<OutputOptions> = {}): Output {
    return new Output(streams, { ...this.options, ...options });
  }

  /**
   * Cells the human output must fit in: the terminal's width when stdout is a terminal (COLUMNS
   * when set), undefined when output is not fitted (pipes, files, `-o wide`, --json).
   */
  width(): number | undefined {
    if (this.options.fit === false || this.json || !this.streams.stdout.isTTY) return undefined;
    return terminalWidth(this.options.columns, this.streams.stdout.columns);
  }

  /** Print a command's result: `render` for people, the data itself with --json. */
  result<T>(data: T, render: (data: T, out: Output) => void): void {
    if (this.json) this.write(`${jsonSafe(JSON.stringify(data, jsonReplacer, this.options.jsonLines ? undefined : 2))}\n`);
    else render(data, this);
  }

  /** A line of human output on stdout. */
  line(text = ''): void {
    this.write(`${text}\n`);
  }

  /**
   * Human text on stdout wrapped to the terminal's width, continuation lines indented by `indent`
   * spaces; unchanged when output is not fitted.
   */
  paragraph(text: string, indent = 0): void {
    const width = this.width();
    this.line(width === undefined ? text : wrapCells(text, width, indent).join('\n'));
  }

  /**
   * A table on stdout. On a terminal it fits the width: names shortened in the middle, then the
   * least important columns left out (`options.fit`), with a line saying which.
   */
  table(head: string[], rows: Array<Array<string | number>>, options: TableOptions = {}): void {
    const align = options.align ?? head.map(() => 'left' as const);
    const width = this.width();
    const fitted =
      width === undefined
        ? { head, rows: rows.map((r) => r.map(String)), align, hidden: [] }
        : fitTable(
            head,
            rows.map((r) => r.map(String)),
            align,
            width,
            options.fit ?? {},
          );
    if (!TableClass) throw new Error('tables are printed only by commands, after loadTableRenderer()');
    const table = new TableClass({
      head: fitted.head.map((h) => this.color.bold(h)),
      style: { head: [], border: [] },
      colAligns: fitted.align,
    });
    for (const row of fitted.rows) table.push(row);
    const text = table.toString();
    this.line(
      width === undefined
        ? text
        : text
            .split('\n')
            .map((l) => truncateEnd(l, width))
            .join('\n'),
    );
    if (fitted.hidden.length > 0) this.paragraph(this.color.dim(`(not shown: ${fitted.hidden.join(', ')}; -o wide shows every column)`));
  }

  /** Informational message on stderr (hidden by --quiet). */
  info(text: string): void {
    if (!this.quiet) this.err(text);
  }

  /** Warning on stderr (always shown). */
  warn(text: string): void {
    this.err(`${this.color.yellow('warning:')} ${text}`);
  }

  /** Error line on stderr (`fields`, such as the error code, are for `--log-format json`). */
  error(text: string, _fields?: Record<string, unknown>): void {
    this.err(`${this.color.red('error:')} ${text}`);
  }

  /** A hint line on stderr after an error or warning (always shown). */
  hint(text: string): void {
    this.err(this.color.dim(text));
  }

  /** One JSON log record on stdout, `{time, ...record}` (a string is an already serialised record). */
  log(record: object | string): void {
    const text = typeof record === 'string' ? record : JSON.stringify({ time: new Date().toISOString(), ...record }, jsonReplacer);
    this.write(`${jsonSafe(text)}\n`);
  }

  /** Whether `progress()` shows anything: callers need not build lines nobody sees. */
  get showsProgress(): boolean {
    return this.streams.stderr.isTTY === true && !this.quiet;
  }

  /** A transient progress line on stderr; only on a terminal and not with --quiet. */
  progress(text: string): void {
    if (!this.showsProgress) return;
    this.progressShown = true;
    const width = this.progressWidth();
    const line = width === undefined ? redact(text) : truncateEnd(redact(text), width);
    this.streams.stderr.write(`\r\x1b[2K${this.guard(line)}`);
  }

  /** Cells the progress line may take on stderr (one less than the width: it must never wrap). */
  progressWidth(): number | undefined {
    const width = terminalWidth(this.options.columns, this.streams.stderr.columns);
    return width === undefined ? undefined : width - 1;
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

/** COLUMNS when set, else what the terminal says; undefined when neither knows. */
function terminalWidth(fromEnv: number | undefined, fromStream: number | undefined): number | undefined {
  const width = fromEnv ?? fromStream;
  return width !== undefined && width > 0 ? Math.max(width, 20) : undefined;
}

/** The COLUMNS environment variable as a width, when it is a positive integer. */
export function columnsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const value = Number(env.COLUMNS);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** JSON for results: bigint as number-string, Buffers as escaped text. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('latin1');
  }
  return value;
}
