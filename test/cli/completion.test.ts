// The completion scripts load in bash, zsh and fish and offer what they should: commands, options,
// families and placeholders and contexts from the config, queue names from a real server (and
// nothing, quickly, when no server answers). `cachectl` on PATH is a wrapper around the built binary.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, spawnCli } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/server-process.js';

let dir: string;
let server: ServerHandle;
let env: NodeJS.ProcessEnv;
const scripts: Record<string, string> = {};

function has(shell: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachectl-completion-'));
  server = await startServer({ binary: 'redis-server' });
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'cachectl'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(path.join(bin, 'cachectl'), 0o755);
  // The config in the working folder: a family of its own, contexts, and the server's URL.
  writeFileSync(
    path.join(dir, 'cachectl.config.json'),
    JSON.stringify({
      redis: { url: server.url },
      families: { orderCache: { template: 'order:{shopId}:{orderId}' } },
      contexts: { staging: { url: server.url }, 'prod-eu': { url: server.url, production: true } },
    }),
  );
  const queue = new Queue('emails-outbound', { connection: { host: '127.0.0.1', port: server.port } });
  await queue.add('send', { to: 'x' });
  await queue.close();
  env = cleanEnv({ PATH: `${bin}:${process.env.PATH}` });
  for (const shell of ['bash', 'zsh', 'fish']) {
    const made = await spawnCli(['completion', shell]);
    expect(made.code, made.stderr).toBe(0);
    scripts[shell] = path.join(dir, `completion.${shell}`);
    writeFileSync(scripts[shell]!, made.stdout);
  }
}, 60_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** COMPREPLY of the bash function for a command line (the last word is being completed). */
function bash(words: string[], cwd = dir): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const script = `source '${scripts.bash}'; COMP_WORDS=(cachectl ${quoted}); COMP_CWORD=${words.length}; _cachectl_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['-c', script], { cwd, env, encoding: 'utf8', timeout: 30_000 });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split('\n').filter(Boolean);
}

describe('bash', () => {
  it('the script is valid bash (bash -n)', () => {
    const result = spawnSync('bash', ['-n', scripts.bash!], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
  });

  it('completes commands, subcommands and options', () => {
    expect(bash(['clear-'])).toEqual(['clear-all', 'clear-old', 'clear-user']);
    expect(bash(['config', ''])).toEqual(['path', 'contexts', 'show']);
    expect(bash(['clear-old', '--ho'])).toEqual(['--hours']);
    expect(bash(['--con'])).toEqual(expect.arrayContaining(['--config', '--context', '--connect-timeout']));
  });

  it('completes family names and a family’s placeholders from the config', () => {
    const families = bash(['clear-old', '']);
    expect(families).toEqual(expect.arrayContaining(['orderCache', 'chatList', 'convMapping']));
    expect(bash(['invalidate', 'o'])).toEqual(['orderCache']);
    expect(bash(['invalidate', 'orderCache', '--'])).toEqual(expect.arrayContaining(['--shopId', '--orderId', '--dry-run']));
    expect(bash(['--context', ''])).toEqual(['staging', 'prod-eu']);
  });

  it('a --config typed on the line is read, also from a folder without a config file', () => {
    const elsewhere = mkdtempSync(path.join(dir, 'elsewhere-'));
    const file = path.join(dir, 'cachectl.config.json');
    expect(bash(['--config', file, 'invalidate', 'o'], elsewhere)).toEqual(['orderCache']);
    expect(bash(['--config', file, '--context', ''], elsewhere)).toEqual(['staging', 'prod-eu']);
  });

  it('completes queue names from the server', () => {
    expect(bash(['queues', 'retry', ''])).toEqual(['emails-outbound']);
    expect(bash(['queues', 'inspect', 'em'])).toEqual(['emails-outbound']);
  });

  it('no server: no queue names, within the time budget', () => {
    const started = Date.now();
    expect(bash(['--redis-url', 'redis://127.0.0.1:1', 'queues', 'retry', ''])).toEqual([]);
    // The process start dominates; the server part is bounded at 300 ms.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe.skipIf(!has('zsh'))('zsh', () => {
  it('the script parses (zsh -n) and its function offers candidates through compadd', () => {
    expect(spawnSync('zsh', ['-n', scripts.zsh!]).status).toBe(0);
    // compdef / compadd / _files come with compinit; stand-ins record what the function offers.
    const script = `compdef() { :; }; compadd() { print -rl -- "\${@[3,-1]}"; }; _files() { print FILES; }
source '${scripts.zsh}'
words=(cachectl clear-old ''); CURRENT=3; _cachectl
words=(cachectl clear-); CURRENT=2; _cachectl
words=(cachectl restore ''); CURRENT=3; _cachectl`;
    const result = spawnSync('zsh', ['-f', '-c', script], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toEqual(expect.arrayContaining(['orderCache', 'clear-all', 'clear-old', 'clear-user', 'FILES']));
  });
});

describe.skipIf(!has('fish'))('fish', () => {
  it('the script loads and `complete -C` offers commands, families and queues', () => {
    const script = `source '${scripts.fish}'; complete -C 'cachectl clear-'; complete -C 'cachectl clear-old '; complete -C 'cachectl queues retry '`;
    const result = spawnSync('fish', ['--no-config', '-c', script], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.split('\n').map((l) => l.split('\t')[0]);
    expect(lines).toEqual(expect.arrayContaining(['clear-all', 'clear-old', 'clear-user', 'orderCache', 'emails-outbound']));
    expect(lines).not.toContain('clear-old '); // the space-separated word is complete: families follow
  });
});
