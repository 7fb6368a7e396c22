// Help shown from the static command metadata equals the help of the real command objects, for
// the program, every command and every subcommand: the metadata cannot go stale unnoticed.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandFromMeta, type CommandMeta, type CommandMetaFile } from '../../src/cli/command-meta.js';
import { describeCommand } from '../../src/cli/command-meta-write.js';
import { commandEntries, GLOBAL_OPTIONS_WITH_VALUE, type CommandFactory } from '../../src/cli/commands/index.js';
import { CliContext } from '../../src/cli/context.js';
import { helpAsFlag } from '../../src/cli/help-page.js';
import { buildProgram } from '../../src/cli/main.js';
import { ROOT, spawnCli } from '../helpers/cli.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const realFactories: CommandFactory[] = await Promise.all(commandEntries.map((entry) => entry.load()));

function metaFactories(meta: CommandMeta): CommandFactory[] {
  return meta.subcommands.map((command) => () => commandFromMeta(command));
}

/** What `cachectl <argv>` prints on stdout with these command factories (help exits via exitOverride). */
async function helpOutput(factories: CommandFactory[], argv: string[]): Promise<string> {
  const stdout = new Capture();
  const stderr = new Capture();
  const ctx = new CliContext({ streams: { stdout, stderr, stdin: process.stdin }, env: {}, cwd: ROOT, signal: new AbortController().signal });
  const program = buildProgram(ctx, factories);
  await expect(program.parseAsync(argv, { from: 'user' })).rejects.toMatchObject({ code: expect.stringMatching(/^commander\.(helpDisplayed|help|version)$/) });
  return stdout.text + stderr.text;
}

/** Every command path below the program: ['ping'], ['queues'], ['queues', 'inspect'], … */
function commandPaths(meta: CommandMeta, prefix: string[] = []): string[][] {
  return meta.subcommands.flatMap((sub) => [[...prefix, sub.name], ...commandPaths(sub, [...prefix, sub.name])]);
}

function walk(command: Command, visit: (c: Command) => void): void {
  visit(command);
  for (const sub of command.commands) walk(sub, visit);
}

const realProgram = buildProgram(new CliContext({ streams: process, env: {}, cwd: ROOT, signal: new AbortController().signal }), realFactories);
const fresh = describeCommand(realProgram);
const shipped = JSON.parse(readFileSync(path.join(ROOT, 'dist/cli/command-meta.json'), 'utf8')) as CommandMetaFile;
const paths = commandPaths(fresh);

describe('help from command metadata', () => {
  it('covers every command and subcommand', () => {
    expect(paths.length).toBeGreaterThanOrEqual(commandEntries.length + 9);
    expect(paths).toContainEqual(['queues', 'inspect']);
    expect(paths).toContainEqual(['ttl', 'apply']);
  });

  it('names the commands, options and aliases of today: config, completion, --context, -o, --watch, --log-format', () => {
    const byName = new Map(shipped.program.subcommands.map((c) => [c.name, c]));
    const longs = (c: CommandMeta | undefined) => c?.options.map((o) => o.long) ?? [];
    expect(longs(shipped.program)).toEqual(expect.arrayContaining(['--context', '--config', '--json', '--tenant']));
    expect(byName.get('config')?.subcommands.map((c) => c.name)).toEqual(['path', 'contexts', 'show']);
    expect(byName.get('completion')?.subcommands.map((c) => [c.name, c.hidden])).toEqual([['__complete', true]]);
    for (const name of ['ping', 'stats', 'queues']) expect(longs(byName.get(name))).toEqual(expect.arrayContaining(['--output', '--watch']));
    for (const name of ['clear-old', 'maintenance', 'listen']) expect(longs(byName.get(name))).toContain('--log-format');
    // Every command the registry knows, with the same aliases.
    expect(shipped.program.subcommands.map((c) => [c.name, c.aliases])).toEqual(commandEntries.map((e) => [e.name, e.aliases ?? []]));
  });

  it('the command word is found after every global option that takes a value', () => {
    const withValue = fresh.options.filter((o) => o.takesValue !== 'none').map((o) => o.long);
    expect([...GLOBAL_OPTIONS_WITH_VALUE].sort()).toEqual(withValue.sort());
  });

  it('the built metadata file describes the current commands (rebuild after changing a command)', () => {
    expect(shipped.program).toEqual(JSON.parse(JSON.stringify(fresh)));
    expect(shipped.version).toBe((JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it.each([[[]], [['--help']], [['help']], [['--version']]])('cachectl %j prints the same', async (argv) => {
    expect(await helpOutput(metaFactories(fresh), argv)).toBe(await helpOutput(realFactories, argv));
  });

  it.each(paths.map((p) => [p.join(' ')]))('cachectl %s --help (and help …) prints the same', async (name) => {
    const words = name.split(' ');
    expect(await helpOutput(realFactories, [...words, '--help'])).toMatch(new RegExp(`^Usage: cachectl ${name}(\\|[a-z]+)? \\[options\\]`));
    for (const argv of [
      [...words, '--help'],
      ['help', ...words],
    ]) {
      const real = await helpOutput(realFactories, argv);
      expect(await helpOutput(metaFactories(fresh), argv)).toBe(real);
      expect(await helpOutput(metaFactories(shipped.program), argv)).toBe(real);
    }
  });

  it('every command renders the same at narrow and wide terminals', () => {
    const light = buildProgram(new CliContext({ streams: process, env: {}, cwd: ROOT, signal: new AbortController().signal }), metaFactories(fresh));
    const real: Command[] = [];
    const rebuilt: Command[] = [];
    walk(realProgram, (c) => real.push(c));
    walk(light, (c) => rebuilt.push(c));
    expect(rebuilt.map((c) => c.name())).toEqual(real.map((c) => c.name()));
    for (const width of [40, 120, 200]) {
      real.forEach((command, i) => {
        const copy = rebuilt[i]!;
        for (const c of [command, copy]) c.configureHelp({ ...c.configureHelp(), helpWidth: width });
        expect(copy.helpInformation()).toBe(command.helpInformation());
      });
    }
  });
});

describe('the built binary', () => {
  it.each([
    [['--help']],
    [['help']],
    [['ping', '--help']],
    [['queues', '--help']],
    [['queues', 'clean', '--help']],
    [['help', 'queues']],
    [['help', 'ttl', 'apply']],
    [['config', 'contexts', '--help']],
    [['completion', '--help']],
    [['--version']],
    [['-V']],
  ])('cachectl %j prints what the real commands print', async (argv) => {
    const result = await spawnCli(argv);
    expect(result.code).toBe(0);
    // `help <command…>` is `<command…> --help` (commander's own help command would stop at the first word).
    expect(result.stdout).toBe(await helpOutput(realFactories, helpAsFlag(argv)));
  });
});
