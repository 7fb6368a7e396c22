// `--help` without the program: the pages written at build time, laid out for a width, equal what
// the real commands print at that width, for the program and every command and subcommand; the
// executable prints them for plain help requests only, on a terminal at the terminal's width.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandEntries } from '../../src/cli/commands/index.js';
import { CliContext } from '../../src/cli/context.js';
import { helpText, layOut, type HelpPagesFile } from '../../src/cli/help-page.js';
import { helpPages } from '../../src/cli/help-page-write.js';
import { buildProgram } from '../../src/cli/main.js';
import { ROOT, spawnCli } from '../helpers/cli.js';
import { runOnTerminal } from '../helpers/pty.js';

const program = buildProgram(
  new CliContext({ streams: process, env: {}, cwd: ROOT, signal: new AbortController().signal }),
  await Promise.all(commandEntries.map((entry) => entry.load())),
);
const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const fresh = helpPages(program, version);
const shipped = JSON.parse(readFileSync(path.join(ROOT, 'dist/cli/help-pages.json'), 'utf8')) as HelpPagesFile;

/** What the real command prints for --help on a terminal `width` columns wide. */
function printed(command: Command, width: number): string {
  const saved = command.configureOutput();
  let text = '';
  command.configureOutput({ ...saved, writeOut: (s) => (text += s), getOutHelpWidth: () => width });
  try {
    command.outputHelp();
  } finally {
    command.configureOutput(saved);
  }
  return text;
}

/** Every command with its page key: '' for the program, 'queues inspect' for a subcommand. */
function commands(command: Command, key = ''): Array<[string, Command]> {
  return [[key, command], ...command.commands.flatMap((sub) => commands(sub, key === '' ? sub.name() : `${key} ${sub.name()}`))];
}
const all = commands(program);

describe('help pages', () => {
  it('cover the program, every command and every subcommand, and the shipped file is current', () => {
    expect(Object.keys(fresh.pages).sort()).toEqual(all.map(([key]) => key).sort());
    expect(all.length).toBeGreaterThanOrEqual(commandEntries.length + 10);
    expect(shipped).toEqual(JSON.parse(JSON.stringify(fresh)));
  });

  it.each(all.map(([key]) => [key || '(the program)']))('%s: laid out at 80, 40, 57, 100 and 200 columns as the command prints it', (name) => {
    const [key, command] = all.find(([k]) => (k || '(the program)') === name)!;
    for (const width of [80, 40, 57, 100, 200]) expect(layOut(fresh.pages[key]!, width)).toBe(printed(command, width));
  });

  it('a page changes with the width (descriptions are wrapped, not pre-rendered)', () => {
    const page = fresh.pages['clear-old']!;
    expect(layOut(page, 100)).not.toBe(layOut(page, 200));
    expect(layOut(page, 100).split('\n').length).toBeGreaterThan(layOut(page, 200).split('\n').length);
  });

  it.each([
    [[], ''],
    [['--help'], ''],
    [['-h'], ''],
    [['help'], ''],
    [['help', 'queues'], 'queues'],
    [['help', 'queues', 'inspect'], 'queues inspect'],
    [['queues', 'inspect', '--help'], 'queues inspect'],
    [['config', 'contexts', '-h'], 'config contexts'],
  ])('cachectl %j is the page %j', (args, key) => {
    expect(helpText(args, 80, fresh)).toBe(layOut(fresh.pages[key]!, 80));
  });

  it('an alias finds its command page', () => {
    const aliased = all.find(([, c]) => c.aliases().length > 0);
    expect(aliased).toBeDefined();
    const [key, command] = aliased!;
    expect(helpText([command.aliases()[0]!, '--help'], 80, fresh)).toBe(layOut(fresh.pages[key]!, 80));
  });

  it.each([
    [['nosuch', '--help']],
    [['queues', 'nosuch', '--help']],
    [['--tenant', 'acme', 'clear-old', '--help']],
    [['ping', '--json', '--help']],
    [['clear-old', 'session:*', '--help']],
    [['help', 'nosuch']],
    [['help', 'queues', 'nosuch']],
    [['help', '--json']],
    [['--help', 'ping']],
    [['ping']],
    [['--version']],
  ])('cachectl %j is left to the program', (args) => {
    expect(helpText(args, 80, fresh)).toBeUndefined();
  });
});

describe('the executable', () => {
  it.each([[[]], [['--help']], [['help', 'ttl']], [['queues', 'clean', '--help']]])('cachectl %j: the page, on stdout, exit 0', async (args) => {
    const result = await spawnCli(args);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(helpText(args, 80, fresh));
  });

  it('on a terminal, lays the page out for its width (70 columns)', async () => {
    const run = await runOnTerminal(['clear-old', '--help'], { columns: 70 });
    expect(run.code).toBe(0);
    expect(run.output.replace(/\r\n/g, '\n')).toBe(printed(all.find(([k]) => k === 'clear-old')![1], 70));
  });

  it.each([[['nosuch', '--help']], [['help', 'nosuch']]])('cachectl %j: an unknown command is still an error (exit 2, one line)', async (args) => {
    const result = await spawnCli(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: unknown command 'nosuch'\nhint: /);
  });

  it("help <command> <subcommand> is the subcommand's help, as <command> <subcommand> --help", async () => {
    const result = await spawnCli(['help', 'queues', 'inspect']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(printed(all.find(([k]) => k === 'queues inspect')![1], 80));
  });
});
