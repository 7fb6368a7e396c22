/**
 * Every subcommand, one file each, loaded only when used: a run of `clear-old` does not pay for
 * BullMQ or PM2. Order here is the order in `--help`.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export type CommandFactory = (ctx: CliContext) => Command;

export interface CommandEntry {
  name: string;
  aliases?: string[];
  load: () => Promise<CommandFactory>;
}

export const commandEntries: CommandEntry[] = [
  { name: 'ping', aliases: ['info'], load: async () => (await import('./ping.js')).pingCommand },
  { name: 'stats', load: async () => (await import('./stats.js')).statsCommand },
  { name: 'doctor', load: async () => (await import('./doctor.js')).doctorCommand },
  { name: 'keys', load: async () => (await import('./keys.js')).keysCommand },
  { name: 'invalidate', load: async () => (await import('./invalidate.js')).invalidateCommand },
  { name: 'clear-all', aliases: ['all'], load: async () => (await import('./clear-all.js')).clearAllCommand },
  { name: 'clear-old', aliases: ['old'], load: async () => (await import('./clear-old.js')).clearOldCommand },
  { name: 'clear-user', aliases: ['user'], load: async () => (await import('./clear-user.js')).clearUserCommand },
  { name: 'backup', load: async () => (await import('./backup.js')).backupCommand },
  { name: 'restore', load: async () => (await import('./restore.js')).restoreCommand },
  { name: 'queues', load: async () => (await import('./queues.js')).queuesCommand },
  { name: 'maintenance', load: async () => (await import('./maintenance.js')).maintenanceCommand },
  { name: 'hook', load: async () => (await import('./hook.js')).hookCommand },
  { name: 'pm2-status', load: async () => (await import('./pm2-status.js')).pm2StatusCommand },
  { name: 'pm2-clean', load: async () => (await import('./pm2-clean.js')).pm2CleanCommand },
  { name: 'schedule', load: async () => (await import('./schedule.js')).scheduleCommand },
  { name: 'listen', load: async () => (await import('./listen.js')).listenCommand },
  { name: 'publish', load: async () => (await import('./publish.js')).publishCommand },
  { name: 'exporter', load: async () => (await import('./exporter.js')).exporterCommand },
];

/** Names and aliases of every cachectl command (loaded or not), plus the legacy hook flags. */
export function registeredCommands(): string[] {
  return [...commandEntries.flatMap((c) => [c.name, ...(c.aliases ?? [])]), 'help', '--pm2-restart', '--deploy', '--pre-deploy'];
}

/** Global options that take a value: the token after them is not a command name. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--redis-url', '--sentinel', '--sentinel-name', '--tls-ca', '--connect-timeout', '--command-timeout', '--config']);

/**
 * The commands a command line needs: the one it names, or every command when it names none
 * (`--help`, `--version`, a typo that deserves a suggestion).
 */
export function entriesFor(argv: string[]): CommandEntry[] {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(token)) {
      i++;
      continue;
    }
    if (token.startsWith('-')) continue;
    const entry = commandEntries.find((e) => e.name === token || e.aliases?.includes(token));
    if (entry) return [entry];
    if (token !== 'help') return commandEntries;
  }
  return commandEntries;
}
