/**
 * Options of the commands that show things (stats, queues, doctor, ping): `-o wide|json` and
 * `--watch [interval]`.
 */
import { Option, type Command } from 'commander';
import { durationParser } from './parsers.js';

/** Redraw interval of `--watch` without a value. */
export const DEFAULT_WATCH_MS = 2000;

export interface WatchFlags {
  /** `--watch` alone (true) or `--watch <interval>` (milliseconds). */
  watch?: number | true;
}

/** `-o, --output <format>`: `wide` shows every column at full length; `json` is `--json`. */
export function addOutputOption(command: Command): Command {
  return command.addOption(
    new Option('-o, --output <format>', 'wide: every column, nothing shortened to the terminal width; json: same as --json').choices(['wide', 'json']),
  );
}

/** `--watch [interval]`: run again every interval until Ctrl-C. */
export function addWatchOption(command: Command): Command {
  return command.option(
    '--watch [interval]',
    'show again every interval (default 2s; e.g. 500ms, 5s) until Ctrl-C; with --json one JSON document per line',
    durationParser(),
  );
}

/** The redraw interval in milliseconds, or undefined without `--watch`. */
export function watchInterval(flags: WatchFlags): number | undefined {
  if (flags.watch === undefined) return undefined;
  return flags.watch === true ? DEFAULT_WATCH_MS : flags.watch;
}
