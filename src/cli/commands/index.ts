/**
 * Every subcommand, one file each. Order here is the order in `--help`.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { pingCommand } from './ping.js';

export type CommandFactory = (ctx: CliContext) => Command;

export const commandFactories: CommandFactory[] = [pingCommand];
