/**
 * What other local users see of a running cachectl (`ps`, `/proc/PID/cmdline`): the command line
 * with every URL password masked, so a long `listen` does not publish `--redis-url`'s password.
 */
import { redact, registerSecret } from '../redact.js';
import { displayServerUrl, readUrl } from '../url-text.js';

/** `--flag=` prefix and URL of an argument that holds a URL, if it does. */
function urlIn(arg: string): { prefix: string; url: string } | undefined {
  const match = /^(--[a-z-]+=)?([a-z][a-z0-9+.-]*:\/\/.*)$/is.exec(arg);
  return match ? { prefix: match[1] ?? '', url: match[2]! } : undefined;
}

/** Register the passwords found in `argv` and the URL variables, before anything is parsed. */
export function registerArgvSecrets(argv: readonly string[], env: NodeJS.ProcessEnv): void {
  for (const arg of [...argv, env.REDIS_URL ?? '']) {
    const found = urlIn(arg);
    if (found) registerSecret(readUrl(found.url).parts.password);
  }
  registerSecret(env.REDIS_PASSWORD);
}

/** The command line as others may see it: each URL rebuilt without its password or query. */
export function maskedCommandLine(argv: readonly string[]): string[] {
  return argv.map((arg) => {
    const found = urlIn(arg);
    return found ? `${found.prefix}${displayServerUrl(found.url)}` : redact(arg);
  });
}

/** Rewrite `process.title` (what `ps` shows) when the command line carries a secret. */
export function hideArgvSecrets(argv: readonly string[], env: NodeJS.ProcessEnv): void {
  registerArgvSecrets(argv, env);
  const masked = maskedCommandLine(argv);
  if (masked.every((arg, i) => arg === argv[i])) return;
  process.title = ['cachectl', ...masked].join(' ');
}
