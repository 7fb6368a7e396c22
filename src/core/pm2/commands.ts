/**
 * Recognising cachectl invocations inside an ecosystem app: is the script cachectl, and which
 * command do its args run.
 */

/** Commands that keep running until stopped (every other command exits when done). */
export const LONG_RUNNING_COMMANDS: readonly string[] = ['listen', 'exporter'];

/** Global options that take a value (their value is not the command name). */
const VALUE_OPTIONS = new Set(['--redis-url', '--sentinel', '--sentinel-name', '--tls-ca', '--connect-timeout', '--command-timeout', '--config']);
/** The legacy top-level flags that stand for a command. */
const LEGACY_FLAGS = new Set(['--pm2-restart', '--deploy', '--pre-deploy']);

/** True for `./bin/cachectl.js`, `cachectl`, `node_modules/.bin/cachectl` and the like. */
export function isCachectlScript(script: unknown): boolean {
  return typeof script === 'string' && /(^|[/\\])cachectl(\.js)?$/.test(script.trim());
}

/** Split an args string the way a shell would for simple cases (quotes, no expansion). */
export function splitArgs(args: string | string[] | undefined): string[] {
  if (args === undefined) return [];
  if (Array.isArray(args)) return args.map(String);
  const out: string[] = [];
  const re = /"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(args); m; m = re.exec(args)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/**
 * The command a cachectl args line runs: the first word that is not a global option, or a legacy
 * flag such as `--deploy`; `''` when there is none (cachectl then prints help and exits).
 */
export function cachectlCommandOf(args: string | string[] | undefined): string {
  const words = splitArgs(args);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (LEGACY_FLAGS.has(word)) return word;
    if (word.startsWith('-')) {
      if (VALUE_OPTIONS.has(word)) i++;
      continue;
    }
    return word;
  }
  return '';
}
