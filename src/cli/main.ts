/**
 * The `cachectl` program: global options, the commands, and the one error boundary that turns any
 * failure into a one-line message, a hint and a documented exit code.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CachectlError, ExitCode, PermissionError, UsageError } from '../errors.js';
import { redact } from '../redact.js';
import { parseHostList } from '../redis/options.js';
import { aclUserHint } from './acl-users.js';
import { commandFromMeta, loadCommandMeta, RealCommandNeeded } from './command-meta.js';
import { TENANT_COMMANDS } from './command-names.js';
import { answeredByMetadata, entriesFor, helpSubject, unknownCommand, versionOnly, type CommandFactory } from './commands/index.js';
import { helpAsFlag } from './help-page.js';
import { rewriteLegacyHookFlags } from './legacy-flags.js';
import { logFormatInArgv } from './log-format.js';
import { registerArgvSecrets } from './process-title.js';
import { CliContext, type CliEnvironment, type GlobalOptions } from './context.js';
import { durationParser } from './parsers.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export type RunOptions = Partial<CliEnvironment>;

/** Build the commander program bound to a context (exported for help-text tests). */
export function buildProgram(ctx: CliContext, factories: CommandFactory[]): Command {
  const out = ctx.environment.streams;
  const program = new Command('cachectl')
    .description('Operate the Redis / Valkey servers behind messaging back ends: inspect, clear exactly what you mean, keep queues healthy.')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--redis-url <url>', 'server URL: redis://[user:pass@]host:port[/db], rediss:// for TLS').env('REDIS_URL'))
    .option('--cluster', 'force cluster mode (default: detected from the server)')
    .option('--no-cluster', 'never use cluster mode')
    .option('--sentinel <host:port,...>', 'find the master through these sentinels', parseSentinels)
    .option('--sentinel-name <name>', 'master set name watched by the sentinels')
    .option('--tls-ca <file>', 'CA certificate (PEM) to verify a rediss:// server')
    .option('--tls-insecure', 'do not verify the server certificate (testing only)')
    .option('--connect-timeout <duration>', 'give up connecting after this long: 500ms, 5s (default: 5s)', durationParser())
    .option('--command-timeout <duration>', 'give up on one command after this long: 500ms, 15s (default: 15s)', durationParser())
    .addOption(new Option('--config <file>', 'config file (default: looked up, see "cachectl config path --help")').env('CACHECTL_CONFIG'))
    .addOption(new Option('--context <name>', 'use a named server of the config file ("cachectl config contexts" lists them)').env('CACHECTL_CONTEXT'))
    .option('--tenant <id>', 'work only on keys under tenant:<id>: (clear-*, invalidate, keys, backup, restore, ttl, maintenance)', parseTenant)
    .option('--json', 'print results as JSON on stdout')
    .option('--no-color', 'no colors (also NO_COLOR=1)')
    .option('-q, --quiet', 'no informational messages on stderr')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => out.stdout.write(s),
      writeErr: (s) => out.stderr.write(s),
      outputError: () => {
        // the error boundary prints usage errors itself, once, with a hint
      },
    })
    .addHelpText(
      'after',
      `
Environment:
  REDIS_URL         server URL (same as --redis-url)
  REDIS_PASSWORD    password, when the URL has none (never printed)
  CACHECTL_CONFIG   config file (same as --config)
  CACHECTL_CONTEXT  context (same as --context)
  XDG_CONFIG_HOME   user config folder (config at $XDG_CONFIG_HOME/cachectl/config.json)
  XDG_STATE_HOME    logs and backups without a config file ($XDG_STATE_HOME/cachectl)
  NO_COLOR          disable colors

Restricting to one tenant (--tenant <id>):
  Only keys starting with tenant:<id>: are touched. Families take part with {tenant} bound to <id>;
  families not under tenant:{tenant}: are left out (reported as skipped). Raw patterns must start
  with tenant:<id>: (glob characters of the id escaped), else exit 2. Commands with no
  tenant-restricted meaning (queues, hook, schedule, pm2-*, listen, publish, stats,
  doctor, ping) refuse --tenant with exit 2.

Exit codes:
  0 ok · 1 failed · 2 usage/config · 3 connection/auth/timeout · 4 refused for safety
  5 partial (interrupted or some keys failed) · 6 lock held · 7 ACL permission denied

Examples:
  $ cachectl ping
  $ REDIS_URL=redis://cache.internal:6379 cachectl ping --json
  $ cachectl --tenant acme clear-all --dry-run
`,
    );
  program.hook('preAction', async (_root, action) => {
    const sources = {
      redisUrl: program.getOptionValueSource('redisUrl'),
      config: program.getOptionValueSource('config'),
      context: program.getOptionValueSource('context'),
    };
    const globals = { ...action.optsWithGlobals<GlobalOptions>(), sources };
    if (globals.tenant !== undefined) await assertTenantCommand(program, action, globals.tenant);
    ctx.init(globals);
    ctx.command = { path: commandPath(program, action), options: action.opts() };
    await ctx.prepare();
  });
  program.configureHelp({ showGlobalOptions: true });
  for (const make of factories) {
    const command = make(ctx);
    overrideExitAndOutput(command, program);
    program.addCommand(command);
    showGlobalOptions(command);
  }
  return program;
}

