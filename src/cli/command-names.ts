/**
 * The names a command line may start with: every command, its aliases, `help`, and the earlier
 * tool's hook flags. Static, so checks of ecosystem files (doctor, schedule) need no command module.
 */

/** Commands in `--help` order, with their aliases. */
export const COMMAND_NAMES: ReadonlyArray<{ name: string; aliases?: string[] }> = [
  { name: 'ping', aliases: ['info'] },
  { name: 'stats' },
  { name: 'doctor' },
  { name: 'keys' },
  { name: 'invalidate' },
  { name: 'clear-all', aliases: ['all'] },
  { name: 'clear-old', aliases: ['old'] },
  { name: 'clear-user', aliases: ['user'] },
  { name: 'ttl' },
  { name: 'backup' },
  { name: 'restore' },
  { name: 'queues' },
  { name: 'maintenance' },
  { name: 'hook' },
  { name: 'pm2-status' },
  { name: 'pm2-clean' },
  { name: 'schedule' },
  { name: 'listen' },
  { name: 'publish' },
  { name: 'exporter' },
  { name: 'config' },
  { name: 'completion' },
];

/** Commands that have a tenant-restricted meaning (`--tenant`, a context's tenant); the others refuse `--tenant`. */
export const TENANT_COMMANDS: ReadonlySet<string> = new Set([
  'clear-all',
  'clear-old',
  'clear-user',
  'invalidate',
  'keys',
  'backup',
  'restore',
  'ttl',
  'maintenance',
]);

/** Names and aliases of every cachectl command, plus the legacy hook flags. */
export function registeredCommands(): string[] {
  return [...COMMAND_NAMES.flatMap((c) => [c.name, ...(c.aliases ?? [])]), 'help', '--pm2-restart', '--deploy', '--pre-deploy'];
}
