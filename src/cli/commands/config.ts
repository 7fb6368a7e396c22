/**
 * `cachectl config path|contexts|show`: which config file is in use (and where else cachectl
 * looked), where logs and backups go, the named servers of the file, and the settings in effect.
 */
import { Command } from 'commander';
import { SOURCE_LABELS, type ConfigCandidate, type ConfigSource } from '../../config/locate.js';
import { displayUrl } from '../../redact.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';

interface ConfigPathResult {
  file: string | null;
  source: ConfigSource | null;
  searched: ConfigCandidate[];
  /** Where logs, the audit log and backups go (absent when the file could not be read). */
  logsDir?: string;
}

interface ContextRow {
  name: string;
  url: string;
  tenant: string | null;
  production: boolean;
  tls: { ca: string | null; insecure: boolean } | null;
  description: string | null;
  current: boolean;
}

export function configCommand(ctx: CliContext): Command {
  const command = new Command('config').description('where the config file is, and its contexts (named servers)');
  command
    .command('path')
    .description('the config file in use and where logs and backups go (--verbose: every place looked at)')
    .option('--verbose', 'also list every place looked at, in order')
    .addHelpText(
      'after',
      `
Lookup order (first found wins): --config, CACHECTL_CONFIG, ./cachectl.config.json,
$XDG_CONFIG_HOME/cachectl/config.json (default ~/.config), /etc/cachectl/config.json.
Relative paths in the file mean paths next to it. Without a file, logs and backups go to
$XDG_STATE_HOME/cachectl (default ~/.local/state/cachectl).

Examples:
  $ cachectl config path
  $ cachectl config path --verbose
  $ cachectl config path --json`,
    )
    .action((flags: { verbose?: boolean }) => {
      const location = ctx.configLocation();
      const result: ConfigPathResult = { file: location.file ?? null, source: location.source ?? null, searched: location.searched };
      try {
        result.logsDir = ctx.config().logs.dir;
      } finally {
        ctx.output.result(result, (r, out) => printPath(r, out, flags.verbose === true));
      }
    });
  command
    .command('contexts')
    .description('the contexts of the config file (URLs without passwords; * marks the one in use)')
    .addHelpText(
      'after',
      `
A context is chosen with --context NAME or CACHECTL_CONTEXT, else the file's "currentContext".
Server URL precedence: --redis-url > context > REDIS_URL > redis.url.

Examples:
  $ cachectl config contexts
  $ cachectl --context staging config contexts --json`,
    )
    .action(() => {
      const config = ctx.config();
      const current = config.context?.name ?? null;
      const contexts: ContextRow[] = Object.entries(config.contexts).map(([name, c]) => ({
        name,
        url: displayUrl(c.url),
        tenant: c.tenant ?? null,
        production: c.production,
        tls: c.tls ? { ca: c.tls.ca ?? null, insecure: c.tls.insecure } : null,
        description: c.description ?? null,
        current: name === current,
      }));
      ctx.output.result({ current, contexts }, (r, out) => printContexts(r.contexts, out, config.source));
    });
  command
    .command('show')
    .description('the settings in effect (file, context, flags and environment merged; no secrets), as JSON')
    .addHelpText(
      'after',
      `
Paths are shown resolved; URLs without passwords; REDIS_PASSWORD only as set / not set.

Examples:
  $ cachectl config show
  $ cachectl --context staging config show`,
    )
    .action(() => {
      const { password, families, location: _l, context, ...rest } = ctx.config();
      const contexts = Object.fromEntries(Object.entries(rest.contexts).map(([name, c]) => [name, { ...c, url: displayUrl(c.url) }]));
      const shown = {
        ...rest,
        redis: { ...rest.redis, url: displayUrl(rest.redis.url), password: password ? 'set' : 'not set' },
        context: context?.name ?? null,
        contexts,
        families: Object.fromEntries(Object.entries(families).map(([name, { parsed: _p, name: _n, ...family }]) => [name, family])),
      };
      ctx.output.streams.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    });
  return command;
}

function printPath(result: ConfigPathResult, out: Output, verbose: boolean): void {
  if (result.file && result.source) out.line(`${result.file} (${SOURCE_LABELS[result.source]})`);
  else out.line('no config file: built-in defaults');
  if (result.logsDir) out.line(`logs and backups: ${result.logsDir}`);
  if (!verbose) return;
  out.line('looked at:');
  for (const c of result.searched) out.line(`  ${c.exists ? 'found  ' : 'missing'}  ${c.path} (${SOURCE_LABELS[c.source]})`);
}

function printContexts(rows: ContextRow[], out: Output, source: string | undefined): void {
  if (rows.length === 0) {
    out.line(source ? `no contexts in ${source}: add them under "contexts"` : 'no config file, so no contexts');
    return;
  }
  out.table(
    ['', 'name', 'url', 'tenant', 'production', 'description'],
    rows.map((r) => [r.current ? '*' : '', r.name, r.url, r.tenant ?? '-', r.production ? 'yes' : 'no', r.description ?? '']),
  );
}
