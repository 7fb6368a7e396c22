/**
 * The documented least-privilege ACL user for each command (README, "Least-privilege ACL users"),
 * so a permission error can say which user's rights the command is meant to run with.
 */

const USERS: Array<[RegExp, string]> = [
  [/^(clear-all --queue)$/, 'cachectl-maintenance'],
  [/^maintenance\b/, 'cachectl-maintenance'],
  [/^hook pm2-restart$/, 'cachectl-queues'],
  [/^queues (clean|retry|pause|resume|drain|import|obliterate)$/, 'cachectl-queues'],
  [/^(ping|stats|doctor|keys|queues|queues inspect|queues export|exporter)$/, 'cachectl-read'],
  [/^(clear-all|clear-old|clear-user|invalidate|hook pre-deploy|hook deploy|pm2-clean)$/, 'cachectl-clear'],
  [/^(backup|restore)$/, 'cachectl-backup'],
  [/^listen$/, 'cachectl-listen'],
  [/^publish$/, 'cachectl-publish'],
];

/** `runs "<command>" as <user>`, or undefined for a command without a documented user. */
export function aclUserHint(commandPath: string | undefined, options: { dryRun?: boolean; queue?: boolean } = {}): string | undefined {
  if (!commandPath) return undefined;
  const key = commandPath === 'clear-all' && options.queue ? 'clear-all --queue' : commandPath;
  const user = options.dryRun ? 'cachectl-read' : USERS.find(([pattern]) => pattern.test(key))?.[1];
  return user ? `the README runs "${key}${options.dryRun ? ' --dry-run' : ''}" as ${user}: compare this user's rights with that line` : undefined;
}
