/**
 * `cachectl completion bash|zsh|fish`: a completion script for the shell. The script is small and
 * asks `cachectl completion __complete -- <words>` for the candidates (as cobra and kubectl do),
 * so commands, options, families, contexts and queue names are always the current ones.
 */
import { Argument, Command } from 'commander';
import { commandFromMeta, loadCommandMeta } from '../command-meta.js';
import { completeWords, type CompletionSource } from '../completion-words.js';
import type { CliContext } from '../context.js';
import { buildProgram } from '../main.js';
import { entriesFor, type CommandFactory } from './index.js';
import { SCRIPTS } from './completion-scripts.js';

/** Connect + discovery budget for queue names: a slow server must not freeze the shell. */
const QUEUE_BUDGET_MS = 300;

export function completionCommand(ctx: CliContext): Command {
  const command = new Command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell').choices(Object.keys(SCRIPTS)))
    .addHelpText(
      'after',
      `
Commands, options, family names and placeholders, tenants and contexts come from the config;
queue names from the server when it answers within ${QUEUE_BUDGET_MS} ms.

Install:
  bash  $ echo 'source <(cachectl completion bash)' >> ~/.bashrc
  zsh   $ echo 'source <(cachectl completion zsh)' >> ~/.zshrc      # after compinit
  fish  $ cachectl completion fish > ~/.config/fish/completions/cachectl.fish`,
    )
    .action((shell: keyof typeof SCRIPTS) => {
      ctx.releaseIdleStdin();
      ctx.output.streams.stdout.write(SCRIPTS[shell]);
    });
  command
    .command('__complete', { hidden: true })
    .description('candidates for the last word (used by the completion scripts)')
    .argument('[words...]', 'the words after "cachectl", the last one being completed (after --)')
    .action(async (words: string[]) => {
      ctx.releaseIdleStdin();
      const program = buildProgram(ctx, await factoriesFor(words.slice(0, -1)));
      applyTypedGlobals(ctx, words);
      await ctx.prepare(); // a typed --config or --context may need the config validator
      const found = await completeWords(program, words.length > 0 ? words : [''], configSource(ctx));
      if (found.length > 0) ctx.output.streams.stdout.write(`${found.join('\n')}\n`);
    });
  return command;
}

/**
 * The command tree from the build's static metadata: no command module is loaded for a TAB.
 * Without it (running from source) only the command the line names is loaded; before one is
 * named, stand-ins with the names and aliases are enough to offer them.
 */
async function factoriesFor(done: string[]): Promise<CommandFactory[]> {
  const meta = loadCommandMeta();
  if (meta) return meta.program.subcommands.map((command) => () => commandFromMeta(command));
  const entries = entriesFor(done);
  if (entries.length === 1) return [await entries[0]!.load()];
  return entries.map((entry) => () => new Command(entry.name).aliases(entry.aliases ?? []));
}

/** `--config`, `--context` and `--redis-url` typed on the line being completed choose the server. */
function applyTypedGlobals(ctx: CliContext, words: string[]): void {
  const value = (flag: string) => {
    const at = words.lastIndexOf(flag);
    const inline = words.find((w) => w.startsWith(`${flag}=`));
    return at >= 0 && at + 1 < words.length - 1 ? words[at + 1] : inline?.slice(flag.length + 1);
  };
  const config = value('--config');
  const context = value('--context');
  const redisUrl = value('--redis-url');
  ctx.init({
    ...ctx.options,
    ...(config ? { config } : {}),
    ...(context ? { context } : {}),
    ...(redisUrl ? { redisUrl } : {}),
    sources: { ...(config ? { config: 'cli' } : {}), ...(context ? { context: 'cli' } : {}), ...(redisUrl ? { redisUrl: 'cli' } : {}) },
  });
}

function configSource(ctx: CliContext): CompletionSource {
  return {
    families: () => Object.keys(ctx.config().families),
    placeholders: (family) => ctx.config().families[family]?.parsed.placeholders ?? [],
    tenants: () => ctx.config().tenants,
    contexts: () => Object.keys(ctx.config().contexts),
    queues: () => queueNames(ctx),
  };
}

/** Queue names from the server, or nothing when it does not answer within the budget. */
async function queueNames(ctx: CliContext): Promise<string[]> {
  // Loaded here: most completions never talk to the server.
  const [{ discoverQueues }, { connect }, { connectionOptionsFrom }] = await Promise.all([
    import('../../core/queues/discovery.js'),
    import('../../redis/connect.js'),
    import('../../redis/from-config.js'),
  ]);
  const config = ctx.config();
  const options = { ...connectionOptionsFrom(config), connectTimeoutMs: QUEUE_BUDGET_MS, commandTimeoutMs: QUEUE_BUDGET_MS };
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve([]);
    }, QUEUE_BUDGET_MS);
  });
  const pending = connect(options);
  const work = (async () => {
    const refs = await discoverQueues(await pending, config.queues.prefixes, { signal: abort.signal });
    return refs.map((r) => r.name);
  })().catch(() => []);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    void pending.then((c) => c.close()).catch(() => undefined);
  }
}
