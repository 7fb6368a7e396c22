/**
 * What the shell should offer for the word being typed: commands, subcommands and options from
 * the commander tree of every command; family names, placeholders, tenants and contexts from the
 * config; queue names from the server (asked by the caller, within a small time budget).
 */
import type { Command, Option } from 'commander';

/** Values only the configuration (or the server) knows. Each may fail: then nothing is offered. */
export interface CompletionSource {
  families(): string[];
  /** Placeholders of a family's template (offered as `--<placeholder>`). */
  placeholders(family: string): string[];
  tenants(): string[];
  contexts(): string[];
  queues(): Promise<string[]>;
}

/** Arguments named like these take family names (and the keywords their help names). */
const FAMILY_ARGS = new Set(['family', 'families', 'targets']);
/** Keywords a family argument also accepts, by the commands that accept them. */
const FAMILY_KEYWORDS: Record<string, string[]> = { invalidate: ['pattern', 'conversation'], keys: ['pattern'], backup: ['pattern'] };

/**
 * Candidates for the last of `words` (the words after the program name; the last may be '').
 * Only candidates that start with what was typed are returned.
 */
export async function completeWords(program: Command, words: string[], source: CompletionSource): Promise<string[]> {
  const typed = words.at(-1) ?? '';
  const state = walk(program, words.slice(0, -1));
  const all = await candidates(state, typed, source);
  return [...new Set(all)].filter((c) => c.startsWith(typed));
}

interface WalkState {
  command: Command;
  positionals: string[];
  /** The option whose value is being typed (`--context <TAB>`). */
  pending: Option | undefined;
}

/** Follow the typed words down the command tree: subcommands, options (and their values), arguments. */
function walk(program: Command, done: string[]): WalkState {
  let command = program;
  let positionals: string[] = [];
  let pending: Option | undefined;
  let afterDashes = false;
  for (const word of done) {
    if (pending) {
      pending = undefined;
      continue;
    }
    if (!afterDashes && word === '--') {
      afterDashes = true;
      continue;
    }
    if (!afterDashes && word.startsWith('-') && word.length > 1) {
      const option = findOption(command, word.split('=')[0]!);
      if (option && takesValue(option) && !word.includes('=')) pending = option;
      continue;
    }
    const sub = positionals.length === 0 ? visibleCommands(command).find((c) => c.name() === word || c.aliases().includes(word)) : undefined;
    if (sub) {
      command = sub;
      positionals = [];
    } else positionals.push(word);
  }
  return { command, positionals, pending };
}

async function candidates(state: WalkState, typed: string, source: CompletionSource): Promise<string[]> {
  const { command, positionals, pending } = state;
  if (pending) return optionValues(pending, source);
  if (typed.startsWith('-')) {
    const options = optionChain(command).flatMap((o) => (o.long ? [o.long] : []));
    const families = FAMILY_ARGS.has(command.registeredArguments[0]?.name() ?? '') ? safe(() => source.families()) : [];
    const family = [...positionals].reverse().find((p) => families.includes(p));
    const placeholders = family ? safe(() => source.placeholders(family)).map((p) => `--${p}`) : [];
    return [...placeholders, ...options, '--help'];
  }
  const subcommands = visibleCommands(command).map((c) => c.name());
  return [...subcommands, ...(await argumentValues(command, positionals, source))];
}

/** Values of the next positional argument, by its name. */
async function argumentValues(command: Command, positionals: string[], source: CompletionSource): Promise<string[]> {
  const args = command.registeredArguments;
  if (args.length === 0) return [];
  const last = args.at(-1)!;
  const arg = positionals.length < args.length ? args[positionals.length]! : last.variadic ? last : undefined;
  if (!arg) return [];
  const name = arg.name();
  if (FAMILY_ARGS.has(name)) {
    return [...safe(() => source.families()), ...(positionals.length === 0 ? (FAMILY_KEYWORDS[command.name()] ?? []) : [])];
  }
  if (name === 'name' && command.parent?.name() === 'queues') return source.queues().catch(() => []);
  return [];
}

function optionValues(option: Option, source: CompletionSource): string[] {
  if (option.argChoices) return option.argChoices;
  if (option.long === '--context') return safe(() => source.contexts());
  if (option.long === '--tenant') return safe(() => source.tenants());
  return [];
}

function safe(read: () => string[]): string[] {
  try {
    return read();
  } catch {
    return [];
  }
}

/** The options a command accepts: its own, then those of every ancestor (the global ones last). */
function optionChain(command: Command): Option[] {
  const options: Option[] = [];
  for (let c: Command | null = command; c; c = c.parent) options.push(...c.options.filter((o) => !o.hidden));
  return options;
}

function findOption(command: Command, flag: string): Option | undefined {
  return optionChain(command).find((o) => o.long === flag || o.short === flag);
}

function takesValue(option: Option): boolean {
  return option.required || option.optional;
}

/** Subcommands a user would type (not `help`, not internal `__…` ones). */
function visibleCommands(command: Command): Command[] {
  return command.commands.filter((c) => c.name() !== 'help' && !c.name().startsWith('__'));
}