/** A command and every subcommand throw instead of exiting, and write through the program's streams. */
function overrideExitAndOutput(command: Command, program: Command): void {
  command.exitOverride();
  command.configureOutput(program.configureOutput());
  for (const sub of command.commands) overrideExitAndOutput(sub, program);
}

/**
 * Run the CLI with `argv` (arguments after the program name). Returns the exit code; never calls
 * `process.exit`. Streams, environment and abort signal can be injected for in-process tests.
 */
export async function run(argv: string[], options: RunOptions = {}): Promise<number> {
  // The earlier clear-cache.js flags (--pre-deploy, --deploy, --pm2-restart) are `hook <name>`;
  // `help <command…>` is `<command…> --help`.
  argv = helpAsFlag(rewriteLegacyHookFlags(argv));
  registerArgvSecrets(argv, options.env ?? process.env);
  const ctx = new CliContext({
    streams: options.streams ?? { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
    env: options.env ?? process.env,
    cwd: options.cwd ?? process.cwd(),
    signal: options.signal ?? new AbortController().signal,
  });
  ctx.logFormat = logFormatInArgv(argv);
  // Help, version and usage errors come from static metadata: no command module is loaded.
  const meta = answeredByMetadata(argv) ? (versionOnly(argv) ? { program: { subcommands: [] } } : loadCommandMeta()) : undefined;
  const commands = meta?.program.subcommands ?? [];
  // Only the command asked about is built whole; the others need no more than their line in the list.
  const subject = meta ? helpSubject(argv) : undefined;
  const factories = meta ? commands.map((command) => () => commandFromMeta(command, { listedOnly: command.name !== subject })) : await loadFactories(argv);
  let program = buildProgram(ctx, factories);
  // `cachectl` alone: the help, on stdout, exit 0. An unknown command stays an error (exit 2)
  // even with --help, which would otherwise print the program's help and exit 0.
  if (argv.length === 0) {
    program.outputHelp();
    await ctx.close();
    return ExitCode.OK;
  }
  if (unknownCommand(argv) !== undefined) argv = argv.filter((a) => a !== '--help' && a !== '-h');
  // ioredis reports some conditions with console.warn; route them through our stderr (redacted).
  const consoleWarn = console.warn;
  console.warn = (...args: unknown[]) =>
    ctx.output.warn(
      args
        .map(String)
        .join(' ')
        .replace(/^\[WARN\]\s*/, ''),
    );
  try {
    try {
      await program.parseAsync(argv, { from: 'user' });
    } catch (error) {
      // "--help" was an option's value after all: the command runs, so load it.
      if (!(error instanceof RealCommandNeeded)) throw error;
      program = buildProgram(ctx, await loadFactories(argv));
      await program.parseAsync(argv, { from: 'user' });
    }
    return ctx.exitCode;
  } catch (error) {
    return report(ctx, await classifyStray(ctx, error));
  } finally {
    await ctx.close();
    console.warn = consoleWarn;
  }
}

function loadFactories(argv: string[]): Promise<CommandFactory[]> {
  return Promise.all(entriesFor(argv).map((entry) => entry.load()));
}

/** The error boundary: one line, a hint, an exit code. */
function report(ctx: CliContext, error: unknown): number {
  const output = ctx.output;
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
      return ExitCode.OK;
    }
    // One line: commander puts its "(Did you mean …?)" suggestion on a line of its own.
    const message = error.message
      .replace(/^error:\s*/, '')
      .replace(/\s*\n\s*/g, ' ')
      .trim();
    output.error(`${message}`, { code: 'CACHECTL_USAGE', exitCode: ExitCode.USAGE });
    output.hint(`hint: run "cachectl --help" or "cachectl <command> --help" for usage`);
    return ExitCode.USAGE;
  }
  if (error instanceof CachectlError) {
    output.error(error.message, { code: error.code, exitCode: error.exitCode });
    if (error.hint) output.hint(`hint: ${error.hint}`);
    if (error instanceof PermissionError) {
      const user = aclUserHint(ctx.command?.path, { dryRun: ctx.command?.options.dryRun === true, queue: ctx.command?.options.queue !== undefined });
      if (user) output.hint(`hint: ${user}`);
    }
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  output.error(`unexpected failure: ${redact(message)}`, { exitCode: ExitCode.FAILED });
  output.hint('hint: this is a bug in cachectl if the message does not explain it; please report it');
  return ExitCode.FAILED;
}

