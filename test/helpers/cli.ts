// Run cachectl in-process (captured streams) or as the built binary (real process, exit code).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/cachectl.js');

class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  stdin?: string;
}

/** Config and state folders of test runs: never the real ~/.config, ~/.local/state or /etc. */
export const TEST_HOME = path.join(tmpdir(), 'cachectl-test-home');
export const SANDBOX_ENV = {
  XDG_CONFIG_HOME: path.join(TEST_HOME, 'config'),
  XDG_STATE_HOME: path.join(TEST_HOME, 'state'),
  CACHECTL_SYSTEM_CONFIG: path.join(TEST_HOME, 'etc', 'config.json'),
};

/** A clean environment: no REDIS_URL / REDIS_PASSWORD / CACHECTL_CONFIG / CACHECTL_CONTEXT leaking in from outside. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { REDIS_URL: _u, REDIS_PASSWORD: _p, CACHECTL_CONFIG: _c, CACHECTL_CONTEXT: _x, FORCE_COLOR: _f, ...rest } = process.env;
  return { ...rest, NO_COLOR: '1', ...SANDBOX_ENV, ...extra };
}

/** Run the CLI in this process with captured stdout/stderr. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? '');
  const start = performance.now();
  const code = await run(args, {
    streams: { stdout, stderr, stdin },
    env: cleanEnv(options.env),
    cwd: options.cwd ?? ROOT,
    signal: options.signal ?? new AbortController().signal,
  });
  return { code, stdout: stdout.text, stderr: stderr.text, ms: performance.now() - start };
}

/** Run the built binary (`npm run build` first; `npm test` does it). */
export function spawnCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run "npm run build" (npm test does it)');
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: cleanEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(options.stdin ?? '');
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - start }));
  });
}
