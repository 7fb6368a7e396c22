/**
 * The application keys PM2 7 accepts in an ecosystem file. PM2 validates an app against
 * `node_modules/pm2/lib/API/schema.json` and copies only the keys it knows (plus their aliases and
 * camelCase forms, see `lib/tools/Config.js`); anything else is dropped without a word. This list
 * was taken from that schema (pm2 7.0.4); `lintEcosystem` uses it to catch keys that would vanish.
 */

/** Canonical keys of `schema.json`. */
export const PM2_APP_KEYS: readonly string[] = [
  'script',
  'name',
  'name_prefix',
  'filter_env',
  'namespace',
  'install_url',
  'cwd',
  'args',
  'exec_interpreter',
  'node_args',
  'out_file',
  'error_file',
  'log_file',
  'disable_logs',
  'log_type',
  'log_date_format',
  'time',
  'env',
  'max_memory_restart',
  'pid_file',
  'restart_delay',
  'exp_backoff_restart_delay',
  'source_map_support',
  'disable_source_map_support',
  'wait_ready',
  'instances',
  'kill_timeout',
  'shutdown_with_message',
  'listen_timeout',
  'cron_restart',
  'merge_logs',
  'vizion',
  'autostart',
  'autorestart',
  'stop_exit_codes',
  'watch_delay',
  'watch',
  'ignore_watch',
  'watch_options',
  'min_uptime',
  'max_restarts',
  'execute_command',
  'exec_mode',
  'force',
  'append_env_to_name',
  'post_update',
  'trace',
  'disable_trace',
  'v8',
  'event_loop_inspector',
  'deep_monitoring',
  'increment_var',
  'instance_var',
  'pmx',
  'automation',
  'treekill',
  'port',
  'username',
  'uid',
  'gid',
  'windowsHide',
  'kill_retry_time',
  'write',
  'io',
];

/** Explicit aliases from `schema.json`, and the ones `Common.verifyConfs` maps before validating. */
export const PM2_APP_ALIASES: Readonly<Record<string, string>> = {
  exec: 'script',
  cmd: 'script',
  command: 'script',
  interpreter: 'exec_interpreter',
  interpreterArgs: 'node_args',
  interpreter_args: 'node_args',
  out: 'out_file',
  output: 'out_file',
  out_log: 'out_file',
  error: 'error_file',
  err: 'error_file',
  err_file: 'error_file',
  err_log: 'error_file',
  log: 'log_file',
  pid: 'pid_file',
  cron: 'cron_restart',
  combine_logs: 'merge_logs',
  user: 'uid',
};

/** `env_<name>` blocks, selected by `pm2 start --env <name>`. */
const ENV_BLOCK = /^env_\S*$/;

/** PM2 also accepts each `snake_case` key in camelCase (`killTimeout`). */
function camel(key: string): string {
  return key
    .split('_')
    .map((part, i) => (i !== 0 && part.length > 1 ? part[0]!.toUpperCase() + part.slice(1) : part))
    .join('');
}

const CANONICAL = new Map<string, string>();
for (const key of PM2_APP_KEYS) {
  CANONICAL.set(key, key);
  CANONICAL.set(camel(key), key);
}
for (const [alias, key] of Object.entries(PM2_APP_ALIASES)) CANONICAL.set(alias, key);

/** The canonical PM2 key `key` stands for, or `undefined` when PM2 would drop it. */
export function canonicalAppKey(key: string): string | undefined {
  if (ENV_BLOCK.test(key)) return key;
  return CANONICAL.get(key);
}

/** Deploy hooks PM2's deploy system runs; any other `pre-*`/`post-*` key is ignored. */
export const PM2_DEPLOY_HOOKS: readonly string[] = ['pre-setup', 'post-setup', 'pre-deploy-local', 'pre-deploy', 'post-deploy'];
