/**
 * Static command metadata: every command's commander tree (names, aliases, descriptions,
 * arguments, options, subcommands, help text) written to dist/cli/command-meta.json at build
 * time. `--help`, `--version`, `help` and a mistyped command are answered from it without loading
 * any command module; shell completion reads the same file.
 */
import { readFileSync } from 'node:fs';
import { Argument, Command, Option } from 'commander';

export interface ArgumentMeta {
  name: string;
  description: string;
  required: boolean;
  variadic: boolean;
  defaultValue?: unknown;
  defaultValueDescription?: string;
  choices?: string[];
}

export interface OptionMeta {
  /** As declared, e.g. `-o, --out <file>`. */
  flags: string;
  description: string;
  /** `-o` (undefined when the option has no short form). */
  short?: string;
  /** `--out`. */
  long?: string;
  /** Takes a value (`<v>` required, `[v]` optional). */
  takesValue: 'required' | 'optional' | 'none';
  variadic: boolean;
  negate: boolean;
  mandatory: boolean;
  hidden: boolean;
  defaultValue?: unknown;
  defaultValueDescription?: string;
  presetArg?: unknown;
  envVar?: string;
  choices?: string[];
  helpGroup?: string;
}

export type HelpPosition = 'beforeAll' | 'before' | 'after' | 'afterAll';

export interface CommandMeta {
  name: string;
  aliases: string[];
  description: string;
  summary: string;
  /** A custom usage line, when the command sets one. */
  usage?: string;
  hidden: boolean;
  /** Runs something itself (else it only groups subcommands). */
  hasAction: boolean;
  allowUnknownOption: boolean;
  allowExcessArguments: boolean;
  arguments: ArgumentMeta[];
  options: OptionMeta[];
  /** Text added to the help (`addHelpText`), by position. */
  helpText: Partial<Record<HelpPosition, string>>;
  /** `configureHelp()` settings (plain values only). */
  helpConfiguration: Record<string, unknown>;
  subcommands: CommandMeta[];
}

export interface CommandMetaFile {
  /** cachectl's version at build time. */
  version: string;
  /** The program itself: its global options and help text (`subcommands` are the commands). */
  program: CommandMeta;
}

let cached: CommandMetaFile | null | undefined;

/** The metadata written at build time, or undefined when not built (running from source). */
export function loadCommandMeta(): CommandMetaFile | undefined {
  if (cached === undefined) {
    try {
      cached = JSON.parse(readFileSync(new URL('./command-meta.json', import.meta.url), 'utf8')) as CommandMetaFile;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}

/** Thrown by a command rebuilt from metadata when the command line would run it, not show help. */
export class RealCommandNeeded extends Error {
  constructor() {
    super('this command line runs a command: load it');
  }
}

/**
 * A commander command equivalent to the real one for parsing and help, whose action only throws.
 * `listedOnly`: just what its line in the program's command list shows (names, arguments, whether
 * it has options, description) and what a suggestion for a mistyped name needs.
 */
export function commandFromMeta(meta: CommandMeta, options: { listedOnly?: boolean } = {}): Command {
  const command = new Command(meta.name).description(meta.description);
  for (const alias of meta.aliases) command.alias(alias);
  if (meta.summary) command.summary(meta.summary);
  if (meta.usage !== undefined) command.usage(meta.usage);
  for (const arg of meta.arguments) command.addArgument(argumentFromMeta(arg));
  if (options.listedOnly) {
    // The list shows "[options]" when a command has any: one stands for all. Should the line run
    // it after all, anything it is given reaches the action, which loads the real command.
    if (meta.options.length > 0) command.addOption(optionFromMeta(meta.options[0]!));
    command.allowUnknownOption().allowExcessArguments();
    command.action(needsRealCommand);
    return command;
  }
  for (const option of meta.options) command.addOption(optionFromMeta(option));
  command.allowUnknownOption(meta.allowUnknownOption);
  command.allowExcessArguments(meta.allowExcessArguments);
  for (const [position, text] of Object.entries(meta.helpText)) command.addHelpText(position as HelpPosition, text);
  if (Object.keys(meta.helpConfiguration).length > 0) command.configureHelp(meta.helpConfiguration);
  if (meta.hasAction) command.action(needsRealCommand);
  for (const sub of meta.subcommands) command.addCommand(commandFromMeta(sub), sub.hidden ? { hidden: true } : {});
  if (meta.subcommands.length > 0) command.hook('preSubcommand', (parent, sub) => void sub.copyInheritedSettings(parent));
  return command;
}

function needsRealCommand(): never {
  throw new RealCommandNeeded();
}

function argumentFromMeta(meta: ArgumentMeta): Argument {
  const name = `${meta.name}${meta.variadic ? '...' : ''}`;
  const arg = new Argument(meta.required ? `<${name}>` : `[${name}]`, meta.description);
  if (meta.defaultValue !== undefined || meta.defaultValueDescription !== undefined) arg.default(meta.defaultValue, meta.defaultValueDescription);
  if (meta.choices) arg.choices(meta.choices);
  return arg;
}

function optionFromMeta(meta: OptionMeta): Option {
  const option = new Option(meta.flags, meta.description);
  if (meta.defaultValue !== undefined || meta.defaultValueDescription !== undefined) option.default(meta.defaultValue, meta.defaultValueDescription);
  if (meta.presetArg !== undefined) option.preset(meta.presetArg);
  if (meta.envVar !== undefined) option.env(meta.envVar);
  if (meta.choices) option.choices(meta.choices);
  if (meta.mandatory) option.makeOptionMandatory();
  if (meta.hidden) option.hideHelp();
  if (meta.helpGroup !== undefined) option.helpGroup(meta.helpGroup);
  return option;
}
