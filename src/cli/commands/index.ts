/**
 * Every subcommand, one file each, loaded only when used: a run of `clear-old` does not pay for
 * BullMQ or PM2. Order here is the order in `--help`.
 */
import type { Command } from 'commander';
import { COMMAND_NAMES } from '../command-names.js';
import type { CliContext } from '../context.js';

export type CommandFactory = (ctx: CliContext) => Command;

export interface CommandEntry {
  name: string;
  aliases?: string[];
  load: () => Promise<CommandFactory>;
}

const LOADERS: Record<string, () => Promise<CommandFactory>> = {
  ping: async () => (await import('./ping.js')).pingCommand,
  stats: async () => (await import('./stats.js')).statsCommand,
  doctor: async () => (await import('./doctor.js')).doctorCommand,
  keys: async () => (await import('./keys.js')).keysCommand,
  invalidate: async () => (await import('./invalidate.js')).invalidateCommand,
  'clear-all': async () => (await import('./clear-all.js')).clearAllCommand,
  'clear-old': async () => (await import('./clear-old.js')).clearOldCommand,
  'clear-user': async () => (await import('./clear-user.js')).clearUserCommand,
  ttl: async () => (await import('./ttl.js')).ttlCommand,
  backup: async () => (await import('./backup.js')).backupCommand,
  restore: async () => (await import('./restore.js')).restoreCommand,
  queues: async () => (await import('./queues.js')).queuesCommand,
  maintenance: async () => (await import('./maintenance.js')).maintenanceCommand,
  hook: async () => (await import('./hook.js')).hookCommand,
  'pm2-status': async () => (await import('./pm2-status.js')).pm2StatusCommand,
  'pm2-clean': async () => (await import('./pm2-clean.js')).pm2CleanCommand,
  schedule: async () => (await import('./schedule.js')).scheduleCommand,
  listen: async () => (await import('./listen.js')).listenCommand,
  publish: async () => (await import('./publish.js')).publishCommand,
  exporter: async () => (await import('./exporter.js')).exporterCommand,
  config: async () => (await import('./config.js')).configCommand,
  completion: async () => (await import('./completion.js')).completionCommand,
};

export const commandEntries: CommandEntry[] = COMMAND_NAMES.map((c) => ({ ...c, ...(c.aliases ? { aliases: [...c.aliases] } : {}), load: LOADERS[c.name]! }));

/** Global options that take a value: the token after them is not a command name (a test checks the list). */
export const GLOBAL_OPTIONS_WITH_VALUE: ReadonlySet<string> = new Set([
  '--redis-url',
  '--sentinel',
  '--sentinel-name',
  '--tls-ca',
  '--connect-timeout',
  '--command-timeout',
  '--config',
  '--context',
  '--tenant',
]);

/**
 * The commands a command line needs: the one it names, or every command when it names none
 * (`--help`, `--version`, a typo that deserves a suggestion).
 */
export function entriesFor(argv: string[]): CommandEntry[] {
  const token = firstPositional(argv);
  const entry = token === undefined ? undefined : entryNamed(token);
  return entry ? [entry] : commandEntries;
}

/** The command word the user typed when no command has that name (`cachectl nosuch --help`). */
export function unknownCommand(argv: string[]): string | undefined {
  const token = firstPositional(argv);
  return token !== undefined && token !== 'help' && !entryNamed(token) ? token : undefined;
}

/**
 * Command lines answered from the static command metadata: no command, `help`, an unknown
 * command (for its suggestion), or `--help` / `--version` anywhere before `--`.
 */
export function answeredByMetadata(argv: string[]): boolean {
  const token = firstPositional(argv);
  if (token === undefined || token === 'help' || !entryNamed(token)) return true;
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => HELP_OR_VERSION.has(a));
}

const HELP_OR_VERSION = new Set(['-h', '--help', '-V', '--version']);

/** The command a help request is about: `queues` for `queues inspect --help` and `help queues inspect`. */
export function helpSubject(argv: string[]): string | undefined {
  const first = firstPositional(argv);
  const word = first === 'help' ? firstPositional(argv.slice(argv.indexOf('help') + 1)) : first;
  return word === undefined ? undefined : entryNamed(word)?.name;
}

/** `cachectl --version` with no command word: commander prints the version before anything else. */
export function versionOnly(argv: string[]): boolean {
  return firstPositional(argv) === undefined && argv.some((a) => a === '-V' || a === '--version');
}

function entryNamed(token: string): CommandEntry | undefined {
  return commandEntries.find((e) => e.name === token || e.aliases?.includes(token));
}

/** The first argument that is neither an option nor a global option's value. */
function firstPositional(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') return undefined;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(token)) {
      i++;
      continue;
    }
    if (!token.startsWith('-')) return token;
  }
  return undefined;
}
