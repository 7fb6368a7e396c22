/**
 * The earlier clear-cache.js tool's top-level flags, as cachectl commands.
 */

const LEGACY_FLAGS: Record<string, string> = {
  '--pre-deploy': 'pre-deploy',
  '--deploy': 'deploy',
  '--pm2-restart': 'pm2-restart',
};

/**
 * `--deploy` → `hook deploy`, in place, so options around it keep working
 * (`--redis-url x --deploy --json`). Arguments after `--` are left alone.
 */
export function rewriteLegacyHookFlags(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  const at = head.findIndex((arg) => Object.hasOwn(LEGACY_FLAGS, arg));
  if (at < 0) return [...argv];
  return [...argv.slice(0, at), 'hook', LEGACY_FLAGS[argv[at]!]!, ...argv.slice(at + 1)];
}
