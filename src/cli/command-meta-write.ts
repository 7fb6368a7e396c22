/**
 * Describe a commander tree as static metadata (see command-meta.ts). Used by the build, and by
 * the test that proves help rendered from the metadata equals the real commands' help.
 */
import type { EventEmitter } from 'node:events';
import type { Argument, Command, Option } from 'commander';
import type { ArgumentMeta, CommandMeta, HelpPosition, OptionMeta } from './command-meta.js';

const POSITIONS: HelpPosition[] = ['beforeAll', 'before', 'after', 'afterAll'];

/** Commander keeps these on the instance without public getters. */
interface CommandInternals {
  _actionHandler: unknown;
  _allowUnknownOption: boolean;
  _allowExcessArguments: boolean;
  _hidden: boolean;
  _usage?: string;
  _helpConfiguration: Record<string, unknown>;
}

export function describeCommand(command: Command, options: { withSubcommands?: boolean } = {}): CommandMeta {
  const internals = command as unknown as CommandInternals;
  const helpConfiguration = Object.fromEntries(Object.entries(internals._helpConfiguration).filter(([, value]) => typeof value !== 'function'));
  return {
    name: command.name(),
    aliases: command.aliases(),
    description: command.description(),
    summary: command.summary(),
    ...(internals._usage !== undefined ? { usage: internals._usage } : {}),
    hidden: internals._hidden,
    hasAction: internals._actionHandler !== null,
    allowUnknownOption: internals._allowUnknownOption,
    allowExcessArguments: internals._allowExcessArguments,
    arguments: command.registeredArguments.map(describeArgument),
    options: command.options.map(describeOption),
    helpText: helpTextOf(command),
    helpConfiguration: plain(helpConfiguration, `help configuration of ${command.name()}`) as Record<string, unknown>,
    subcommands: options.withSubcommands === false ? [] : command.commands.map((sub) => describeCommand(sub)),
  };
}

function describeArgument(arg: Argument): ArgumentMeta {
  return {
    name: arg.name(),
    description: arg.description,
    required: arg.required,
    variadic: arg.variadic,
    ...(arg.defaultValue !== undefined ? { defaultValue: plain(arg.defaultValue, `default of <${arg.name()}>`) } : {}),
    ...(arg.defaultValueDescription !== undefined ? { defaultValueDescription: arg.defaultValueDescription } : {}),
    ...(arg.argChoices ? { choices: [...arg.argChoices] } : {}),
  };
}

function describeOption(option: Option): OptionMeta {
  return {
    flags: option.flags,
    description: option.description,
    ...(option.short !== undefined ? { short: option.short } : {}),
    ...(option.long !== undefined ? { long: option.long } : {}),
    takesValue: option.required ? 'required' : option.optional ? 'optional' : 'none',
    variadic: option.variadic,
    negate: option.negate,
    mandatory: option.mandatory,
    hidden: option.hidden,
    ...(option.defaultValue !== undefined ? { defaultValue: plain(option.defaultValue, `default of ${option.flags}`) } : {}),
    ...(option.defaultValueDescription !== undefined ? { defaultValueDescription: option.defaultValueDescription } : {}),
    ...(option.presetArg !== undefined ? { presetArg: plain(option.presetArg, `preset of ${option.flags}`) } : {}),
    ...(option.envVar !== undefined ? { envVar: option.envVar } : {}),
    ...(option.argChoices ? { choices: [...option.argChoices] } : {}),
    ...(option.helpGroupHeading !== undefined ? { helpGroup: option.helpGroupHeading } : {}),
  };
}

/** The text each `addHelpText` listener writes (rendered as for `--help`, not for an error). */
function helpTextOf(command: Command): Partial<Record<HelpPosition, string>> {
  const texts: Partial<Record<HelpPosition, string>> = {};
  for (const position of POSITIONS) {
    let text = '';
    for (const listener of (command as unknown as EventEmitter).listeners(`${position}Help`)) {
      (listener as (context: unknown) => void)({ error: false, command, write: (s: string) => (text += s) });
    }
    // addHelpText writes its text plus a newline; rebuilding adds that newline back.
    if (text !== '') texts[position] = text.endsWith('\n') ? text.slice(0, -1) : text;
  }
  return texts;
}

/** A value that survives JSON unchanged (else the build fails: help would differ). */
function plain(value: unknown, what: string): unknown {
  const copy: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
  if (JSON.stringify(copy) !== JSON.stringify(value) || (typeof value === 'number' && !Number.isFinite(value))) {
    throw new Error(`${what} cannot be written as command metadata: ${String(value)}`);
  }
  return copy;
}