/** Every command's help lists the options it inherits (`--json`, `--redis-url`, …) under "Global Options". */
function showGlobalOptions(command: Command): void {
  command.configureHelp({ ...command.configureHelp(), showGlobalOptions: true });
  for (const sub of command.commands) showGlobalOptions(sub);
}

/** `queues inspect`, `hook pm2-restart`: the command's names below the program. */
function commandPath(program: Command, action: Command): string {
  const names: string[] = [];
  for (let c: Command | null = action; c && c !== program; c = c.parent) names.unshift(c.name());
  // Hooks are one command with the hook's name as argument: each has its own documented user.
  if (names.join(' ') === 'hook' && action.args[0]) names.push(action.args[0]);
  return names.join(' ');
}

/** `--tenant` once, valid, and only on a command that can honour it (else exit 2). */
async function assertTenantCommand(program: Command, action: Command, tenant: string): Promise<void> {
  // Loaded here: the tenant rules (and the glob and family code they use) only matter with --tenant.
  const { tenantScope } = await import('../core/tenant.js');
  tenantScope(tenant);
  let top = action;
  while (top.parent && top.parent !== program) top = top.parent;
  if (!TENANT_COMMANDS.has(top.name())) {
    throw new UsageError(`"${top.name()}" cannot be restricted to one tenant, so --tenant is refused`, {
      hint: `--tenant works with ${[...TENANT_COMMANDS].join(', ')}; run "${top.name()}" without it`,
    });
  }
}

/** `--tenant` may be given once: a second one would silently win (it is a restriction, not a list). */
function parseTenant(value: string, previous: string | undefined): string {
  if (previous !== undefined) throw new InvalidArgumentError(`given twice ("${previous}", "${value}"): --tenant restricts to one tenant.`);
  return value;
}

/**
 * A Redis failure that escaped a command unclassified (a reply error such as NOPERM, a command
 * timeout, a lost connection) still gets its message, hint and exit code (7 for an ACL denial, 3
 * for a timeout) instead of "unexpected failure".
 */
async function classifyStray(ctx: CliContext, error: unknown): Promise<unknown> {
  if (error instanceof CachectlError || error instanceof CommanderError) return error;
  const { classifyRedisError, isRedisFailure } = await import('../redis/errors.js'); // the failure path only
  if (!isRedisFailure(error)) return error;
  const connection = await ctx.connection().catch(() => undefined);
  return connection ? connection.wrapError(error) : classifyRedisError(error, 'the server');
}

function parseSentinels(value: string) {
  try {
    return parseHostList(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message} (e.g. 10.0.0.1:26379,10.0.0.2:26379).`);
  }
}
